import { expect } from 'chai';
import pg from 'pg';
import { PgspaceError } from '../../internal/integration/index.js';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { migrators } from '../../pgspace.config.js';

const seen = new Set<string>();

describe('newSpace: isolation', function () {
  // Symmetric on purpose: whichever runs second would see the other's row
  // or database if spaces leaked, in any order and in parallel.
  for (const label of ['first', 'second']) {
    it(`gives the ${label} test a database of its own, with no rows from other tests`, async function () {
      const space = await newSpace(this);
      // A recycled space keeps its name (and its warm session), with a new password.
      expect(seen.has(space.password)).to.equal(false);
      seen.add(space.password);
      await space.pool.query(`INSERT INTO hours (trainer_id, starts_at) VALUES ($1, now())`, [label]);
      const { rows } = await space.pool.query<{ trainer_id: string }>('SELECT trainer_id FROM hours');
      expect(rows.map((r) => r.trainer_id)).to.deep.equal([label]);
    });
  }

  it('logs in as the space role, which is not privileged', async function () {
    const space = await newSpace(this);
    const { rows } = await space.pool.query(
      `SELECT current_user AS user, current_database() AS db, rolsuper, rolcreatedb, rolcreaterole
         FROM pg_roles WHERE rolname = current_user`,
    );
    expect(rows[0]).to.deep.equal({ user: space.role, db: space.database, rolsuper: false, rolcreatedb: false, rolcreaterole: false });
  });

  it('lets the role use every table and sequence of the migrated schema', async function () {
    const space = await newSpace(this);
    const { rows: hour } = await space.pool.query<{ id: string }>(
      `INSERT INTO hours (trainer_id, starts_at) VALUES ('t', now()) RETURNING id`,
    );
    await space.pool.query(`INSERT INTO trainings (hour_id, attendee_id) VALUES ($1, 'a')`, [hour[0]!.id]);
    await space.pool.query(`SELECT nextval('hours_id_seq')`);
    await space.pool.query(`UPDATE hours SET status = 'training_scheduled'`);
    await space.pool.query(`DELETE FROM trainings`);
    await space.pool.query(`ALTER TABLE hours ADD COLUMN note text`); // full ownership, e.g. for test-only fixtures
  });

  it('renders config.d for the space, in the format the service reads', async function () {
    const space = await newSpace(this);
    expect(space.config.trainings).to.include({
      TRAININGS_DB_HOST: space.host,
      TRAININGS_DB_PORT: String(space.port),
      TRAININGS_DB_NAME: space.database,
      TRAININGS_DB_USER: space.role,
      TRAININGS_DB_PASSWORD: space.password,
    });
    const client = new pg.Client({
      host: space.config.trainings!.TRAININGS_DB_HOST,
      port: Number(space.config.trainings!.TRAININGS_DB_PORT),
      database: space.config.trainings!.TRAININGS_DB_NAME,
      user: space.config.trainings!.TRAININGS_DB_USER,
      password: space.config.trainings!.TRAININGS_DB_PASSWORD,
    });
    await client.connect();
    const { rows } = await client.query('SELECT current_user AS u');
    await client.end();
    expect(rows[0].u).to.equal(space.role);
  });

  it('builds a space from another schema when given its migrator', async function () {
    const space = await newSpace(this, { migrator: migrators.users });
    const { rows } = await space.pool.query(`SELECT to_regclass('users') AS users, to_regclass('hours') AS hours`);
    expect(rows[0]).to.deep.equal({ users: 'users', hours: null });
  });
});

describe('newSpace: titles that are hard to turn into names', function () {
  const titles = [
    `quotes ' " and \`backticks\``,
    `'; DROP DATABASE postgres; --`,
    'unicode ✓ 日本語 Ünïcödé 🐘',
    'long '.repeat(60),
    '🐘🐘🐘',
  ];
  for (const title of titles) {
    it(title, async function () {
      const space = await newSpace(this);
      const { rows } = await space.pool.query('SELECT current_database() AS db');
      expect(rows[0].db).to.equal(space.database);
    });
  }
});

describe('newSpace: misuse gets a clear error', function () {
  let fromBeforeAll: unknown;
  before(async function () {
    fromBeforeAll = await newSpace(this).catch((err: unknown) => err);
  });

  it('refuses a before() hook, whose space every test would share', function () {
    expect(fromBeforeAll)
      .to.be.instanceOf(PgspaceError)
      .with.property('message')
      .that.matches(/inside a test or a beforeEach hook/);
  });

  it('refuses a missing mocha context (an arrow function has no `this`)', async function () {
    const error = await newSpace(undefined as unknown as Mocha.Context).catch((err: unknown) => err);
    expect(error)
      .to.be.instanceOf(PgspaceError)
      .with.property('message')
      .that.matches(/not an arrow/);
  });
});
