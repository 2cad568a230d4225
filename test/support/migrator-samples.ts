/** The migration tools' sample migrations (internal/integration/templates/migrators/<tool>/sample), as their tests use them. */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Space } from '../../internal/integration/index.js';
import { root } from './run-mocha.js';

/** Where a tool's samples are. */
export const samples = (tool: string, sample = 'sample') => path.join(root, 'internal/integration/templates/migrators', tool, sample);

/**
 * A copy of `sample` for each test, in a directory of its own, `mark` (a file in it) made unique:
 * a template of its own, so that tests may change their migrations in any order and runs sharing
 * a server never share one. `prepare` then shapes the copy. Removed after the test.
 */
export function sampleCopy(sample: string, mark: string, prepare?: (dir: string) => Promise<void>): () => string {
  let dir = '';
  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgspace-migrator-'));
    await cp(sample, dir, { recursive: true });
    await appendFile(path.join(dir, mark), `\n${mark.endsWith('.sql') ? '--' : '//'} ${randomUUID()}\n`);
    await prepare?.(dir);
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** The samples' schema, as the space's role sees it: authors, books that must name one, and an index. */
export async function expectBookshop(space: Space): Promise<void> {
  const db = space.pool;
  const { rows } = await db.query<{ id: number }>(`INSERT INTO authors (name) VALUES ('Ursula') RETURNING id`);
  await db.query(`INSERT INTO books (author_id, title) VALUES ($1, 'The Dispossessed')`, [rows[0]!.id]);
  const refused = await db.query(`INSERT INTO books (author_id, title) VALUES (-1, 'nobody wrote this')`).then(
    () => 'inserted',
    (err: { code?: string }) => err.code,
  );
  expect(refused, 'a book must name an author').to.equal('23503');
  const index = await db.query(`SELECT 1 FROM pg_indexes WHERE tablename = 'books' AND indexname = 'books_author_id_idx'`);
  expect(index.rowCount).to.equal(1);
}

/** The columns of `table` in a space. */
export async function columnsOf(space: Space, table: string): Promise<string[]> {
  const { rows } = await space.pool.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => r.column_name);
}
