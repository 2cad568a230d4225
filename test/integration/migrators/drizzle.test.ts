import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { drizzle as connect } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as connectV1 } from 'drizzle-orm-v1/node-postgres';
import { migrate as migrateV1 } from 'drizzle-orm-v1/node-postgres/migrator';
import { drizzle, type Space } from '../../../internal/integration/index.js';
import { newSpace } from '../../../internal/integration/runners/mocha-spaces.js';

import { root } from '../../support/run-mocha.js';
import { columnsOf, expectBookshop, samples, sampleCopy } from '../../support/migrator-samples.js';

// drizzle-kit's folder, run by drizzle-orm's own migrator, in both of drizzle-kit's layouts: the
// journal (`meta/_journal.json`, read by drizzle-orm 0.x: this repository's drizzle-orm) and a
// folder per migration (read by drizzle-orm 1.x: `drizzle-orm-v1` here, which the folder finds as
// its project's drizzle-orm).

const sha = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file, 'utf8'))
    .digest('hex');

const recorded = async (space: Space) =>
  (await space.pool.query(`SELECT hash, created_at::bigint::text AS created_at FROM drizzle.__drizzle_migrations ORDER BY id`)).rows;

describe('drizzle(): a template from drizzle-kit’s journal layout (drizzle-orm 0.x)', function () {
  const dir = sampleCopy(samples('drizzle'), '0001_books.sql');

  it('runs a space on the schema its migrations make', async function () {
    await expectBookshop(await newSpace(this, { migrator: drizzle(dir()) }));
  });

  it("records them as drizzle-orm does: the app's own migrate() on the space finds nothing to do", async function () {
    const space = await newSpace(this, { migrator: drizzle(dir()) });
    const before = await recorded(space);
    expect(before).to.deep.equal([
      { hash: await sha(path.join(dir(), '0000_authors.sql')), created_at: '1735689600000' },
      { hash: await sha(path.join(dir(), '0001_books.sql')), created_at: '1735776000000' },
    ]);
    const db = connect(space.url);
    try {
      await migrate(db, { migrationsFolder: dir() });
    } finally {
      await db.$client.end();
    }
    expect(await recorded(space)).to.deep.equal(before);
  });

  it('builds a new template when a migration file changes', async function () {
    const before = await drizzle(dir()).hash();
    await appendFile(path.join(dir(), '0001_books.sql'), `--> statement-breakpoint\nALTER TABLE "books" ADD COLUMN "isbn" text;\n`);
    expect(await drizzle(dir()).hash()).to.not.equal(before);
    expect(await columnsOf(await newSpace(this, { migrator: drizzle(dir()) }), 'books')).to.include('isbn');
  });

  it('names the file of a statement that fails, and its place', async function () {
    await appendFile(path.join(dir(), '0000_authors.sql'), `--> statement-breakpoint\nCREATE TABLEE "oops" ();\n`);
    const failed = await newSpace(this, { migrator: drizzle(dir()) }).then(
      () => 'built',
      (err: Error) => err.message,
    );
    expect(failed, failed).to.match(
      /^drizzle: migration \S*0000_authors\.sql failed: .*syntax error at or near "TABLEE" at line 2, column 8/s,
    );
  });
});

describe('drizzle(): a template from drizzle-kit’s folder per migration (drizzle-orm 1.x)', function () {
  // The project the folder belongs to has drizzle-orm 1.x, and drizzle-kit's `migrations/` folder.
  const dir = sampleCopy(samples('drizzle', 'sample-folders'), '20250102000000_books/migration.sql', async (dir) => {
    await mkdir(path.join(dir, 'node_modules'));
    await symlink(path.join(root, 'node_modules/drizzle-orm-v1'), path.join(dir, 'node_modules/drizzle-orm'));
    await mkdir(path.join(dir, 'migrations'));
    for (const name of ['20250101000000_authors', '20250102000000_books']) {
      await mkdir(path.join(dir, 'migrations', name));
      await appendFile(path.join(dir, 'migrations', name, 'migration.sql'), await readFile(path.join(dir, name, 'migration.sql')));
    }
  });
  const migrations = () => path.join(dir(), 'migrations');

  it("runs a space on its schema, recorded so that drizzle-orm 1.x's migrate() finds nothing to do", async function () {
    const space = await newSpace(this, { migrator: drizzle(migrations()) });
    await expectBookshop(space);
    const names = async () => (await space.pool.query(`SELECT name FROM drizzle.__drizzle_migrations ORDER BY id`)).rows.map((r) => r.name);
    expect(await names()).to.deep.equal(['20250101000000_authors', '20250102000000_books']);
    const db = connectV1({ connection: space.url });
    try {
      await migrateV1(db, { migrationsFolder: migrations() });
    } finally {
      await db.$client.end();
    }
    expect(await names()).to.deep.equal(['20250101000000_authors', '20250102000000_books']);
  });

  it('builds a new template when a migration file changes', async function () {
    const before = await drizzle(migrations()).hash();
    await appendFile(
      path.join(migrations(), '20250102000000_books/migration.sql'),
      `--> statement-breakpoint\nALTER TABLE "books" ADD COLUMN "isbn" text;\n`,
    );
    expect(await drizzle(migrations()).hash()).to.not.equal(before);
    expect(await columnsOf(await newSpace(this, { migrator: drizzle(migrations()) }), 'books')).to.include('isbn');
  });
});
