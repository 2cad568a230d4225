import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { nodePgMigrate, type Migrator } from '../../internal/integration/core/migrator.js';
import { dropTemplate, ensureTemplate, templateName } from '../../internal/integration/core/template.js';
import { runServer, withAdmin } from '../support/admin.js';

describe('the template', function () {
  let dir: string;
  let name: string;
  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgspace-template-'));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
    if (name) await withAdmin((admin) => dropTemplate(admin, name));
  });

  it('is built once when several processes ask for it at the same moment', async function () {
    await writeFile(path.join(dir, '001_t.ts'), `export const up = (pgm: any) => { pgm.createTable('t', { id: 'id' }); };\n`);
    const inner = nodePgMigrate(dir);
    let migrations = 0;
    const counting: Migrator = { hash: inner.hash, migrate: (client: pg.Client) => (migrations++, inner.migrate(client)) };
    name = await withAdmin((admin) => templateName(admin, counting, 'concurrency-test'));

    // Separate connections, as separate runs or workers would have.
    await Promise.all(Array.from({ length: 4 }, () => ensureTemplate(runServer(), name, counting)));

    expect(migrations).to.equal(1);
    const { rows } = await withAdmin((admin) =>
      admin.query('SELECT datname, datistemplate, datallowconn FROM pg_database WHERE datname LIKE $1', [`${name}%`]),
    );
    expect(rows).to.deep.equal([{ datname: name, datistemplate: true, datallowconn: false }]);
  });
});
