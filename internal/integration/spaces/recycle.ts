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

/** Functions whose call leaves a session unlike a new one, or runs SQL built from strings (which could call them). */
const UNSAFE_FUNCTIONS = [
  'set_config(text,text,boolean)',
  'query_to_xml(text,boolean,boolean,text)',
  'query_to_xmlschema(text,boolean,boolean,text)',
  'query_to_xml_and_xmlschema(text,boolean,boolean,text)',
  'ts_stat(text)',
  'ts_stat(text,text)',
];

/**
 * Whether a session of this schema that ran only SQL pgspace does not suspect
 * (see LINGERS in space.ts) is, after renewSession, as a new one: false when
 * anything of the schema may call one of UNSAFE_FUNCTIONS or make a custom
 * setting (whose placeholder DISCARD ALL cannot remove): a function's source
 * (set_config, SET x.y, dynamic SQL: EXECUTE, DO, LOAD) or body, a
 * function-level SET of one, a language that keeps state of its own (plperl,
 * plpython…), C code outside an extension, or a view, rule, default,
 * constraint, policy, index or trigger condition calling one. Asked of a
 * fresh clone: a test's DDL must not change the answer.
 */
export async function keptSessionsSafe(client: pg.ClientBase): Promise<boolean> {
  // PostgreSQL's regular expressions: \y is a word boundary.
  const source = `set_config|_to_xml|ts_stat|\\y(set|reset)\\s+(session\\s+|local\\s+)?[^[:space:]=;]*\\.|\\y(do|load|execute)\\y|\\yu&['"]`;
  await client.query('SET statement_timeout = 10000');
  const { rows } = await client.query<{ unsafe: string | null }>(
    `WITH calls AS (
       SELECT '(:funcid (' || string_agg(f::oid::text, '|') || ')\\M)' AS node
         FROM pg_catalog.unnest($3::text[]) n, LATERAL (SELECT pg_catalog.to_regprocedure('pg_catalog.' || n) AS f) r WHERE f IS NOT NULL),
     trees(what, tree) AS (
       SELECT 'a view or rule', ev_action::text FROM pg_catalog.pg_rewrite WHERE ev_class >= 16384
       UNION ALL SELECT 'a column default', adbin::text FROM pg_catalog.pg_attrdef
       UNION ALL SELECT 'a constraint', conbin::text FROM pg_catalog.pg_constraint WHERE conbin IS NOT NULL
       UNION ALL SELECT 'a policy', concat(polqual::text, polwithcheck::text) FROM pg_catalog.pg_policy
       UNION ALL SELECT 'an index', concat(indexprs::text, indpred::text) FROM pg_catalog.pg_index WHERE indexrelid >= 16384
       UNION ALL SELECT 'a trigger condition', tgqual::text FROM pg_catalog.pg_trigger WHERE tgqual IS NOT NULL
       UNION ALL SELECT 'a function body', prosqlbody::text FROM pg_catalog.pg_proc WHERE prosqlbody IS NOT NULL AND oid >= 16384)
     SELECT coalesce(
       (SELECT what FROM trees, calls WHERE tree ~ calls.node LIMIT 1),
       (SELECT 'function ' || p.oid::regprocedure::text FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace JOIN pg_catalog.pg_language l ON l.oid = p.prolang
         WHERE p.oid >= 16384 AND n.nspname <> $2
           AND (p.prosrc ~* $1
                OR EXISTS (SELECT 1 FROM pg_catalog.unnest(p.proconfig) c WHERE pg_catalog.split_part(c, '=', 1) LIKE '%.%')
                OR l.lanname NOT IN ('sql', 'plpgsql', 'internal', 'c')
                OR (l.lanname = 'c' AND NOT EXISTS (
                      SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')))
         LIMIT 1)) AS unsafe`,
    [source, GUARD_SCHEMA, UNSAFE_FUNCTIONS],
  );
  await client.query('RESET statement_timeout');
  return rows[0]!.unsafe === null;
}

/**
 * Makes session `client` of a reset space what a new session of its role
 * would be for the next test, when nothing it ran can outlive DISCARD ALL
 * (see lingers in space.ts): the test's settings, role, temporary objects,
 * prepared statements, cursors, advisory locks, LISTEN, and pgspace's own
 * settings for the reset go, and random() gets a new seed. What stays is that plpgsql is
 * loaded (its settings show in pg_settings), as after any PL/pgSQL call.
 */
export async function renewSession(client: pg.ClientBase): Promise<void> {
  await client.query('DISCARD ALL'); // cannot share a query: it refuses to run in a transaction block
  // random() as unforeseeable as in a new session, whatever setseed() the test called.
  await client.query(
    `RESET ROLE; SELECT pg_catalog.setseed(('x' || substr(md5(gen_random_uuid()::text), 1, 8))::bit(32)::int / 2147483648.0)`,
  );
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
