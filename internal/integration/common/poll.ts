import { setTimeout as delay } from 'node:timers/promises';
import { PgspaceError } from './errors.js';

/**
 * Polls `check` until it returns a value other than undefined, or fails with
 * a message saying what did not happen in time. This is how the helper waits
 * for anything (a server to accept connections, a process to exit): never a
 * fixed sleep, always a condition with a deadline.
 */
export async function pollUntil<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  { timeoutMs, intervalMs = 10 }: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new PgspaceError('timeout', `timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

/**
 * `work`, or a PgspaceError once `ms` have passed, whichever comes first, so
 * no step the helper takes can hang a run. The work itself is not cancelled:
 * whoever calls this must be able to leave it behind (and the process still
 * exits, see exit-status.ts).
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PgspaceError('timeout', `${what} did not finish within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * pollUntil for a process that is exiting (an `exit` listener, where nothing
 * asynchronous runs any more): checks every `intervalMs`, blocking, until
 * `check` is true or `timeoutMs` have passed; whether it became true.
 */
export function pollUntilSync(check: () => boolean, { timeoutMs, intervalMs = 10 }: { timeoutMs: number; intervalMs?: number }): boolean {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    Atomics.wait(pause, 0, 0, intervalMs);
  }
}
