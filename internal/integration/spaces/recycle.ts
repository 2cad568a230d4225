/**
 * Recycling a space: a passing test that changed only rows leaves a database
 * whose schema is still the template's. Putting its rows, sequences and large
 * objects back costs far less than dropping it and cloning a new one. It is
 * then handed to a later test with a new password, nothing left of its role's
 * settings, and its pool's sessions made new (renewSession): warm sessions
 * whose backends need not be forked again, in a database in the template's
 * state.
 *
 * Whether a space is back in that state is decided, and the reset done, with
 * the server's whole view, never the role's: by the routine every template
 * carries (guard.ts), run as the admin through one of the space pool's warm
 * sessions, in one round trip. Whatever it cannot prove equal to the template,
 * it says so, and the space is dropped instead.
 */
import pg from 'pg';
import { GUARD_SCHEMA } from '../templates/guard.js';
import type { AdminDb } from '../server/server.js';
import { scramVerifier } from '../common/credentials.js';

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
 * Whether a session of this schema that ran only SQL pgspace does not suspect
 * (see LINGERS in space.ts) is, after renewSession, as a new one: true unless
 * one of the schema's functions may make a custom setting (set_config, SET
 * x.y, a function-level SET of one, C code outside an extension), whose
 * placeholder DISCARD ALL cannot remove.
 */
export async function keptSessionsSafe(client: pg.ClientBase): Promise<boolean> {
  // PostgreSQL's regular expressions: \y is a word boundary.
  const custom = `set_config|\\y(set|reset)\\s+(session\\s+|local\\s+)?"?[a-z_][[:alnum:]_$]*"?\\s*\\.|\\ydo\\s|\\yload\\s`;
  const { rows } = await client.query<{ sets: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE p.oid >= 16384 AND n.nspname <> $2
          AND (p.prosrc ~* $1 OR EXISTS (SELECT 1 FROM pg_catalog.unnest(p.proconfig) c WHERE pg_catalog.split_part(c, '=', 1) LIKE '%.%')
               OR (p.prolang = (SELECT oid FROM pg_catalog.pg_language WHERE lanname = 'c')
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')))
     ) AS sets`,
    [custom, GUARD_SCHEMA],
  );
  return !rows[0]!.sets;
}

/**
 * Makes session `client` of a reset space what a new session of its role
 * would be for the next test, when nothing it ran can outlive DISCARD ALL
 * (see lingers in space.ts): the test's settings, role, temporary objects,
 * prepared statements, cursors, advisory locks, LISTEN, and pgspace's own
 * settings for the reset go. What stays is that plpgsql is
 * loaded (its settings show in pg_settings), as after any PL/pgSQL call.
 */
export async function renewSession(client: pg.ClientBase): Promise<void> {
  await client.query('DISCARD ALL'); // cannot share a query: it refuses to run in a transaction block
  await client.query('RESET ROLE');
}

/**
 * Hands a reset space to the next test: its role may log in again, with a new
 * password (an earlier test's no longer works), and nothing of its own
 * settings (ALTER ROLE … SET, anywhere) is left; the registry row changes in
 * the same transaction.
 */
export async function reissueSpace(admin: AdminDb, name: string, password: string, registrySql: string): Promise<void> {
  const role = q(name);
  // One implicit transaction (a multi-statement query): all of it, or nothing.
  await admin.query(
    `ALTER ROLE ${role} LOGIN PASSWORD ${pg.escapeLiteral(scramVerifier(password))};
     ALTER ROLE ${role} RESET ALL; ALTER ROLE ${role} IN DATABASE ${role} RESET ALL;
     ${registrySql}`,
  );
}
