import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { prisma } from '../../../internal/integration/index.js';
import { newSpace } from '../../../internal/integration/runners/mocha-spaces.js';

import { columnsOf, expectBookshop, samples, sampleCopy } from '../../support/migrator-samples.js';

// Prisma Migrate's folder, applied and recorded as `prisma migrate deploy` would. The Prisma CLI
// itself needs engine binaries it downloads at install time (not to be had here): the rows are
// checked against Prisma's documented format instead.

describe('prisma(): a template from Prisma Migrate’s folder', function () {
  const dir = sampleCopy(samples('prisma'), 'migrations/20250102000000_books/migration.sql');
  const migrations = () => path.join(dir(), 'migrations');

  it('runs a space on the schema its migrations make', async function () {
    await expectBookshop(await newSpace(this, { migrator: prisma(migrations()) }));
  });

  it('records each migration in _prisma_migrations as Prisma does: checksum, finished, one step, in order', async function () {
    const space = await newSpace(this, { migrator: prisma(migrations()) });
    const { rows } = await space.pool.query(
      `SELECT id, checksum, migration_name, finished_at IS NOT NULL AS finished, rolled_back_at, logs, applied_steps_count, started_at <= finished_at AS ordered
         FROM _prisma_migrations ORDER BY started_at, migration_name`,
    );
    const sha = async (name: string) =>
      createHash('sha256')
        .update(await readFile(path.join(migrations(), name, 'migration.sql')))
        .digest('hex');
    expect(rows.map(({ id, ...rest }) => rest)).to.deep.equal([
      {
        checksum: await sha('20250101000000_authors'),
        migration_name: '20250101000000_authors',
        finished: true,
        rolled_back_at: null,
        logs: null,
        applied_steps_count: 1,
        ordered: true,
      },
      {
        checksum: await sha('20250102000000_books'),
        migration_name: '20250102000000_books',
        finished: true,
        rolled_back_at: null,
        logs: null,
        applied_steps_count: 1,
        ordered: true,
      },
    ]);
    for (const { id } of rows) expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const table = await space.pool.query(
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(
      table.rows.map((c) => `${c.column_name} ${c.data_type}${c.len ? `(${c.len})` : ''}${c.is_nullable === 'NO' ? ' not null' : ''}`),
    ).to.deep.equal([
      'id character varying(36) not null',
      'checksum character varying(64) not null',
      'finished_at timestamp with time zone',
      'migration_name character varying(255) not null',
      'logs text',
      'rolled_back_at timestamp with time zone',
      'started_at timestamp with time zone not null',
      'applied_steps_count integer not null',
    ]);
  });

  it('builds a new template when a migration file changes', async function () {
    const before = await prisma(migrations()).hash();
    await appendFile(path.join(migrations(), '20250102000000_books/migration.sql'), `ALTER TABLE "books" ADD COLUMN "isbn" TEXT;\n`);
    expect(await prisma(migrations()).hash()).to.not.equal(before);
    expect(await columnsOf(await newSpace(this, { migrator: prisma(migrations()) }), 'books')).to.include('isbn');
  });

  it('names the file, line and column of a migration that fails', async function () {
    await appendFile(path.join(migrations(), '20250101000000_authors/migration.sql'), `CREATE TABLEE oops ();\n`);
    const failed = await newSpace(this, { migrator: prisma(migrations()) }).then(
      () => 'built',
      (err: Error) => err.message,
    );
    expect(failed).to.match(/20250101000000_authors\/migration\.sql:\d+:8: syntax error at or near "TABLEE"/);
  });
});
