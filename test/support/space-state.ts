/**
 * Everything the server holds of one space, read as the admin (a superuser:
 * every schema and relation whoever owns it, row-level security not applied),
 * as sorted lines, so that two spaces of one template can be compared: a
 * recycled one must read exactly like a fresh clone.
 *
 * Left out, each for a reason written in the README's list of what a role can
 * change without DDL: physical layout and planner estimates (relfilenode,
 * relpages, reltuples, relallvisible, frozen xids: VACUUM, TRUNCATE and
 * autovacuum change them in any database), sequences' log_cnt (WAL
 * bookkeeping; nextval's answers do not depend on it), activity counters
 * (pg_stat_*), and the pg_temp_N namespaces Postgres makes on a session's first
 * temporary object and never drops.
 */
import pg from 'pg';
import { pollUntil } from '../../internal/integration/common/poll.js';
import { clientConfig } from '../../internal/integration/server/server.js';
import { adminQuery, runServer } from './admin.js';

/** Objects made by initdb have OIDs below this; everything else a template or a test made. */
const FIRST_NORMAL_OID = 16384;

const notTemp = (nsp: string) => `${nsp} NOT IN (SELECT oid FROM pg_namespace WHERE nspname ~ '^pg_(toast_)?temp_')`;
const userRel = (rel: string) => `${rel} >= ${FIRST_NORMAL_OID} AND ${rel} IN (SELECT oid FROM pg_class WHERE ${notTemp('relnamespace')})`;

/** Catalog rows that describe the database's objects: [catalog, which rows, columns left out]. */
const CATALOGS: [string, string, string[]][] = [
  ['pg_namespace', `oid >= ${FIRST_NORMAL_OID} AND nspname !~ '^pg_(toast_)?temp_' OR nspname = 'public'`, []],
  [
    'pg_class',
    `oid >= ${FIRST_NORMAL_OID} AND ${notTemp('relnamespace')}`,
    ['relpages', 'reltuples', 'relallvisible', 'relfrozenxid', 'relminmxid', 'relfilenode'],
  ],
  ['pg_attribute', userRel('attrelid'), []],
  ['pg_attrdef', userRel('adrelid'), []],
  ['pg_index', userRel('indrelid'), []],
  ['pg_constraint', `oid >= ${FIRST_NORMAL_OID} AND ${notTemp('connamespace')}`, []],
  ['pg_trigger', userRel('tgrelid'), []],
  ['pg_rewrite', userRel('ev_class'), []],
  ['pg_policy', userRel('polrelid'), []],
  ['pg_inherits', userRel('inhrelid'), []],
  ['pg_partitioned_table', userRel('partrelid'), []],
  ['pg_sequence', userRel('seqrelid'), []],
  ['pg_statistic', userRel('starelid'), []],
  ['pg_statistic_ext', userRel('stxrelid'), []],
  ['pg_statistic_ext_data', `stxoid IN (SELECT oid FROM pg_statistic_ext WHERE ${userRel('stxrelid')})`, []],
  ['pg_proc', `oid >= ${FIRST_NORMAL_OID}`, []],
  ['pg_type', `oid >= ${FIRST_NORMAL_OID} AND ${notTemp('typnamespace')}`, []],
  ['pg_enum', `oid >= ${FIRST_NORMAL_OID}`, []],
  ['pg_description', `objoid >= ${FIRST_NORMAL_OID} OR objoid = 'public'::regnamespace`, []],
  ['pg_seclabel', 'true', []],
  ['pg_default_acl', 'true', []],
  ['pg_init_privs', `objoid >= ${FIRST_NORMAL_OID}`, []],
  ['pg_largeobject_metadata', 'true', []],
  ['pg_event_trigger', 'true', []],
  ['pg_extension', 'true', []],
  [
    'pg_depend',
    `objid >= ${FIRST_NORMAL_OID} AND NOT (classid = 'pg_class'::regclass AND objid IN (SELECT oid FROM pg_class WHERE NOT (${notTemp('relnamespace')})))`,
    [],
  ],
  ['pg_publication', 'true', []],
  ['pg_foreign_table', 'true', []],
];

/** Large objects, settings, the database's grants and comment, locks and prepared transactions. */
const OTHERS = `
      SELECT 'large object ' || loid || ' ' || md5(string_agg(data, ''::bytea ORDER BY pageno)) AS line FROM pg_largeobject GROUP BY loid
      UNION ALL SELECT 'setting ' || coalesce(r.rolname, '*') || ' ' || array_to_string(s.setconfig, ',') FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole
       WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
      UNION ALL SELECT 'database ' || coalesce(datacl::text, '-') || ' ' || datconnlimit || ' ' || datallowconn || ' owner ' || datdba::regrole
        FROM pg_database WHERE datname = current_database()
      UNION ALL SELECT 'database comment ' || description FROM pg_shdescription WHERE objoid = (SELECT oid FROM pg_database WHERE datname = current_database())
      UNION ALL SELECT 'lock ' || locktype || ' ' || coalesce(objid::text, '') FROM pg_locks
       WHERE database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND pid <> pg_backend_pid()
      UNION ALL SELECT 'prepared transaction ' || gid FROM pg_prepared_xacts WHERE database = current_database()`;

/** One client as the admin in `database`; its session is gone from the server when this returns. */
async function asAdminIn<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(clientConfig(runServer(), database));
  await client.connect();
  const pid = (client as pg.Client & { processID: number }).processID;
  try {
    return await fn(client);
  } finally {
    await client.end();
    // A space with a stranger's session in it is not recycled: wait until this one has really left.
    await pollUntil(
      `the admin's session in ${database} to end`,
      async () => ((await adminQuery('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0 ? true : undefined),
      { timeoutMs: 5_000, intervalMs: 2 },
    );
  }
}

/**
 * The whole state of space `database`, as the admin reads it: catalogs, every
 * row of every table and materialized view in every schema, sequences, large
 * objects, settings, the database's grants, locks and prepared transactions.
 * The space's own name (role = database) reads as <space>.
 */
export async function spaceState(database: string): Promise<string[]> {
  const lines = await asAdminIn(database, async (c) => {
    const catalogs = CATALOGS.map(
      ([catalog, where, skip]) =>
        `SELECT ${pg.escapeLiteral(`${catalog} `)} || (to_jsonb(x) ${skip.map((k) => `- ${pg.escapeLiteral(k)}`).join(' ')})::text AS line FROM pg_catalog.${catalog} x WHERE ${where}`,
    );
    const relations = await c.query<{ name: string; kind: string; populated: boolean }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind, c.relispopulated AS populated FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp|toast_temp)'
          AND c.relpersistence <> 't'`,
    );
    const data = relations.rows.map(({ name, kind, populated }) =>
      kind === 'S'
        ? `SELECT ${pg.escapeLiteral(`sequence ${name}: `)} || (SELECT last_value || ' ' || is_called FROM ${name})`
        : kind === 'r' || populated
          ? `SELECT ${pg.escapeLiteral(`rows of ${name}: `)} || (SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') FROM ONLY ${name} t)`
          : undefined,
    );
    const { rows } = await c.query<{ line: string }>([...catalogs, ...data.filter((d) => d !== undefined), OTHERS].join('\n UNION ALL '));
    return rows.map((r) => r.line);
  });
  return lines.map((l) => l.replaceAll(database, '<space>')).sort();
}

/** The lines of `actual` and `expected` that differ, for a readable failure. */
export function stateDiff(actual: string[], expected: string[]): string[] {
  const count = (lines: string[]) => lines.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  const [a, e] = [count(actual), count(expected)];
  const out: string[] = [];
  for (const [line, n] of e) if ((a.get(line) ?? 0) < n) out.push(`- ${line}`);
  for (const [line, n] of a) if ((e.get(line) ?? 0) < n) out.push(`+ ${line}`);
  return out;
}

/**
 * What a test finds of its own session when it first uses `pool`: settings,
 * prepared statements, cursors, LISTEN, advisory locks, temporary tables, its
 * user and role, lastval(). The role's name reads as <space>. A recycled
 * space hands its next test the sessions the last one used, made new: this
 * must read as a fresh session's does.
 */
export async function sessionState(pool: pg.Pool, role: string): Promise<string[]> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ line: string }>(`
      SELECT 'setting ' || name || ' = ' || coalesce(setting, '') || ' from ' || source AS line FROM pg_settings
       WHERE name NOT LIKE 'plpgsql.%' -- they show once plpgsql is loaded, as after any PL/pgSQL call (pgspace's reset makes one)
      UNION ALL SELECT 'prepared statement ' || name FROM pg_prepared_statements
      UNION ALL SELECT 'cursor ' || name FROM pg_cursors
      UNION ALL SELECT 'listening ' || c FROM pg_listening_channels() c
      UNION ALL SELECT 'advisory lock ' || objid FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory'
      UNION ALL SELECT 'temporary table ' || relname FROM pg_class WHERE relnamespace = pg_my_temp_schema()
      UNION ALL SELECT 'user ' || current_user || ', session user ' || session_user
      -- A custom setting a test made: invisible in pg_settings, and read as '' (not NULL) ever after in its session.
      UNION ALL SELECT 'custom setting app.tenant = ' || quote_literal(s) FROM current_setting('app.tenant', true) s WHERE s IS NOT NULL`);
    const lastval = await client.query('SELECT lastval()').then(
      (r) => `lastval ${r.rows[0].lastval}`,
      () => 'lastval: none yet',
    );
    return [...rows.map((r) => r.line), lastval].map((l) => l.replaceAll(role, '<space>')).sort();
  } finally {
    client.release();
  }
}
