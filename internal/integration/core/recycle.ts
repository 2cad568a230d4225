/**
 * Recycling a space: a passing test that changed only rows leaves a database
 * whose schema is still the template's. Putting the rows, sequences and large
 * objects back costs far less than dropping it and cloning a new one, and it
 * is then handed to a later test under a new role, a new password and a new
 * name, so each test still gets a fresh randomized user and a database in the
 * template's state.
 *
 * What tells a schema change: an event trigger the template carries (installed
 * by the admin, beyond the reach of space roles) that marks the database, with
 * a database-level setting only a superuser or the database's owner (the
 * admin) can change, on any DDL, GRANT/REVOKE and COMMENT included, except on
 * temporary objects. A marked database is dropped as before. Everything else a
 * role can change without DDL is either reset here (rows, sequences, large
 * objects), lives in the session (temporary objects, prepared statements,
 * advisory locks, LISTEN, settings: the session ends), or belongs to the role
 * (ALTER ROLE … SET: the role is dropped and a new one made).
 */
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { randomPassword, scramVerifier } from './credentials.js';
import { newSpaceName, OWNER_ROLE } from './names.js';
import { pollUntil } from './poll.js';
import type { AdminDb, SpaceIdentity } from './spaces.js';

const q = pg.escapeIdentifier;
const lit = pg.escapeLiteral;

/** The schema holding the change guard's function; owned by the admin, closed to everyone else. */
export const GUARD_SCHEMA = 'pgspace_guard';
/** The database-level setting the guard sets when the schema changes. */
const CHANGED = 'pgspace.schema_changed';

/**
 * SQL that installs the change guard in a template being built, run as the
 * admin (a superuser: event triggers need one). Event triggers do not fire
 * for shared objects (roles, databases), which spaces cannot change anyway.
 */
export function guardSql(): string {
  const g = q(GUARD_SCHEMA);
  return `CREATE SCHEMA ${g}; REVOKE ALL ON SCHEMA ${g} FROM PUBLIC;
    CREATE FUNCTION ${g}.mark_changed() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $guard$
    BEGIN
      IF TG_EVENT = 'sql_drop' THEN
        IF NOT EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects() WHERE NOT is_temporary) THEN RETURN; END IF;
      ELSIF NOT EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE schema_name IS NULL OR schema_name !~ '^pg_temp') THEN
        RETURN;
      END IF;
      EXECUTE format('ALTER DATABASE %I SET ${CHANGED} TO on', current_database());
    END $guard$;
    REVOKE ALL ON FUNCTION ${g}.mark_changed() FROM PUBLIC;
    CREATE EVENT TRIGGER pgspace_schema_changed ON ddl_command_end EXECUTE FUNCTION ${g}.mark_changed();
    CREATE EVENT TRIGGER pgspace_schema_dropped ON sql_drop EXECUTE FUNCTION ${g}.mark_changed();`;
}

/** What putting a space of one template back into the template's state takes, read once from a fresh space. */
export interface ResetPlan {
  /** Every table a space's role can write, schema-qualified and quoted; referencing tables before the tables they reference. */
  tables: { name: string; seed?: { rows: Buffer; md5: string } }[];
  /**
   * How rows go: 'delete' (cheap on the few rows a test makes; only the tables
   * that have any) when no trigger or rule would see it and foreign keys allow
   * an order; else 'truncate', every table at once.
   */
  mode: 'delete' | 'truncate';
  /** Sequences a space's role can advance, with their values in the template. */
  sequences: { name: string; value: string; called: boolean }[];
}

/** md5 of a table's rows, in a fixed order: tells whether a seeded table still holds the template's rows. */
const rowsDigest = (table: string) => `(SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM ONLY ${table} x)`;

/**
 * Reads the reset plan from a fresh space (so: the template's state), through
 * a connection of the space's role (so: what such a role can change). Returns
 * why the template's spaces cannot be recycled instead, when they cannot.
 */
export async function readResetPlan(client: pg.ClientBase): Promise<ResetPlan | string> {
  const guard = await client.query(`SELECT 1 FROM pg_event_trigger WHERE evtname = 'pgspace_schema_changed' AND evtenabled <> 'D'`);
  if (guard.rowCount === 0) return 'the template has no change guard (it needs a superuser to build it)';
  const objects = await client.query<{ lo: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_largeobject_metadata) AS lo`);
  if (objects.rows[0]!.lo) return 'the template has large objects';
  const found = await client.query<{ oid: number; name: string; kind: string; truncatable: boolean; triggers: boolean; rules: boolean; refs: number[] }>(
    `SELECT c.oid::int AS oid, format('%I.%I', n.nspname, c.relname) AS name, c.relkind AS kind,
            has_table_privilege(c.oid, 'TRUNCATE') AS truncatable,
            EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal) AS triggers,
            EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN') AS rules,
            ARRAY(SELECT f.confrelid::int FROM pg_constraint f WHERE f.conrelid = c.oid AND f.contype = 'f') AS refs
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', ${lit(GUARD_SCHEMA)}) AND n.nspname !~ '^pg_(toast|temp)'
        AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
      ORDER BY 2`,
  );
  const blocked = found.rows.find((t) => !t.truncatable);
  if (blocked) return `table ${blocked.name} can be written but not truncated by a space's role`;
  const ordered = referencingFirst(found.rows);
  const tables: ResetPlan['tables'] = [];
  for (const t of ordered ?? found.rows) {
    if (t.kind !== 'r') {
      tables.push({ name: t.name });
      continue;
    }
    const { rows } = await client.query<{ md5: string; any: boolean }>(`SELECT ${rowsDigest(t.name)} AS md5, EXISTS (SELECT 1 FROM ONLY ${t.name}) AS any`);
    if (!rows[0]!.any) tables.push({ name: t.name });
    else if (t.triggers || t.rules) return `table ${t.name} has rows in the template and triggers or rules that would see them put back`;
    else tables.push({ name: t.name, seed: { rows: await copyOut(client, `COPY ${t.name} TO STDOUT`), md5: rows[0]!.md5 } });
  }
  const cheap = ordered !== undefined && found.rows.every((t) => t.kind === 'r' && !t.triggers && !t.rules);
  const seqs = await client.query<{ name: string; settable: boolean }>(
    // CASE: the planner may run a WHERE's function before the relkind test, and these refuse non-sequences.
    `SELECT name, settable FROM (
       SELECT format('%I.%I', n.nspname, c.relname) AS name,
              CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'UPDATE') END AS settable,
              CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'USAGE, UPDATE') END AS advanceable
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'S' AND n.nspname !~ '^pg_temp') s
      WHERE advanceable ORDER BY 1`,
  );
  const stuck = seqs.rows.find((s) => !s.settable);
  if (stuck) return `sequence ${stuck.name} can be advanced but not set back by a space's role`;
  const sequences: ResetPlan['sequences'] = [];
  for (const s of seqs.rows) {
    const { rows } = await client.query<{ value: string; called: boolean }>(`SELECT last_value::text AS value, is_called AS called FROM ${s.name}`);
    sequences.push({ name: s.name, ...rows[0]! });
  }
  return { tables, mode: cheap ? 'delete' : 'truncate', sequences };
}

/** `tables` ordered so each comes before the tables it references; undefined if references go round (or a table references itself). */
function referencingFirst<T extends { oid: number; refs: number[] }>(tables: T[]): T[] | undefined {
  const byOid = new Map(tables.map((t) => [t.oid, t]));
  const out: T[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (t: T): boolean => {
    if (state.get(t.oid) === 'done') return true;
    if (state.get(t.oid) === 'visiting') return false;
    state.set(t.oid, 'visiting');
    for (const ref of t.refs) {
      const target = byOid.get(ref);
      if (target && !visit(target)) return false;
    }
    state.set(t.oid, 'done');
    out.push(t);
    return true;
  };
  for (const t of tables) if (!visit(t)) return undefined;
  return out.reverse(); // visited referenced-first; deleting goes the other way
}

async function copyOut(client: pg.ClientBase, statement: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(client.query(copyTo(statement)), new Writable({ write: (chunk: Buffer, _enc, done) => (chunks.push(chunk), done()) }));
  return Buffer.concat(chunks);
}

/**
 * Puts a space back into its template's state, through `client`, a session of
 * the space's role (warm: no new backend) that nobody else shares. Returns why
 * it could not (the schema changed, a prepared transaction is pending), or
 * undefined when done. Only tables that differ from the template are touched,
 * all in one transaction.
 */
export async function resetSpace(client: pg.ClientBase, plan: ResetPlan): Promise<string | undefined> {
  await client.query('DISCARD ALL'); // the session's own state: settings, temp objects, prepared statements, locks, LISTEN
  const differs = plan.tables.map((t) => (t.seed ? `${rowsDigest(t.name)} <> ${lit(t.seed.md5)}` : `EXISTS (SELECT 1 FROM ONLY ${t.name})`));
  const { rows } = await client.query<{ changed: boolean; prepared: boolean; differs: boolean[] }>(
    `SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
                     WHERE d.datname = current_database() AND s.setrole = 0 AND ${lit(`${CHANGED}=on`)} = ANY (s.setconfig)) AS changed,
            EXISTS (SELECT 1 FROM pg_prepared_xacts WHERE database = current_database()) AS prepared,
            ARRAY[${differs.join(', ') || 'NULL'}]::boolean[] AS differs`,
  );
  if (rows[0]!.changed) return 'its schema changed';
  if (rows[0]!.prepared) return 'it has a prepared transaction';
  const dirty = plan.tables.filter((_, i) => rows[0]!.differs[i]);
  const clear =
    dirty.length === 0 ? '' : plan.mode === 'delete' ? dirty.map((t) => `DELETE FROM ONLY ${t.name}; `).join('') : `TRUNCATE ${plan.tables.map((t) => t.name).join(', ')}; `;
  const sets = plan.sequences.map((s) => `pg_catalog.setval(${lit(s.name)}, ${s.value}, ${s.called})`);
  await client.query(`BEGIN; ${clear}`);
  try {
    const refill = plan.mode === 'delete' ? dirty : dirty.length > 0 ? plan.tables : [];
    for (const t of refill) if (t.seed) await pipeline(Readable.from([t.seed.rows]), client.query(copyFrom(`COPY ${t.name} FROM STDIN`)));
    await client.query(`${sets.length > 0 ? `SELECT ${sets.join(', ')}; ` : ''}SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata; COMMIT`);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return undefined;
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
      const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`, [name]);
      if (rows.some((r) => !own.includes(r.pid))) throw new Error('a session other than its pool\'s is in it');
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
export async function reissueSpace(admin: AdminDb, old: string, registryRenameSql: (from: string, to: string) => string): Promise<SpaceIdentity> {
  const name = newSpaceName();
  const password = randomPassword();
  const [o, n] = [q(old), q(name)];
  // One implicit transaction (a multi-statement query): all of it, or nothing.
  await admin.query(
    `CREATE ROLE ${n} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${lit(scramVerifier(password))} IN ROLE ${q(OWNER_ROLE)};
     ALTER DATABASE ${o} RENAME TO ${n};
     REVOKE ALL ON DATABASE ${n} FROM ${o}; GRANT CONNECT, TEMPORARY, CREATE ON DATABASE ${n} TO ${n};
     DROP ROLE ${o};
     ${registryRenameSql(old, name)}`,
  );
  return { name, password };
}
