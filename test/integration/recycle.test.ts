import { expect } from 'chai';
import pg from 'pg';
import { RUN_ID_VAR, Session, type HeldSpace } from '../../internal/integration/core/session.js';
import type { Space } from '../../internal/integration/core/space.js';
import { migrators } from '../../pgspace.config.js';
import { runServer, withAdmin } from '../support/admin.js';
import { pollUntil } from '../../internal/integration/core/poll.js';

// A passing test's space is recycled for a later test when its schema is unchanged: then the
// later test must see exactly what a fresh space shows. For each kind of change a test can
// make, a space is changed and released as passing, and the next holder of that database
// (found by its OID under its new name) is compared with a fresh space: schema, privileges,
// settings, large objects, locks, every row and every sequence.

/** Everything a holder of `space` can observe of it, with its own role and database names written as <role>/<db>. */
async function observe(space: Space): Promise<string[]> {
  const c = await space.pool.connect();
  try {
    const { rows } = await c.query<{ line: string }>(`
      SELECT 'class ' || c.oid::regclass || ' ' || c.relkind::text || ' acl ' || coalesce(c.relacl::text, '-') || ' comment ' || coalesce(obj_description(c.oid, 'pg_class'), '-') AS line
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      UNION ALL SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull || ' ' || coalesce(a.attacl::text, '-')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      UNION ALL SELECT 'schema ' || nspname || ' ' || coalesce(nspacl::text, '-') || ' ' || coalesce(obj_description(oid, 'pg_namespace'), '-') FROM pg_namespace WHERE nspname !~ '^pg_(toast|temp)'
      UNION ALL SELECT 'function ' || oid::regprocedure || ' ' || coalesce(proacl::text, '-') FROM pg_proc WHERE pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
      UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace <> 'pg_catalog'::regnamespace
      UNION ALL SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger
      UNION ALL SELECT 'policy ' || polrelid::regclass || ' ' || polname FROM pg_policy
      UNION ALL SELECT 'default acl ' || defaclacl::text FROM pg_default_acl
      UNION ALL SELECT 'event trigger ' || evtname || ' ' || evtenabled::text FROM pg_event_trigger
      UNION ALL SELECT 'large object ' || oid FROM pg_largeobject_metadata
      UNION ALL SELECT 'database acl ' || datacl::text FROM pg_database WHERE datname = current_database()
      UNION ALL SELECT 'setting ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
       WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) OR setrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
      UNION ALL SELECT 'prepared transaction ' || gid FROM pg_prepared_xacts WHERE database = current_database()
      UNION ALL SELECT 'advisory lock ' || objid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      UNION ALL SELECT 'listening ' || pg_listening_channels()
      UNION ALL SELECT 'prepared statement ' || name FROM pg_prepared_statements`);
    const lines = rows.map((r) => r.line);
    const tables = await c.query<{ name: string }>(
      `SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'`,
    );
    for (const { name } of tables.rows) {
      const data = await c.query<{ rows: string }>(`SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') AS rows FROM ${name} t`);
      lines.push(`rows of ${name}: ${data.rows[0]!.rows}`);
    }
    const seqs = await c.query<{ name: string }>(`SELECT c.oid::regclass::text AS name FROM pg_class c WHERE c.relkind = 'S'`);
    for (const { name } of seqs.rows) {
      const s = await c.query<{ v: string }>(`SELECT last_value || ' ' || is_called AS v FROM ${name}`);
      lines.push(`sequence ${name}: ${s.rows[0]!.v}`);
    }
    return lines.map((l) => l.replaceAll(space.role, '<role>').replaceAll(space.database, '<db>')).sort();
  } finally {
    c.release();
  }
}

async function nameOf(oid: number): Promise<string | undefined> {
  return withAdmin(async (admin) => (await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE oid = $1', [oid])).rows[0]?.datname);
}

async function oidOf(database: string): Promise<number | undefined> {
  return withAdmin(async (admin) => (await admin.query<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = $1', [database])).rows[0]?.oid);
}

describe('a recycled space is in the template state', function () {
  this.timeout(60_000);
  let session: Session;
  let fresh: string[];

  before(async function () {
    // A session of its own, one ready space at a time, so the changed space comes back within a few takes.
    session = new Session(runServer(), Number(process.env[RUN_ID_VAR]), 1, 1);
    const first = await session.acquire(migrators.trainings, 'recycle: fresh');
    fresh = await observe(first.space);
    await session.release([first], 'recycle: fresh', false);
  });

  after(async function () {
    await session?.close();
  });

  /** Changes a space with `change` (as its role), releases it as passing, and returns the next holder of its database, if any within ten takes. */
  async function afterChange(change: (space: Space, client: pg.PoolClient) => Promise<unknown>): Promise<{ next?: HeldSpace; recycled: boolean; oid?: number }> {
    const held = await session.acquire(migrators.trainings, 'recycle: changes');
    const oid = await oidOf(held.space.database);
    const client = await held.space.pool.connect();
    try {
      await change(held.space, client);
    } finally {
      client.release();
    }
    await session.release([held], 'recycle: changes', false);
    // Recycled (renamed) or dropped: the background work says which.
    const fate = await pollUntil(
      'the space to be recycled or dropped',
      async () => {
        const name = await nameOf(oid!);
        return name === undefined ? 'dropped' : name !== held.space.database ? 'recycled' : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 5 },
    );
    if (fate === 'dropped') return { recycled: false, oid };
    // The others taken meanwhile are held, not released: released, they would come back recycled too and crowd it out.
    const others: HeldSpace[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const next = await session.acquire(migrators.trainings, 'recycle: next');
        if ((await oidOf(next.space.database)) === oid) return { next, recycled: true };
        others.push(next);
      }
      return { recycled: false, oid };
    } finally {
      await session.release(others, 'recycle: next', false);
    }
  }

  const recycledAfter: [string, (space: Space, c: pg.PoolClient) => Promise<unknown>][] = [
    ['rows inserted, updated and deleted (seeded rows too)', (_s, c) =>
      c.query(`INSERT INTO hours (trainer_id, starts_at) VALUES ('t', now()); UPDATE pgmigrations SET name = 'x'; DELETE FROM pgmigrations WHERE id = 1`)],
    ['sequences advanced', (_s, c) => c.query(`SELECT nextval('pgmigrations_id_seq'); SELECT nextval('pgmigrations_id_seq')`)],
    ['large objects', (_s, c) => c.query(`SELECT lo_from_bytea(0, 'secret')`)],
    ['ALTER ROLE … SET', (s, c) => c.query(`ALTER ROLE ${pg.escapeIdentifier(s.role)} SET work_mem = '7MB'`)],
    ['temporary objects', (_s, c) => c.query(`CREATE TEMP TABLE scratch (x int); INSERT INTO scratch VALUES (1)`)],
    ['prepared statements', (_s, c) => c.query(`PREPARE p AS SELECT 1`)],
    ['advisory locks', (_s, c) => c.query(`SELECT pg_advisory_lock(42)`)],
    ['LISTEN', (_s, c) => c.query(`LISTEN channel`)],
  ];
  for (const [kind, change] of recycledAfter) {
    it(`is recycled after ${kind}, and the next test sees the template's state`, async function () {
      const { next, recycled } = await afterChange(change);
      expect(recycled, 'recycled').to.equal(true);
      expect(await observe(next!.space)).to.deep.equal(fresh);
      await session.release([next!], 'recycle: next', false);
    });
  }

  const droppedAfter: [string, (space: Space, c: pg.PoolClient) => Promise<unknown>][] = [
    ['a new table', (_s, c) => c.query(`CREATE TABLE extra (x int)`)],
    ['a new column', (_s, c) => c.query(`ALTER TABLE hours ADD COLUMN extra int`)],
    ['a dropped index', (_s, c) => c.query(`DROP INDEX IF EXISTS hours_trainer_id_starts_at_key; DROP TABLE trainings`)],
    ['a GRANT', (_s, c) => c.query(`GRANT SELECT ON hours TO PUBLIC`)],
    ['a REVOKE', (_s, c) => c.query(`REVOKE ALL ON hours FROM PUBLIC`)],
    ['a COMMENT', (_s, c) => c.query(`COMMENT ON TABLE hours IS 'changed'`)],
    ['ALTER DEFAULT PRIVILEGES', (_s, c) => c.query(`ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC`)],
    ['a function', (_s, c) => c.query(`CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'`)],
  ];
  for (const [kind, change] of droppedAfter) {
    it(`is dropped, not recycled, after ${kind}`, async function () {
      const { recycled, oid } = await afterChange(change);
      expect(recycled, 'recycled').to.equal(false);
      expect(await nameOf(oid!), 'the changed database is dropped').to.equal(undefined);
    });
  }

  it('is dropped when a change was made and undone (the guard marks the database, not the difference)', async function () {
    const { recycled } = await afterChange((_s, c) => c.query(`CREATE TABLE extra (x int); DROP TABLE extra`));
    expect(recycled).to.equal(false);
  });

  it('is recycled when the DDL was rolled back', async function () {
    const { next, recycled } = await afterChange((_s, c) => c.query(`BEGIN; CREATE TABLE extra (x int); ROLLBACK`));
    expect(recycled).to.equal(true);
    expect(await observe(next!.space)).to.deep.equal(fresh);
    await session.release([next!], 'recycle: next', false);
  });

  it('gives the next holder a new role and name, and the old role cannot log in', async function () {
    let old: Space | undefined;
    const { next, recycled } = await afterChange(async (s) => (old = { ...s }));
    expect(recycled).to.equal(true);
    expect(next!.space.name).not.to.equal(old!.name);
    expect(next!.space.password).not.to.equal(old!.password);
    const roles = await withAdmin(async (a) => (await a.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [[old!.role, next!.space.role]])).rows.map((r) => r.rolname));
    expect(roles).to.deep.equal([next!.space.role]);
    const login = new pg.Client({ host: old!.host, port: old!.port, user: old!.role, password: old!.password, database: next!.space.database });
    login.on('error', () => undefined);
    const refused = await login.connect().then(() => 'connected', (err: { code?: string }) => err.code);
    await login.end().catch(() => undefined);
    expect(refused).to.be.oneOf(['28000', '28P01']); // refused by pg_hba.conf (sealed server), or an unknown role
    await session.release([next!], 'recycle: next', false);
  });
});
