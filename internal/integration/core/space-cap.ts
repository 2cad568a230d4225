/**
 * A run's cap on the spaces it holds at once, so one run (a suite that
 * takes spaces faster than it gives them back, a test that holds hundreds)
 * cannot take every connection of a server it shares with other runs.
 * Every space holds at least one connection while it lives: given to a test,
 * ready in a warm pool, or on its way to being recycled or dropped.
 */
import { PgspaceError } from './errors.js';
import { pollUntil } from './poll.js';
import { CAP_REACHED } from './registry.js';
import type { AdminDb } from './spaces.js';

/** Set to change the cap (a whole number ≥ 1). */
export const MAX_SPACES_VAR = 'PGSPACE_MAX_SPACES';

/** The default is a quarter of max_connections, so four runs at their cap still fit; never more than this. */
const DEFAULT_MOST = 50;

/** How long a new space waits for the run to give one back before failing. */
const CAP_WAIT_MS = 10_000;

/** The run's cap, and where it comes from (for messages). */
export interface SpaceCap {
  max: number;
  source: string;
}

/** PGSPACE_MAX_SPACES as a number, undefined when unset; a clear error when it is not a whole number ≥ 1. */
export function capFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[MAX_SPACES_VAR];
  if (text === undefined || text === '') return undefined;
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) {
    throw new PgspaceError(`${MAX_SPACES_VAR}=${JSON.stringify(text)} is not a number of spaces: write a whole number, 1 or more (e.g. ${MAX_SPACES_VAR}=40)`);
  }
  return Number(text);
}

/** The cap for runs on the server `admin` is connected to. */
export async function spaceCap(admin: AdminDb): Promise<SpaceCap> {
  const set = capFromEnv();
  if (set !== undefined) return { max: set, source: `${MAX_SPACES_VAR}=${set}` };
  const { rows } = await admin.query<{ max: number }>(`SELECT current_setting('max_connections')::int AS max`);
  const max = Math.max(1, Math.min(DEFAULT_MOST, Math.floor(rows[0]!.max / 4)));
  return { max, source: `the default: a quarter of max_connections = ${rows[0]!.max}, at most ${DEFAULT_MOST}; ${MAX_SPACES_VAR} changes it` };
}

/**
 * `create()` once the run is under its cap: while it fails with CAP_REACHED
 * it is tried again (spaces being dropped free their places), for at most
 * `waitMs`; then a clear error, never a hang.
 */
export async function createWithinCap<T>(cap: SpaceCap, create: () => Promise<T>, waitMs = CAP_WAIT_MS): Promise<T> {
  try {
    return await pollUntil(
      'the run to hold fewer spaces',
      () =>
        create().catch((err: unknown) => {
          if ((err as { code?: string }).code === CAP_REACHED) return undefined;
          throw err;
        }),
      { timeoutMs: waitMs, intervalMs: 20 },
    );
  } catch (err) {
    if (!(err instanceof PgspaceError) || !err.message.startsWith('timed out')) throw err;
    throw new PgspaceError(
      `this run holds ${cap.max} spaces at once, its cap (${cap.source}), and gave none back within ${waitMs / 1000} s. ` +
        'A space counts from when it is made until it is dropped: given to a test, ready in a warm pool (up to 4 per process), being recycled or dropped. ' +
        `A test holding that many spaces at once, or tests that never end, reach it. Hold fewer at once, or raise ${MAX_SPACES_VAR} (and the server's max_connections with it).`,
    );
  }
}
