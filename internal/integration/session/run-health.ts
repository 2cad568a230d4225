/**
 * The first thing that made the whole run unusable in this process (the
 * server died, its disk is full), said once. Whoever notices calls
 * breakRun(); the runner binding listens to stop the run at once and fail it,
 * and the helper stops touching the server, so the rest of the run is one
 * clear message instead of every remaining test failing with ENOENT.
 */
let broken: Promise<string> | undefined;
let heartbeat = false;
let headline = 'the Postgres server is gone';
const listeners = new Set<(message: Promise<string>) => void>();

/** Whether the run is broken. */
export function runBroken(): boolean {
  return broken !== undefined;
}

/** One line on what broke the run (while its full message is still being put together, a generic one). */
export function brokenHeadline(): string {
  return headline;
}

/**
 * Breaks the run now; the message may take a moment more (reading a server
 * log), so listeners get it as a promise. Only the first call counts.
 */
export function breakRun(message: string | Promise<string>): void {
  if (broken) return;
  broken = Promise.resolve(message).catch((err: unknown) => `pgspace: the run broke (${String(err)})`);
  void broken.then((m) => (headline = m.split('\n')[0]!.replace(/^pgspace: /, '')));
  for (const listener of listeners) listener(broken);
}

/** Calls `listener` once, when (or if already) the run breaks. */
export function onRunBroken(listener: (message: Promise<string>) => void): void {
  if (broken) listener(broken);
  else listeners.add(listener);
}

/** The full message of what broke the run, once it is known; undefined while the run is fine. */
export function brokenMessage(): Promise<string> | undefined {
  return broken;
}

/** Called by the process that holds the run's lock connection: it reports a lost server itself, with the server's log. */
export function holdHeartbeat(): void {
  heartbeat = true;
}

/** Whether this process holds the run's lock connection (see holdHeartbeat). */
export function holdsHeartbeat(): boolean {
  return heartbeat;
}
