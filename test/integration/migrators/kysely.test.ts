import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import pg from 'pg';
import { kysely } from '../../../internal/integration/index.js';
import { newSpace } from '../../../internal/integration/runners/mocha-spaces.js';
import { columnsOf, expectBookshop, samples, sampleCopy } from '../../support/migrator-samples.js';

// A folder of Kysely migrations, run by kysely's own Migrator and FileMigrationProvider over the
// template's one connection.

describe('kysely(): a template from Kysely migrations', function () {
  const dir = sampleCopy(samples('kysely'), 'migrations/2025-01-02_books.ts');
  const migrations = () => path.join(dir(), 'migrations');

  it("runs a space on the schema its migrations make, recorded so that the app's own migrateToLatest() finds nothing to do", async function () {
    const space = await newSpace(this, { migrator: kysely(migrations()) });
    await expectBookshop(space);
    const names = async () =>
      (await space.pool.query(`SELECT name FROM kysely_migration ORDER BY timestamp, name`)).rows.map((r) => r.name);
    expect(await names()).to.deep.equal(['2025-01-01_authors', '2025-01-02_books']);
    const db = new Kysely<object>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: space.url }) }) });
    try {
      const provider = new FileMigrationProvider({ fs, path, migrationFolder: migrations() });
      const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
      expect([error, results]).to.deep.equal([undefined, []]);
    } finally {
      await db.destroy();
    }
  });

  it('builds a new template when a migration file changes', async function () {
    const before = await kysely(migrations()).hash();
    await writeFile(
      path.join(migrations(), '2025-01-03_isbn.ts'),
      `export async function up(db: any) { await db.schema.alterTable('books').addColumn('isbn', 'text').execute(); }\n`,
    );
    expect(await kysely(migrations()).hash()).to.not.equal(before);
    expect(await columnsOf(await newSpace(this, { migrator: kysely(migrations()) }), 'books')).to.include('isbn');
  });

  it('names the migration that fails, and what Postgres said', async function () {
    await appendFile(
      path.join(migrations(), '2025-01-03_oops.ts'),
      `export async function up(db: any) { await db.schema.createTable('oops').addColumn('id', 'integer', (c: any) => c.references('nowhere.id')).execute(); }\n`,
    );
    const failed = await newSpace(this, { migrator: kysely(migrations()) }).then(
      () => 'built',
      (err: Error) => err.message,
    );
    expect(failed, failed).to.match(/^kysely: migration 2025-01-03_oops failed: relation "nowhere" does not exist/);
  });
});
