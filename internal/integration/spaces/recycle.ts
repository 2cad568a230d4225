/**
 * Recycling a space: a passing test that changed only rows leaves a database
 * whose schema is still the template's. Putting its rows, sequences and large
 * objects back costs far less than dropping it and cloning a new one, and it
 * is then handed to a later test under a new role, a new password and a new
 * name, so each test still gets a fresh randomized user and a database in the
 * template's state.
 *
 * Whether a space is back in that state is decided, and the reset done, with
 * the server's whole view, never the role's: by the routine every template
 * carries (guard.ts), run as the admin through one of the space pool's warm
 * sessions, in one round trip. Whatever it cannot prove equal to the template,
 * it says so, and the space is dropped instead.
 */
import pg from 'pg';
import { GUARD_SCHEMA } from '../templates/guard.js';
import { pollUntil } from '../common/poll.js';
import type { AdminDb } from '../server/server.js';
import { databaseGrantSql, roleSql, type SpaceIdentity } from './spaces.js';
import { newSpaceName } from '../common/names.js';
import { randomPassword } from '../common/credentials.js';

const q = pg.escapeIdentifier;

/** How long the reset of one space may take before the space is dropped instead (a digest that cannot be computed in time). */
const RESET_TIMEOUT_MS = 10_000;

/**
 * Why spaces of this template can never be recycled (read through a session
 * of one of them), or undefined when they can be.
 */
export async function recycleBlocker(client: pg.ClientBase): Promise<string | undefined> {
  try {
    const { rows } = await client.query<{ why: string | null }>(`SELECT ${q(GUARD_SCHEMA)}.blocker() AS why`);
    return rows[0]!.why ?? undefined;
  } catch (err) {
    return `the template has no reset routine (${(err as Error).message})`;
  }
}

/**
 * Puts a space back into its template's state, through `client`, an idle
 * session of the space's role that nobody else shares, once the role can no
 * longer log in. Returns why it could not (the schema changed, a prepared
 * transaction, a catalog changed without DDL…), or undefined when done.
 * Session settings the test left on `client` are reset first; the routine
 * pins its own.
 */
export async function resetSpace(client: pg.ClientBase): Promise<string | undefined> {
  const results = (await client.query(
    `RESET ALL; SET statement_timeout = ${RESET_TIMEOUT_MS}; SELECT ${q(GUARD_SCHEMA)}.reset() AS why`,
  )) as unknown as pg.QueryResult<{
    why: string | null;
  }>[];
  return results[2]!.rows[0]!.why ?? undefined;
}

/**
 * Waits until the sessions `own` (the space pool's, closing) have left
 * database `name`. Throws if any other session is there: someone got in
 * after the reset, so the space cannot be trusted to be in the template state.
 */
export async function awaitOwnSessionsGone(admin: AdminDb, name: string, own: number[]): Promise<void> {
  await pollUntil(
    `the sessions of ${name} to end`,
    async () => {
      // Client sessions only: an autovacuum worker may visit, and changes nothing a test can see.
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`,
        [name],
      );
      if (rows.some((r) => !own.includes(r.pid))) throw new Error("a session other than its pool's is in it");
      return rows.length === 0 ? true : undefined;
    },
    { timeoutMs: 5_000, intervalMs: 2 },
  );
}

/**
 * Hands a reset space to a new owner: a new role with a new password, and the
 * database renamed after it, in one transaction; the old role is dropped.
 * The database must have no sessions. The registry row follows the rename.
 */
export async function reissueSpace(
  admin: AdminDb,
  old: string,
  registryRenameSql: (from: string, to: string) => string,
): Promise<SpaceIdentity> {
  const id = { name: newSpaceName(), password: randomPassword() };
  const [o, n] = [q(old), q(id.name)];
  // One implicit transaction (a multi-statement query): all of it, or nothing.
  await admin.query(
    `${roleSql(id)};
     ALTER DATABASE ${o} RENAME TO ${n};
     REVOKE ALL ON DATABASE ${n} FROM ${o}; ${databaseGrantSql(id.name)};
     DROP ROLE ${o};
     ${registryRenameSql(old, id.name)}`,
  );
  return id;
}
