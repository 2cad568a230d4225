/** Runs background tasks one at a time, in order; failures are collected, not thrown at whoever queued them. */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private readonly errors: unknown[] = [];

  /** Queues `task` after the ones already queued. */
  push(task: () => Promise<void>): void {
    this.tail = this.tail.then(task).catch((err: unknown) => void this.errors.push(err));
  }

  /** Waits for every queued task; returns (and forgets) the errors they threw. */
  async drain(): Promise<unknown[]> {
    await this.tail;
    return this.errors.splice(0);
  }
}
