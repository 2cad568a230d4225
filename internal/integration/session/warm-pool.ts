/**
 * Keeps up to `size` items made ahead of time, so that taking one costs
 * (almost) nothing. Takes are served first come, first served; the pool is
 * refilled in the background, at most `concurrency` makes at a time.
 *
 * Items come out of a budget shared with others (a run's cap on spaces):
 * `make` answers undefined when the budget allows none now. The pool then
 * stops refilling in the background for a while (REFILL_PAUSE_MS, or until
 * `nudge` says a place came free); a taker that has no item on its way asks
 * again every RETRY_MS, and fails (with `starved`'s error) only once it has
 * itself waited `waitMs`. A make that fails fails a taker only if it was
 * made for that taker: a background refill never fails anyone.
 */
interface Taker<T> {
  resolve(item: T): void;
  reject(err: unknown): void;
  /** When it started waiting (ms). */
  since: number;
}

/** How soon a waiting taker asks the budget again after a refusal. */
const RETRY_MS = 20;
/** How long the background refill rests after a refusal (a place freed elsewhere is not seen otherwise). */
const REFILL_PAUSE_MS = 1_000;

/** What a pool is given: how to make an item (undefined: the budget allows none now), and what to do with one nobody took. */
export interface PoolSource<T> {
  /** Makes an item; `forTaker` says a taker is waiting for it (and gets its error). */
  make(forTaker: boolean): Promise<T | undefined>;
  /** Called for each item not taken when the pool closes. */
  putDown(item: T): Promise<void>;
  /** The error for a taker that waited `waitedMs` while the budget allowed nothing. */
  starved(waitedMs: number): Promise<unknown>;
}

/** See the module comment. */
export class WarmPool<T> {
  private readonly ready: T[] = [];
  private readonly takers: Taker<T>[] = [];
  /** Items on their way: made here, or adopted (see adopt). */
  private making = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  /** Until when makes for the background refill, and for takers, wait after a refusal. */
  private refillAt = 0;
  private retryAt = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly source: PoolSource<T>,
    private readonly size: number,
    private readonly concurrency: number,
    private readonly waitMs: number,
  ) {}

  /** Items ready to be taken now. */
  get readyCount(): number {
    return this.ready.length;
  }

  /** Whether a taker is waiting while the budget allows nothing. */
  get refused(): boolean {
    return this.takers.length > 0 && this.retryAt > 0;
  }

  /** Starts filling the pool without taking anything; resolves once the first makes are over. */
  async warm(): Promise<void> {
    this.fill();
    await Promise.all(this.inFlight);
  }

  /** A place in the budget came free (an item was dropped): refill and retry at once. */
  nudge(): void {
    this.refillAt = this.retryAt = 0;
    this.fill();
  }

  /**
   * Takes an item being made elsewhere (a recycled one) as if this pool were
   * making it: it counts against the pool's size while on its way, so the
   * pool makes none in its place; undefined (or a failure) means none came.
   */
  adopt(coming: Promise<T | undefined>): void {
    this.track(
      coming.then(
        (item) => (item === undefined ? undefined : this.deliver(item)),
        () => undefined,
      ),
    );
  }

  /** A ready item now, or the next one made. */
  take(): Promise<T> {
    if (this.closed) return Promise.reject(new Error('warm pool is closed'));
    const item = this.ready.shift();
    const taken =
      item !== undefined
        ? Promise.resolve(item)
        : new Promise<T>((resolve, reject) => this.takers.push({ resolve, reject, since: Date.now() }));
    this.fill();
    return taken;
  }

  private deliver(item: T): void {
    const taker = this.takers.shift();
    if (taker) taker.resolve(item);
    else this.ready.push(item); // after close(), close() puts it down
  }

  /** Counts `work` as an item on its way until it settles, then refills. */
  private track(work: Promise<unknown>): void {
    this.making++;
    const done = work.finally(() => {
      this.making--;
      this.inFlight.delete(done);
      this.fill();
    });
    this.inFlight.add(done);
  }

  private fill(): void {
    const now = Date.now();
    while (!this.closed && this.making < this.concurrency) {
      // A taker no item on its way will serve gets a make of its own; else the background refill.
      const forTaker = this.takers.length > this.making;
      if (forTaker ? now < this.retryAt : now < this.refillAt || this.ready.length + this.making >= this.size) break;
      this.start(forTaker, now);
    }
    if (!this.closed && this.takers.length > this.making && this.retryAt > now) this.wake(this.retryAt - now);
  }

  private start(forTaker: boolean, started: number): void {
    this.track(
      this.source.make(forTaker).then(
        (item) => {
          if (item !== undefined) {
            this.refillAt = this.retryAt = 0;
            return this.deliver(item);
          }
          this.refillAt = Date.now() + REFILL_PAUSE_MS;
          this.retryAt = Date.now() + RETRY_MS;
          this.starve();
        },
        (err: unknown) => {
          // Only the oldest taker, and only if it was waiting when this make began for it.
          if (forTaker && this.takers[0] && this.takers[0].since <= started) this.takers.shift()!.reject(err);
          else this.refillAt = Date.now() + REFILL_PAUSE_MS; // not retried in the background until asked again
        },
      ),
    );
  }

  /** Fails the takers that have waited `waitMs` while the budget allowed nothing. */
  private starve(): void {
    const now = Date.now();
    while (this.takers[0] && now - this.takers[0].since >= this.waitMs) {
      const taker = this.takers.shift()!;
      void this.source.starved(now - taker.since).then(taker.reject, taker.reject);
    }
  }

  private wake(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fill();
    }, ms);
  }

  /** Stops refilling, waits for items on their way, and puts down every item not taken. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const err = new Error('warm pool closed while waiting');
    for (const taker of this.takers.splice(0)) taker.reject(err);
    await Promise.all(this.inFlight);
    await Promise.all(this.ready.splice(0).map((item) => this.source.putDown(item).catch(() => undefined)));
  }
}
