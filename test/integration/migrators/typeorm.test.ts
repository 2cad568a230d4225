import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { typeorm } from '../../../internal/integration/index.js';
import { newSpace } from '../../../internal/integration/runners/mocha-spaces.js';
import { columnsOf, expectBookshop, samples, sampleCopy } from '../../support/migrator-samples.js';

// A folder of TypeORM migration classes, run by TypeORM's own DataSource#runMigrations over the
// template's one connection.

/** A migration class in a file of its own, running `sql`. */
function migrationFile(name: string, sql: string): string {
  return (
    `export class ${name} {\n  name = '${name}';\n` +
    `  async up(queryRunner: any) { await queryRunner.query(${JSON.stringify(sql)}); }\n` +
    `  async down() {}\n}\n`
  );
}

describe('typeorm(): a template from TypeORM migrations', function () {
  const dir = sampleCopy(samples('typeorm'), 'migrations/1735776000000-Books.ts');
  const migrations = () => path.join(dir(), 'migrations');

  it("runs a space on the schema its migrations make, recorded so that the app's own runMigrations() finds nothing to do", async function () {
    const space = await newSpace(this, { migrator: typeorm(migrations()) });
    await expectBookshop(space);
    const names = async () => (await space.pool.query(`SELECT name FROM migrations ORDER BY id`)).rows.map((r) => r.name);
    expect(await names()).to.deep.equal(['Authors1735689600000', 'Books1735776000000']);
    const dataSource = await new DataSource({ type: 'postgres', url: space.url, migrations: [`${migrations()}/*.ts`] }).initialize();
    try {
      expect(dataSource.migrations.map((m) => m.name)).to.have.members(['Authors1735689600000', 'Books1735776000000']);
      expect(await dataSource.showMigrations(), 'pending migrations').to.equal(false);
    } finally {
      await dataSource.destroy();
    }
  });

  it('builds a new template when a migration file changes', async function () {
    const before = await typeorm(migrations()).hash();
    await writeFile(
      path.join(migrations(), '1735862400000-Isbn.ts'),
      migrationFile('Isbn1735862400000', 'ALTER TABLE "books" ADD "isbn" text'),
    );
    expect(await typeorm(migrations()).hash()).to.not.equal(before);
    expect(await columnsOf(await newSpace(this, { migrator: typeorm(migrations()) }), 'books')).to.include('isbn');
  });

  it('names the migration that fails, and what Postgres said', async function () {
    await writeFile(path.join(migrations(), '1735862400000-Oops.ts'), migrationFile('Oops1735862400000', 'CREATE TABLEE oops ()'));
    const failed = await newSpace(this, { migrator: typeorm(migrations()) }).then(
      () => 'built',
      (err: Error) => err.message,
    );
    expect(failed, failed).to.match(
      /^typeorm: migration \S*migrations\/1735862400000-Oops\.ts failed: .*syntax error at or near "TABLEE"/s,
    );
  });
});
