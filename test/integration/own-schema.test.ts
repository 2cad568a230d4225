import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { nodePgMigrate } from '../../internal/integration/index.js';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { root } from '../support/run-mocha.js';

// Schemas as users bring them: a pg_dump (owners, COPY data, partitions, functions,
// triggers, views), node-pg-migrate .sql files, an extension only a superuser may
// create, and migrations that read files from elsewhere.

const schemas = path.join(root, 'test/fixtures/schemas');
const gymshop = nodePgMigrate(path.join(schemas, 'gymshop'), {
  setup: async (admin) => {
    await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  },
});

describe('a schema of your own', function () {
  it('restores a pg_dump with its data, every object usable by the space', async function () {
    const space = await newSpace(this, { migrator: gymshop });
    const counts = await space.pool.query(
      `SELECT (SELECT count(*) FROM members)::int AS members, (SELECT count(*) FROM orders)::int AS orders,
              (SELECT sum(total) FROM orders)::int AS total, (SELECT count(*) FROM orders_2030)::int AS in_2030`,
    );
    expect(counts.rows[0]).to.deep.equal({ members: 200, orders: 400, total: 433050, in_2030: 187 });
    const tiers = await space.pool.query(`SELECT tier::text, members::int FROM tier_counts ORDER BY tier`);
    expect(tiers.rows).to.deep.equal([
      { tier: 'basic', members: 66 },
      { tier: 'plus', members: 67 },
      { tier: 'pro', members: 67 },
    ]);
    const comment = await space.pool.query(`SELECT obj_description('members'::regclass) AS c`);
    expect(comment.rows[0].c).to.equal('People with a membership; "quotes", tabs\tand ünïcode survive the dump');
    // The dump's `OWNER TO postgres` lines went to the owner role the space belongs to.
    const foreign = await space.pool.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relowner <> 'pgspace_owner'::regrole
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')`, // not an extension's
    );
    expect(foreign.rows).to.deep.equal([]);
  });

  it('keeps the dump’s rules: triggers, enums, domains, partitions, foreign keys', async function () {
    const space = await newSpace(this, { migrator: gymshop });
    const db = space.pool;
    const { rows } = await db.query(`SELECT id, ordered_at, total FROM orders WHERE ordered_at >= '2030-01-01' ORDER BY id LIMIT 1`);
    await db.query(`INSERT INTO order_lines VALUES ($1, $2, 2, 3)`, [rows[0].id, rows[0].ordered_at]); // 3 towels at 900
    const after = await db.query(`SELECT total FROM orders WHERE id = $1`, [rows[0].id]);
    expect(after.rows[0].total).to.equal(rows[0].total + 2700);
    const refused = async (sql: string) =>
      db.query(sql).then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    expect(await refused(`INSERT INTO members (email, tier) VALUES ('x@gym.test', 'gold')`)).to.equal('22P02'); // enum
    expect(await refused(`INSERT INTO products (name, price) VALUES ('free lunch', -1)`)).to.equal('23514'); // domain
    expect(await refused(`INSERT INTO orders (member_id, ordered_at) VALUES (1, '2040-01-01')`)).to.equal('23514'); // no partition
    expect(await refused(`INSERT INTO orders (member_id, ordered_at) VALUES (9999, '2030-01-01')`)).to.equal('23503'); // foreign key
    const token = await db.query(`INSERT INTO members (email) VALUES ('new@gym.test') RETURNING length(token) AS n`); // pgcrypto default
    expect(token.rows[0].n).to.equal(16);
  });

  it("runs the migrator's setup as the admin first: an extension only a superuser can create", async function () {
    const space = await newSpace(this, { migrator: gymshop });
    const { rows } = await space.pool.query(
      `SELECT e.extname, pg_get_userbyid(e.extowner) = current_user AS mine, r.rolsuper
         FROM pg_extension e, pg_roles r WHERE r.rolname = current_user AND e.extname IN ('pg_stat_statements', 'pgcrypto') ORDER BY 1`,
    );
    expect(rows).to.deep.equal([
      { extname: 'pg_stat_statements', mine: false, rolsuper: false }, // made by the admin's setup
      { extname: 'pgcrypto', mine: false, rolsuper: false }, // trusted: made by the dump, as the owner role
    ]);
    const view = await space.pool.query(`SELECT to_regclass('busiest_statements') IS NOT NULL AS ok`);
    expect(view.rows[0].ok).to.equal(true); // the .sql migration that uses it
  });

  describe('a migration that reads another file', function () {
    let dir: string;
    beforeEach(async function () {
      dir = await mkdtemp(path.join(os.tmpdir(), 'pgspace-schema-'));
      await cp(path.join(schemas, 'reads-sql'), path.join(dir, 'reads-sql'), { recursive: true });
      await cp(path.join(schemas, 'seed-data'), path.join(dir, 'seed-data'), { recursive: true });
      // Unique to this test: runs sharing a server must not share its template.
      await writeFile(path.join(dir, 'seed-data/colours.sql'), `-- ${randomUUID()}\n`, { flag: 'a' });
    });
    afterEach(async function () {
      await rm(dir, { recursive: true, force: true });
    });

    it('gets a new template when that file changes, once it is declared in `inputs`', async function () {
      const declared = () => nodePgMigrate(path.join(dir, 'reads-sql'), { inputs: [path.join(dir, 'seed-data')] });
      const undeclared = nodePgMigrate(path.join(dir, 'reads-sql'));
      const colours = async (space: { pool: { query: (sql: string) => Promise<{ rows: { name: string }[] }> } }) =>
        (await space.pool.query('SELECT name FROM colours ORDER BY name')).rows.map((r) => r.name);

      const before = { declared: await declared().hash(), undeclared: await undeclared.hash() };
      expect(await colours(await newSpace(this, { migrator: declared() }))).to.deep.equal(['green', 'red']);

      await writeFile(path.join(dir, 'seed-data/colours.sql'), `INSERT INTO colours VALUES ('blue');\n`, { flag: 'a' });
      expect(await declared().hash()).to.not.equal(before.declared);
      expect(await undeclared.hash(), 'without `inputs` the change goes unseen').to.equal(before.undeclared);
      expect(await colours(await newSpace(this, { migrator: declared() }))).to.deep.equal(['blue', 'green', 'red']);
    });
  });
});
