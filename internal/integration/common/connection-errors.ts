/** Telling apart what went wrong with a connection to Postgres, from the error `pg` gave. */

const LOST_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03']);

/** The server went away or is refusing everyone: refused, reset, socket gone, shut down, crashed, restarting. */
export function isConnectionLost(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return (
    LOST_CODES.has(e?.code ?? '') ||
    /Connection terminated|terminating connection due to (administrator command|crash)/.test(e?.message ?? '')
  );
}

/** The server has no connection slot left (SQLSTATE 53300, including "slots are reserved" for non-superusers). */
export function isTooManyConnections(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === '53300';
}

/** The server cannot write: its disk is full (53100), or a checkpoint it needed failed for that reason. */
export function isServerFull(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return e?.code === '53100' || /No space left on device|checkpoint request failed/.test(e?.message ?? '');
}
