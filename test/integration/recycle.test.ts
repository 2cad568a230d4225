import { expect } from 'chai';
import pg from 'pg';
import { lineage, Session, type HeldSpace } from '../../internal/integration/session/session.js';
import { dropSpace } from '../../internal/integration/spaces/spaces.js';
import type { Space } from '../../internal/integration/session/space.js';
import type { Migrator } from '../../internal/integration/templates/migrator.js';
import { pollUntil } from '../../internal/integration/common/poll.js';
import { clientConfig } from '../../internal/integration/server/server.js';
import { migrators } from '../../pgspace.config.js';
import { tenants } from '../fixtures/schemas/tenants/schema.js';
import { adminQuery, ownRun, runServer, withAdmin } from '../support/admin.js';
import { sessionState, spaceState, stateDiff } from '../support/space-state.js';
import { sqlMigrator } from '../support/sql-migrator.js';

// A passing test's space is recycled for a later test when it can be put back into its
// template's state: then the later test must find exactly what a fresh clone holds. For each
// kind of change a test can make, a space is changed and released as passing, and the next
// holder of that database (found by its OID under its new name) is compared, as the admin
// sees it (every schema, every owner, row-level security off: test/support/space-state.ts),
// with a fresh space of the same template. Changes that cannot be undone must get the space
// dropped instead.

type Change = (space: Space, client: pg.PoolClient) => Promise<unknown>;

async function nameOf(oid: number): Promise<string | undefined> {
  return (await adminQuery<{ datname: string }>('SELECT datname FROM pg_database WHERE oid = $1', [oid])).rows[0]?.datname;
}

/** How many tests held space `name` before its present one (its lineage in the registry); 0 for a fresh clone. */
async function timesRecycled(name: string): Promise<number> {
  const { rows } = await adminQuery<{ n: number | null }>(`SELECT (lineage->>'count')::int AS n FROM pgspace.spaces WHERE name = $1`, [
    name,
  ]);
  return rows[0]?.n ?? 0;
}

/** Releases `held` as a passing test's, waits until it is recycled, and takes spaces until it comes back; the others go back. */
async function takeAgain(session: Session, migrator: Migrator, held: HeldSpace, title: string): Promise<HeldSpace> {
  const times = await timesRecycled(held.space.name);
  await session.release([held], title, false);
  await pollUntil('the space to be recycled', async () => ((await timesRecycled(held.space.name)) > times ? true : undefined), {
    timeoutMs: 10_000,
    intervalMs: 5,
  });
  // The others taken meanwhile are held until then: released, they would come back recycled too and crowd it out.
  const others: HeldSpace[] = [];
  try {
    for (;;) {
      const next = await session.acquire(migrator, `${title}: next`);
      if (next.space.name === held.space.name) return next;
      others.push(next);
    }
  } finally {
    await session.release(others, `${title}: next`, false);
  }
}

async function oidOf(database: string): Promise<number> {
  return (await adminQuery<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = $1', [database])).rows[0]!.oid;
}

/**
 * The tests of one schema: `recycled` changes must come back as fresh, `dropped` ones must not come
 * back; with `handover`, also what the next holder gets (a new role, the lineage note).
 */
function recyclingOf(
  schema: string,
  migrator: Migrator,
  recycled: [string, Change][],
  dropped: [string, Change][],
  handover = false,
): void {
  describe(`a recycled space of the ${schema} schema is its template's state, as the admin sees it`, function () {
    this.timeout(60_000);
    const run = ownRun(); // the first space is a fresh clone, not one another test's session left ready for this run
    let session: Session;
    let fresh: string[];
    let freshSession: string[];

    before(async function () {
      session = new Session(runServer(), run(), 1, 1);
      const first = await session.acquire(migrator, 'recycle: fresh');
      expect(lineage(first)).to.equal('a fresh clone of its template');
      fresh = await spaceState(first.space.database);
      freshSession = await sessionState(first.space.pool, first.space.role);
      await session.release([first], 'recycle: fresh', false);
      await session.close();
    });

    // A session of its own for each test, one ready space at a time, so the changed space comes back within a few takes.
    beforeEach(function () {
      session = new Session(runServer(), run(), 1, 1);
    });

    afterEach(async function () {
      await session.close();
    });

    /** Changes a space with `change` (as its role), releases it as passing, and returns the next holder of its database, if any within ten takes. */
    async function afterChange(change: Change): Promise<{ next?: HeldSpace; recycled: boolean; oid: number }> {
      const held = await session.acquire(migrator, 'recycle: changes');
      const oid = await oidOf(held.space.database);
      const client = await held.space.pool.connect();
      try {
        await change(held.space, client);
      } finally {
        client.release();
      }
      const before = await timesRecycled(held.space.name);
      await session.release([held], 'recycle: changes', false);
      // Recycled (its lineage grew) or dropped: the background work says which.
      const fate = await pollUntil(
        'the space to be recycled or dropped',
        async () => {
          if ((await nameOf(oid)) === undefined) return 'dropped';
          return (await timesRecycled(held.space.name)) > before ? 'recycled' : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 5 },
      );
      if (fate === 'dropped') return { recycled: false, oid };
      // The others taken meanwhile are held, not released: released, they would come back recycled too and crowd it out.
      const others: HeldSpace[] = [];
      try {
        for (let i = 0; i < 10; i++) {
          const next = await session.acquire(migrator, 'recycle: next');
          if ((await oidOf(next.space.database)) === oid) return { next, recycled: true, oid };
          others.push(next);
        }
        return { recycled: false, oid };
      } finally {
        await session.release(others, 'recycle: next', false);
      }
    }

    for (const [kind, change] of recycled) {
      it(`is recycled after ${kind}, and the next test finds the template's state`, async function () {
        const { next, recycled } = await afterChange(change);
        expect(recycled, 'recycled').to.equal(true);
        const state = await spaceState(next!.space.database);
        const mine = await sessionState(next!.space.pool, next!.space.role);
        await session.release([next!], 'recycle: next', false);
        expect(stateDiff(state, fresh), 'what the recycled space holds (+) or lacks (-) against a fresh one').to.deep.equal([]);
        expect(stateDiff(mine, freshSession), "what the next test's session has (+) or lacks (-) against a new one").to.deep.equal([]);
      });
    }

    for (const [kind, change] of dropped) {
      it(`is dropped, not recycled, after ${kind}`, async function () {
        const { recycled, oid } = await afterChange(change);
        expect(recycled, 'recycled').to.equal(false);
        expect(await nameOf(oid), 'the changed database is dropped').to.equal(undefined);
      });
    }

    if (!handover) return;

    it("gives the next holder a new password (the old one no longer logs in) and the space's warm session; the earlier test's pool refuses to work", async function () {
      let old: Space | undefined;
      const { next, recycled } = await afterChange(async (s) => (old = { ...s }));
      expect(recycled).to.equal(true);
      expect(next!.space.name, 'the same database and role, with its warm session').to.equal(old!.name);
      expect(next!.space.password).not.to.equal(old!.password);
      // Over TCP, where the password counts (the embedded server's socket trusts its OS user).
      const host = next!.space.host.startsWith('/') ? '127.0.0.1' : next!.space.host;
      const login = async (password: string) => {
        const client = new pg.Client({ host, port: next!.space.port, user: next!.space.role, password, database: next!.space.database });
        client.on('error', () => undefined);
        const result = await client.connect().then(
          () => 'connected',
          (err: { code?: string }) => err.code,
        );
        await client.end().catch(() => undefined);
        return result;
      };
      expect(await login(old!.password), "the earlier test's password").to.equal('28P01');
      expect(await login(next!.space.password), 'the new one').to.equal('connected');
      expect(() => old!.pool.query('SELECT 1')).to.throw(`space.pool of space ${old!.name} was used after its test ended`);
      await session.release([next!], 'recycle: next', false);
    });

    /** Runs `use` in a space as a passing test, and returns the backends its session had, and the next holder's backend and session state. */
    async function sessionAfter(
      use: (c: pg.PoolClient) => Promise<unknown>,
      probe = 'SELECT 1 AS one',
    ): Promise<{ before: number[]; after: number; state: string[]; probed: unknown }> {
      const held = await session.acquire(migrator, 'recycle: session');
      const client = await held.space.pool.connect();
      try {
        await use(client);
      } finally {
        client.release();
      }
      const { rows } = await adminQuery<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [held.space.database]);
      const next = await takeAgain(session, migrator, held, 'recycle: session');
      const after = (await next.space.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const probed = (await next.space.pool.query(probe)).rows[0];
      const state = await sessionState(next.space.pool, next.space.role);
      await session.release([next], 'recycle: next', false);
      return { before: rows.map((r) => r.pid), after, state, probed };
    }

    it('hands on the session its test used, warm (no new backend), and the next test finds it as a new one', async function () {
      const { before, after, state } = await sessionAfter((c) =>
        c.query(
          `BEGIN; INSERT INTO hours (trainer_id, starts_at) VALUES ('t', now()); COMMIT; SET work_mem = '9MB';
           CREATE TEMP TABLE scratch (x int); PREPARE p AS SELECT 1; SELECT pg_advisory_lock(42); DECLARE cur CURSOR WITH HOLD FOR SELECT 1;
           SET ROLE pgspace_owner`,
        ),
      );
      expect([after], 'the same backend').to.deep.equal(before);
      expect(stateDiff(state, freshSession), "what the next test's session has (+) or lacks (-) against a new one").to.deep.equal([]);
    });

    for (const [what, sql] of [
      ['SET app.tenant', `SET app.tenant = 'x'`],
      ['set_config()', `SELECT set_config('app.tenant', 'x', true)`],
      ['a DO block', `DO $$ BEGIN PERFORM 1; END $$`],
      ['LISTEN', `LISTEN channel`],
      ['a commented-out SET (SET/**/app.tenant)', `SET/**/app.tenant = 'x'`],
      ['a SET of a custom setting after a line comment', `SET -- the tenant\n app.tenant = 'x'`],
      ['set_config through query_to_xml', `SELECT query_to_xml('SELECT set' || '_config(''app.tenant'', ''x'', false)', false, false, '')`],
      ['a Unicode-escaped name', `SET U&"\\0061pp".tenant = 'x'`],
    ]) {
      it(`ends a session that ran ${what} (a custom setting outlives DISCARD ALL): the next test gets a new one`, async function () {
        const { before, after, state } = await sessionAfter((c) => c.query(sql!));
        expect(before, 'a new backend').not.to.include(after);
        expect(stateDiff(state, freshSession), "what the next test's session has (+) or lacks (-) against a new one").to.deep.equal([]);
      });
    }

    it('ends a session whose client the test gave a listener, and hands on the next test a new one', async function () {
      const { before, after, state } = await sessionAfter(async (c) => {
        c.on('end', () => undefined);
        await c.query('SELECT 1');
      });
      expect(before, 'a new backend').not.to.include(after);
      expect(stateDiff(state, freshSession)).to.deep.equal([]);
    });

    it("gives random() a new seed: the next test's random() is not what follows the earlier test's setseed()", async function () {
      const seeded = new pg.Client(clientConfig(runServer()));
      await seeded.connect();
      const [, followed] = (await seeded.query(`SELECT setseed(0.42); SELECT random() AS r`)) as unknown as pg.QueryResult[];
      await seeded.end();
      const { before, after, probed } = await sessionAfter((c) => c.query('SELECT setseed(0.42)'), 'SELECT random() AS r');
      expect([after], 'the same backend, kept').to.deep.equal(before);
      expect(probed).not.to.deep.equal(followed!.rows[0]);
    });

    for (const [what, change] of [
      ['a listener on space.pool', (s: Space) => void s.pool.on('connect', () => undefined)],
      ['a method of space.pool replaced', (s: Space) => void Object.assign(s.pool, { query: () => Promise.resolve({ rows: [] }) })],
    ] as const) {
      it(`is dropped, not recycled, after ${what}: the next test's pool must be as new`, async function () {
        const { recycled } = await afterChange(async (s) => change(s));
        expect(recycled).to.equal(false);
      });
    }

    it("leaves an earlier test's clients unusable: a client it kept after its test refuses to work", async function () {
      let kept: pg.PoolClient | undefined;
      const { recycled } = await afterChange(async (s) => {
        kept = await s.pool.connect();
        kept.release();
      });
      expect(recycled).to.equal(true);
      expect(() => kept!.query('SELECT 1')).to.throw(/a client of space.pool of space \w+ was used after its test ended/);
    });

    it('says where a space came from: the note of a failing test names the tests that held it before', async function () {
      const { next, recycled } = await afterChange(async () => undefined);
      expect(recycled).to.equal(true);
      // The latest holder first (the space may have gone round before: ready spaces are the run's, shared by its sessions).
      expect(lineage(next!)).to.match(/^recycled: held before by "recycle: changes"(, "recycle: \w+")*( and \d+ earlier)?$/);
      const { notes } = await session.release([next!], 'recycle: fails', true);
      try {
        expect(notes).to.have.length(1);
        expect(notes[0]).to.match(
          /^space kept for debugging: pgs_recycle_fails_\w+\n  psql '[^']+'\n  recycled: held before by "recycle: changes".* \(PGSPACE_RECYCLE=0 gives every test a fresh clone\)$/,
        );
      } finally {
        await withAdmin((admin) => dropSpace(admin, runServer(), next!.space.name));
      }
    });
  });
}

/** What a test can do to any space: session state, its role's settings, large objects of its own. */
const sessionChanges: [string, Change][] = [
  ['ALTER ROLE … SET', (s, c) => c.query(`ALTER ROLE ${pg.escapeIdentifier(s.role)} SET work_mem = '7MB'`)],
  ['temporary objects', (_s, c) => c.query(`CREATE TEMP TABLE scratch (x int); INSERT INTO scratch VALUES (1)`)],
  ['prepared statements', (_s, c) => c.query(`PREPARE p AS SELECT 1`)],
  ['advisory locks', (_s, c) => c.query(`SELECT pg_advisory_lock(42)`)],
  ['LISTEN', (_s, c) => c.query(`LISTEN channel`)],
  ['session settings, a custom one and a role', (_s, c) => c.query(`SET work_mem = '9MB'; SET app.tenant = 'x'; SET ROLE pgspace_owner`)],
  ['a cursor and a sequence used', (_s, c) => c.query(`DECLARE cur CURSOR WITH HOLD FOR SELECT 1; SELECT nextval('pgmigrations_id_seq')`)],
  ['large objects of its own', (_s, c) => c.query(`SELECT lo_from_bytea(0, 'secret'), lo_from_bytea(0, 'more')`)],
];

/** Schema changes: the change guard must see them, and the space must go. */
const ddl: [string, Change][] = [
  ['a new table', (_s, c) => c.query(`CREATE TABLE extra (x int)`)],
  [
    'a new table, dropped again (the guard marks the database, not the difference)',
    (_s, c) => c.query(`CREATE TABLE extra (x int); DROP TABLE extra`),
  ],
  ['a GRANT', (_s, c) => c.query(`GRANT USAGE ON SCHEMA public TO PUBLIC`)],
  ['a COMMENT', (_s, c) => c.query(`COMMENT ON SCHEMA public IS 'changed'`)],
  ['ALTER DEFAULT PRIVILEGES', (_s, c) => c.query(`ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC`)],
  ['a function', (_s, c) => c.query(`CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'`)],
];

recyclingOf(
  'trainings',
  migrators.trainings,
  [
    [
      'rows inserted, updated and deleted (seeded rows too)',
      (_s, c) =>
        c.query(
          `INSERT INTO hours (trainer_id, starts_at) VALUES ('t', now()); UPDATE pgmigrations SET name = 'x'; DELETE FROM pgmigrations WHERE id = 1`,
        ),
    ],
    ['sequences advanced', (_s, c) => c.query(`SELECT nextval('pgmigrations_id_seq'); SELECT nextval('pgmigrations_id_seq')`)],
    ['DDL rolled back', (_s, c) => c.query(`BEGIN; CREATE TABLE extra (x int); ROLLBACK`)],
    ...sessionChanges,
  ],
  [
    ['a new column', (_s, c) => c.query(`ALTER TABLE hours ADD COLUMN extra int`)],
    ['a dropped index and table', (_s, c) => c.query(`DROP INDEX IF EXISTS hours_trainer_id_starts_at_key; DROP TABLE trainings`)],
    ...ddl,
  ],
  true,
);

/** Runs `sql` in a session of the space as tenant `tenant` (row-level security sees that tenant's rows only). */
const asTenant =
  (tenant: string, sql: string): Change =>
  (_s, c) =>
    c.query(`BEGIN; SET LOCAL app.tenant = ${pg.escapeLiteral(tenant)}; ${sql}; COMMIT`);

recyclingOf(
  'tenants',
  tenants,
  [
    [
      'rows under FORCE row-level security, and the audit rows a definer trigger wrote',
      asTenant('t1', `INSERT INTO notes (body) VALUES ('mine'), ('also mine')`),
    ],
    [
      'seeded rows under FORCE row-level security changed',
      asTenant('seed', `UPDATE notes SET body = body || '!'; INSERT INTO note_tags VALUES (1, 2)`),
    ],
    ["another tenant's rows, hidden from the role, deleted through a definer function", (_s, c) => c.query(`SELECT purge_tenant('other')`)],
    ['a sequence the role may not use, advanced through a definer function', (_s, c) => c.query(`SELECT next_ticket(), next_ticket()`)],
    ['a superuser-owned table written through a definer function', (_s, c) => c.query(`SELECT bump('visits'), bump('new')`)],
    ['a rule that writes a second table', (_s, c) => c.query(`INSERT INTO events (kind) VALUES ('signup'), ('login')`)],
    [
      'rows routed to partitions, the default one too',
      (_s, c) => c.query(`INSERT INTO readings VALUES ('2030-01-02', 3), ('2001-01-01', 4); DELETE FROM readings WHERE value = 1`),
    ],
    [
      'inherited rows, through the parent',
      (_s, c) => c.query(`INSERT INTO dogs VALUES ('fido'); UPDATE animals SET name = 'max'; DELETE FROM ONLY animals`),
    ],
    ['an unlogged table behind a trigger', (_s, c) => c.query(`INSERT INTO cache VALUES ('k', 'v'); UPDATE cache SET value = 'bye'`)],
    [
      'foreign keys that go round, and cascades',
      (_s, c) =>
        c.query(`INSERT INTO people (home) VALUES (2); UPDATE folders SET home_of = 1 WHERE id = 2; DELETE FROM tags WHERE name = 'red'`),
    ],
    ['TRUNCATE … CASCADE of seeded tables', (_s, c) => c.query(`TRUNCATE tags, notes CASCADE`)],
    [
      'identity columns and sequences used',
      (_s, c) => c.query(`INSERT INTO tags (name) VALUES ('x'); SELECT nextval('folders_id_seq'), setval('events_id_seq', 99)`),
    ],
    [
      'rows frozen by VACUUM (FREEZE)',
      async (_s, c) => {
        await c.query(`INSERT INTO tags (name) VALUES ('frozen')`);
        await c.query(`VACUUM (FREEZE) tags`);
      },
    ],
    [
      'planner statistics from ANALYZE',
      (_s, c) => c.query(`INSERT INTO tags (name) SELECT 'tag ' || g FROM generate_series(1, 300) g; ANALYZE tags`),
    ],
    [
      'temporary objects, and rows through them',
      (_s, c) => c.query(`CREATE TEMP TABLE scratch AS SELECT * FROM tags; INSERT INTO tags (name) SELECT name || '?' FROM scratch`),
    ],
    ['ALTER ROLE … SET', sessionChanges[0]![1]],
  ],
  [
    ['CLUSTER … USING (a catalog change without DDL)', (_s, c) => c.query(`CLUSTER tags USING tags_by_name`)],
    ['REFRESH MATERIALIZED VIEW', (_s, c) => c.query(`INSERT INTO tags (name) VALUES ('new'); REFRESH MATERIALIZED VIEW tag_names`)],
    ['a trigger set to fire always', (_s, c) => c.query(`ALTER TABLE cache ENABLE ALWAYS TRIGGER cache_hits`)],
    ['a database setting made through a definer function', (_s, c) => c.query(`SELECT tune_database()`)],
    ['a new table, dropped again (the guard marks the database, not the difference)', ddl[1]![1]],
  ],
);

recyclingOf(
  'large-object',
  sqlMigrator(
    `CREATE TABLE files (id int PRIMARY KEY, lo oid NOT NULL); INSERT INTO files SELECT 1, lo_from_bytea(0, 'held by the template')`,
  ),
  [
    [
      'the large object the template holds read, large objects of its own, rows',
      (_s, c) => c.query(`SELECT lo_get(lo) FROM files; SELECT lo_from_bytea(0, 'mine'); INSERT INTO files VALUES (2, 0)`),
    ],
  ],
  [["a change to the template's large object", (_s, c) => c.query(`SELECT lo_put(lo, 0, '\\x41'::bytea) FROM files`)]],
);

describe('a schema with a function that makes a custom setting', function () {
  this.timeout(60_000);
  const run = ownRun();

  it("has its spaces' sessions end after each test: the setting's placeholder would outlive DISCARD ALL", async function () {
    const schema = sqlMigrator(
      `CREATE TABLE t (x int); CREATE FUNCTION use_tenant(t text) RETURNS text LANGUAGE sql AS $$ SELECT set_config('app.tenant', t, false) $$`,
    );
    const session = new Session(runServer(), run(), 1, 1);
    try {
      const first = await session.acquire(schema, 'custom setting: first');
      const pid = (await first.space.pool.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid, use_tenant('x')`)).rows[0]!.pid;
      const next = await takeAgain(session, schema, first, 'custom setting');
      const { rows } = await next.space.pool.query<{ pid: number; tenant: string | null }>(
        `SELECT pg_backend_pid() AS pid, current_setting('app.tenant', true) AS tenant`,
      );
      await session.release([next], 'custom setting: next', false);
      expect(rows[0], 'a new backend, where the setting does not exist').to.deep.equal({ pid: rows[0]!.pid, tenant: null });
      expect(rows[0]!.pid).not.to.equal(pid);
    } finally {
      await session.close();
    }
  });
});

describe('a template whose spaces cannot be put back by pgspace', function () {
  const run = ownRun();

  it('has them dropped after each test, and the run says why, once', async function () {
    const always = sqlMigrator(
      `CREATE TABLE t (x int); CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
       CREATE TRIGGER g BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f(); ALTER TABLE t ENABLE ALWAYS TRIGGER g`,
    );
    const said: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => (said.push(String(chunk)), true)) as typeof process.stderr.write;
    const session = new Session(runServer(), run(), 1, 1);
    try {
      for (let i = 0; i < 2; i++) {
        const held = await session.acquire(always, 'not recycled');
        const oid = await oidOf(held.space.database);
        await session.release([held], 'not recycled', false);
        await pollUntil('the space to be dropped', async () => ((await nameOf(oid)) === undefined ? true : undefined), {
          timeoutMs: 10_000,
          intervalMs: 5,
        });
      }
    } finally {
      process.stderr.write = write;
      await session.close();
    }
    const lines = said
      .join('')
      .split('\n')
      .filter((l) => l.includes('not recycled'));
    expect(lines).to.have.length(1);
    expect(lines[0], lines[0]).to.match(
      /^pgspace: spaces of template pgstpl_\w+ are dropped after each test, not recycled: trigger g on public\.t fires even while pgspace puts rows back \(ENABLE ALWAYS or REPLICA\)$/,
    );
  });
});
