import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { nodePgMigrate, type Migrator } from '../../internal/integration/templates/migrator.js';
import { pollUntil } from '../../internal/integration/common/poll.js';
import { dropTemplate, ensureTemplate, templateName } from '../../internal/integration/templates/template.js';
import { withAdminClient } from '../../internal/integration/server/server.js';
import { runServer, withAdmin } from '../support/admin.js';
import { root } from '../support/run-mocha.js';

/** A migrator unique to this test (so concurrent suites on one server never share its template), counting its runs. */
function countingMigrator(): Migrator & { runs: number } {
  const id = randomUUID();
  const m = {
    runs: 0,
    hash: async () => id,
    async migrate(client: pg.Client) {
      m.runs++;
      await client.query('CREATE TABLE t (id int)');
    },
  };
  return m;
}

/** Every database whose name starts with `name`, with its template flags. */
const databasesLike = (name: string) =>
  withAdmin(async (admin) => {
    const { rows } = await admin.query(
      'SELECT datname, datistemplate, datallowconn FROM pg_database WHERE datname LIKE $1 ORDER BY datname',
      [`${name}%`],
    );
    return rows;
  });

const finished = (name: string) => [{ datname: name, datistemplate: true, datallowconn: false }];

describe('the template', function () {
  let name: string | undefined;
  afterEach(async function () {
    if (name) await withAdmin((admin) => dropTemplate(admin, name!).catch(() => undefined));
    name = undefined;
  });

  it('is built once when several processes ask for it at the same moment', async function () {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgspace-template-'));
    try {
      // A real node-pg-migrate folder, unique to this test run.
      await writeFile(
        path.join(dir, '001_t.ts'),
        `// ${randomUUID()}\nexport const up = (pgm: any) => { pgm.createTable('t', { id: 'id' }); };\n`,
      );
      const inner = nodePgMigrate(dir);
      let migrations = 0;
      const counting: Migrator = { hash: inner.hash, migrate: (client: pg.Client) => (migrations++, inner.migrate(client)) };
      name = await withAdmin((admin) => templateName(admin, counting, 'concurrency-test'));

      // Separate connections, as separate runs or workers would have.
      await Promise.all(Array.from({ length: 4 }, () => ensureTemplate(runServer(), name!, counting)));

      expect(migrations).to.equal(1);
      expect(await databasesLike(name)).to.deep.equal(finished(name));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // What a build killed at each instant can leave behind: the next build must repair it by itself.
  // Each holds the migration's table already: reusing it instead of rebuilding would fail the migration.
  const leftovers: { state: string; database: (name: string) => string }[] = [
    { state: 'a scratch database, half migrated', database: (n) => `${n}_build` },
    { state: 'the database under its final name but not yet a template', database: (n) => n },
  ];
  for (const { state, database } of leftovers) {
    it(`is rebuilt from ${state}`, async function () {
      const migrator = countingMigrator();
      name = await withAdmin((admin) => templateName(admin, migrator, 'leftover-test'));
      await withAdmin((admin) => admin.query(`CREATE DATABASE "${database(name!)}"`));
      await withAdminClient({ ...runServer(), database: database(name) }, (db) => db.query('CREATE TABLE t (id int)'));
      await ensureTemplate(runServer(), name, migrator);
      expect(migrator.runs).to.equal(1);
      expect(await databasesLike(name)).to.deep.equal(finished(name));
    });
  }

  it('is built by the next run after a build is killed in the middle of its migrations', async function () {
    this.timeout(30_000);
    const migrator = countingMigrator();
    name = await withAdmin((admin) => templateName(admin, migrator, 'killed-build-test'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/build-template.fixture.ts'], {
      cwd: root,
      env: { ...process.env, TEMPLATE_NAME: name },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await pollUntil('the build to be migrating', () => (out.includes('MIGRATING') ? true : undefined), { timeoutMs: 20_000 });
    child.kill('SIGKILL');
    await exited;
    expect((await databasesLike(name)).map((d) => d.datname)).to.deep.equal([`${name}_build`]); // what the kill left

    await ensureTemplate(runServer(), name, migrator);
    expect(migrator.runs).to.equal(1);
    expect(await databasesLike(name)).to.deep.equal(finished(name));
  });
});
