/**
 * Keeps up to `size` items made ahead of time, so that taking one costs
 * (almost) nothing. Takes are served first come, first served; the pool is
 * refilled in the background, at most `concurrency` makes at a time.
 */
export class WarmPool<T> {
  private readonly ready: T[] = [];
  private readonly waiting: { resolve: (item: T) => void; reject: (err: unknown) => void }[] = [];
  private making = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private failure: unknown;

  constructor(
    private readonly make: () => Promise<T>,
    private readonly discard: (item: T) => Promise<void>,
    private readonly size: number,
    private readonly concurrency: number,
  ) {}

  /** Items ready to be taken now. */
  get readyCount(): number {
    return this.ready.length;
  }

  /** Starts filling the pool without taking anything. */
  warm(): void {
    this.fill();
  }

  /**
   * Takes an item being made elsewhere (a recycled one) as if this pool were
   * making it: it counts against the pool's size while on its way, so the
   * pool makes none in its place; undefined (or a failure) means none came.
   */
  adopt(coming: Promise<T | undefined>): void {
    this.making++;
    const adopted = coming.then(
      (item) => {
        this.making--;
        if (item !== undefined) this.deliver(item);
        this.fill();
      },
      () => {
        this.making--;
        this.fill();
      },
    );
    this.inFlight.add(adopted);
    void adopted.finally(() => this.inFlight.delete(adopted));
  }

  private deliver(item: T): void {
    const taker = this.waiting.shift();
    if (taker) taker.resolve(item);
    else this.ready.push(item); // after close(), close() discards it
  }

  /** A ready item now, or the next one made. A failed make rejects the oldest taker. */
  take(): Promise<T> {
    if (this.closed) return Promise.reject(new Error('warm pool is closed'));
    const item = this.ready.shift();
    const taken = item !== undefined ? Promise.resolve(item) : new Promise<T>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.fill();
    return taken;
  }

  private fill(): void {
    if (this.failure !== undefined && this.waiting.length === 0) return; // after a failure, only make for someone waiting
    while (!this.closed && this.making < this.concurrency && this.ready.length + this.making < this.size + this.waiting.length) {
      this.making++;
      const made = this.make().then(
        (item) => {
          this.making--;
          this.failure = undefined;
          this.deliver(item);
          this.fill();
        },
        (err: unknown) => {
          this.making--;
          this.failure = err;
          const taker = this.waiting.shift();
          taker?.reject(err);
          this.fill();
        },
      );
      this.inFlight.add(made);
      void made.finally(() => this.inFlight.delete(made));
    }
  }

  /** Stops refilling, waits for items being made, and discards every item not taken. */
  async close(): Promise<void> {
    this.closed = true;
    const err = new Error('warm pool closed while waiting');
    for (const taker of this.waiting.splice(0)) taker.reject(err);
    await Promise.all(this.inFlight);
    await Promise.all(this.ready.splice(0).map((item) => this.discard(item).catch(() => undefined)));
  }
}
