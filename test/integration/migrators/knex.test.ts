import { expect } from 'chai';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import createKnex from 'knex';
import { knex } from '../../../internal/integration/index.js';
import { newSpace } from '../../../internal/integration/runners/mocha-spaces.js';
import { columnsOf, expectBookshop, samples, sampleCopy } from '../../support/migrator-samples.js';

// Knex migrations, run by knex's own `migrate.latest()` over the template's one connection: from a
// knexfile (its `migrations` settings, relative to it) or from a directory.

const BOOKS = 'migrations/20250102000000_books.ts';

describe('knex(): a template from Knex migrations', function () {
  const dir = sampleCopy(samples('knex'), BOOKS);

  it("runs a space on the schema of a knexfile's migrations, recorded so that the app's own migrate.latest() finds nothing to do", async function () {
    const space = await newSpace(this, { migrator: knex(path.join(dir(), 'knexfile.ts')) });
    await expectBookshop(space);
    const names = async () => (await space.pool.query(`SELECT name FROM knex_migrations ORDER BY id`)).rows.map((r) => r.name);
    expect(await names()).to.deep.equal(['20250101000000_authors.ts', '20250102000000_books.ts']);
    const db = createKnex({ client: 'pg', connection: space.url, migrations: { directory: path.join(dir(), 'migrations') } });
    try {
      const [, ran] = (await db.migrate.latest()) as [number, string[]];
      expect(ran).to.deep.equal([]);
    } finally {
      await db.destroy();
    }
    expect(await names()).to.deep.equal(['20250101000000_authors.ts', '20250102000000_books.ts']);
  });

  it('runs a space on the schema of a directory of migrations', async function () {
    await expectBookshop(await newSpace(this, { migrator: knex(path.join(dir(), 'migrations')) }));
  });

  it('builds a new template when a migration file changes, and when the knexfile does', async function () {
    const knexfile = path.join(dir(), 'knexfile.ts');
    const first = await knex(knexfile).hash();
    await appendFile(
      path.join(dir(), 'migrations/20250103000000_isbn.ts'),
      `export async function up(knex: any) { await knex.schema.alterTable('books', (t: any) => t.text('isbn')); }\n` +
        `export async function down() {}\n`,
    );
    const second = await knex(knexfile).hash();
    expect(second).to.not.equal(first);
    expect(await columnsOf(await newSpace(this, { migrator: knex(knexfile) }), 'books')).to.include('isbn');
    await appendFile(knexfile, `// the app's connection changed\n`);
    expect(await knex(knexfile).hash()).to.not.equal(second);
  });

  it('names the migration that fails, and what Postgres said', async function () {
    await appendFile(
      path.join(dir(), 'migrations/20250103000000_oops.ts'),
      `export async function up(knex: any) { await knex.raw('CREATE TABLEE oops ()'); }\nexport async function down() {}\n`,
    );
    const failed = await newSpace(this, { migrator: knex(path.join(dir(), 'knexfile.ts')) }).then(
      () => 'built',
      (err: Error) => err.message,
    );
    expect(failed).to.match(/^knex: migration \S*migrations\/20250103000000_oops\.ts failed: .*syntax error at or near "TABLEE"/s);
  });

  it("uses the knexfile's `development` when it has no environment for NODE_ENV (test runners set NODE_ENV=test), and says when it has neither", async function () {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'test';
    try {
      await expectBookshop(await newSpace(this, { migrator: knex(path.join(dir(), 'knexfile.ts')) }));
      await appendFile(path.join(dir(), 'only-staging.js'), `module.exports = { staging: { client: 'pg' } };\n`);
      const failed = await newSpace(this, { migrator: knex(path.join(dir(), 'only-staging.js')) }).then(
        () => 'built',
        (err: Error) => err.message,
      );
      expect(failed).to.include('has no `test` or `development` environment (it has staging); pass { environment }');
    } finally {
      if (before === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = before;
    }
  });

  it('says which environment a knexfile lacks', async function () {
    const failed = await newSpace(this, { migrator: knex(path.join(dir(), 'knexfile.ts'), { environment: 'staging' }) }).then(
      () => 'built',
      (err: Error) => err.message,
    );
    expect(failed).to.include('has no `staging` environment (it has development); pass { environment }');
  });
});
