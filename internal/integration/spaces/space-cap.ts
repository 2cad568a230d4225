/**
 * A run's cap on the spaces it holds at once, so one run (a suite that
 * takes spaces faster than it gives them back, a test that holds hundreds)
 * cannot take every connection of a server it shares with other runs.
 * Every space counts while it lives: given to a test, ready (in a warm pool,
 * with a connection open, or left for the run's other processes), or on its
 * way to being recycled or dropped.
 */
import { PgspaceError } from '../common/errors.js';
import { CAP_REACHED, type Holdings } from '../server/registry.js';
import { runConnections } from './sizing.js';
import type { AdminDb } from '../server/server.js';

/** Set to change the cap (a whole number ≥ 1). */
export const MAX_SPACES_VAR = 'PGSPACE_MAX_SPACES';

/** The default cap is what lets four serial runs at their caps share the server (see spaceCap); never more than this. */
const DEFAULT_MOST = 50;

/** How long a test waits for its run to give a space back, at its cap, before it fails. */
export const CAP_WAIT_MS = 10_000;

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
    throw new PgspaceError(
      'config',
      `${MAX_SPACES_VAR}=${JSON.stringify(text)} is not a number of spaces: write a whole number, 1 or more (e.g. ${MAX_SPACES_VAR}=40)`,
    );
  }
  return Number(text);
}

/**
 * The cap for runs on the server `admin` is connected to: by default a
 * quarter of the connections the server leaves to non-superusers, less what
 * a serial run takes besides its spaces (sizing.ts), so four serial runs at
 * their caps fit, their spaces holding a connection each.
 */
export async function spaceCap(admin: AdminDb): Promise<SpaceCap> {
  const set = capFromEnv();
  if (set !== undefined) return { max: set, source: `${MAX_SPACES_VAR}=${set}` };
  const { rows } = await admin.query<{ max: number; reserved: number }>(
    `SELECT current_setting('max_connections')::int AS max,
            current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true)::int, 0) AS reserved`,
  );
  const { max, reserved } = rows[0]!;
  const own = runConnections(0, 1);
  const cap = Math.max(1, Math.min(DEFAULT_MOST, Math.floor((max - reserved) / 4) - own));
  return {
    max: cap,
    source: `the default: a quarter of max_connections = ${max} less ${reserved} reserved, less a run's own ${own}, at most ${DEFAULT_MOST}; ${MAX_SPACES_VAR} changes it`,
  };
}

/** Whether `err` is a new space refused because its run is at its cap (see capSql). */
export function refusedAtCap(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === CAP_REACHED;
}

/** Up to this many tests are named in the message. */
const NAMED = 3;

/**
 * The error of a test that waited `waitedMs` for a space while its run was at
 * its cap, saying what held the run's spaces meanwhile.
 */
export function capError(cap: SpaceCap, waitedMs: number, held: Holdings): PgspaceError {
  const count = (n: number, what: string) => `${n} ${what}`;
  const named = held.tests.slice(0, NAMED).map((t) => `${JSON.stringify(t.title)}${t.spaces > 1 ? ` (${t.spaces})` : ''}`);
  const more = held.tests.length > NAMED ? ` and ${held.tests.length - NAMED} more` : '';
  const given = held.tests.reduce((n, t) => n + t.spaces, 0);
  const what = [
    given > 0 ? `${count(given, 'given to tests')}: ${named.join(', ')}${more}` : undefined,
    held.ready > 0 ? count(held.ready, 'ready in warm pools') : undefined,
    held.busy > 0 ? count(held.busy, 'being made, recycled or dropped') : undefined,
  ].filter(Boolean);
  return new PgspaceError(
    'cap-reached',
    `this test waited ${(waitedMs / 1000).toFixed(1)} s for a space, and its run held ${cap.max} space(s) at once, its cap (${cap.source}), all that time; ` +
      `held now: ${what.join('; ') || 'none (they were given back just now)'}. ` +
      `A test that holds many spaces at once, or tests that never end, reach it. Hold fewer at once, or raise ${MAX_SPACES_VAR} (and the server's max_connections with it).`,
  );
}
