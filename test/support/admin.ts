/** An admin connection to the run's server, for tests that inspect what the helper did. */
import pg from 'pg';
import { LOCK_CLASS } from '../../internal/integration/server/locks.js';
import { dropSpacesWhere } from '../../internal/integration/spaces/reaper.js';
import {
  ADMIN_URL_VAR,
  clientConfig,
  parseServerUrl,
  withAdminClient,
  type ServerSettings,
} from '../../internal/integration/server/server.js';

/** The server this test run uses (set up by the pgspace mocha plugin). */
export function runServer(): ServerSettings {
  return parseServerUrl(process.env[ADMIN_URL_VAR]!);
}

/** Runs `fn` with a superuser client on the run's server. */
export function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  return withAdminClient(runServer(), fn);
}

let pooled: pg.Pool | undefined;

/**
 * A query as the admin on a pooled connection, for tests that ask the server
 * often (polling): no new login each time. Idle connections close by
 * themselves and never hold the process open.
 */
export function adminQuery<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
  if (!pooled) {
    pooled = new pg.Pool({ ...clientConfig(runServer()), max: 2, idleTimeoutMillis: 1_000, allowExitOnIdle: true });
    pooled.on('error', () => undefined); // an idle connection the server ends (the run's end) is the pool's to replace
  }
  return pooled.query<R>(sql, params);
}

/** Which of `names` still exist as a database or a role. */
export function existing(names: string[]): Promise<string[]> {
  return withAdmin(async (admin) => {
    const { rows } = await admin.query<{ name: string }>(
      `SELECT datname AS name FROM pg_database WHERE datname = ANY($1)
       UNION SELECT rolname FROM pg_roles WHERE rolname = ANY($1)`,
      [names],
    );
    return rows.map((r) => r.name);
  });
}

/**
 * A run id of the test's own, alive until release(): its lock is held the way
 * a run's lock connection holds it, so runs starting meanwhile on the same
 * server (shards, other builds) do not reap the spaces the test makes under it.
 */
export async function liveRun(): Promise<{ run: number; release(): Promise<void> }> {
  const lock = new pg.Client(clientConfig(runServer()));
  await lock.connect();
  for (;;) {
    const run = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const { rows } = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_CLASS, run]);
    if (rows[0]!.ok) return { run, release: () => lock.end() };
  }
}

/**
 * Gives the enclosing describe a run of its own (see liveRun), for sessions
 * it makes itself: the spaces they leave ready for their run are taken by no
 * other test, and they take none of this run's. Its spaces are dropped after.
 */
export function ownRun(): () => number {
  let live: Awaited<ReturnType<typeof liveRun>> | undefined;
  before(async function () {
    live = await liveRun();
  });
  after(async function () {
    if (!live) return;
    const { run } = live;
    await withAdmin((admin) => dropSpacesWhere(admin, runServer(), (s) => s.run === run));
    await live.release();
  });
  return () => live!.run;
}
