import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfigTemplates } from '../../internal/integration/config/config-templates.js';
import { PgspaceError } from '../../internal/integration/common/errors.js';
import { nodePgMigrate } from '../../internal/integration/templates/migrator.js';
import { ensureTemplate, templateName } from '../../internal/integration/templates/template.js';
import { runServer, withAdmin } from '../support/admin.js';

describe('bad input gets a clear error', function () {
  let dir: string;
  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgspace-test-'));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('a config template with an unknown placeholder names the file and line', async function () {
    await writeFile(path.join(dir, 'svc.env'), 'DB_NAME={{database}}\nDB_USER={{usr}}\n');
    const error = await loadConfigTemplates(dir).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(PgspaceError);
    expect((error as Error).message).to.match(/unknown placeholder \{\{usr\}\} at .*svc\.env:2/);
  });

  it('a failing migration names its file and leaves no template behind', async function () {
    const migrations = path.join(dir, 'migrations');
    await mkdir(migrations);
    await writeFile(path.join(migrations, '001_ok.ts'), `export const up = (pgm: any) => { pgm.createTable('t', { id: 'id' }); };\n`);
    // Unique to this run: suites running at once on one server must not build (and see) each other's template.
    await writeFile(
      path.join(migrations, '002_broken.ts'),
      `// ${randomUUID()}\nexport const up = (pgm: any) => { pgm.sql('CREATE TABLEE nope ()'); };\n`,
    );
    const migrator = nodePgMigrate(migrations);
    const name = await withAdmin((admin) => templateName(admin, migrator, 'test'));

    const error = await ensureTemplate(runServer(), name, migrator).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(PgspaceError);
    expect((error as Error).message).to.match(/migration .*002_broken\.ts failed: syntax error at or near "TABLEE"/);
    const left = await withAdmin((admin) => admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${name}%`]));
    expect(left.rows).to.deep.equal([]);
  });

  /** Builds a template from `files` (name → content) in a fresh migrations folder; resolves to the error. */
  async function buildError(files: Record<string, string>): Promise<Error> {
    const migrations = path.join(dir, 'migrations');
    await mkdir(migrations);
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(migrations, name), content);
    const migrator = nodePgMigrate(migrations);
    const name = await withAdmin((admin) => templateName(admin, migrator, 'test'));
    const error = await ensureTemplate(runServer(), name, migrator).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(PgspaceError);
    return error as Error;
  }

  it('a failing .sql migration names file:line:column and shows the line', async function () {
    const error = await buildError({
      '001_schema.sql': `-- ${randomUUID()}
CREATE TABLE a (id int);

CREATE TABLE b (
  id int GENERATED ALWAYS AS (1) VIRTUAL
);
`,
    });
    expect(error.message).to.match(/001_schema\.sql:5:\d+: syntax error at or near "VIRTUAL"/);
    expect(error.message).to.include('  id int GENERATED ALWAYS AS (1) VIRTUAL');
    expect(error.message).to.match(/\n\s+\^/);
  });

  it('a bad COPY row names its line in the file', async function () {
    const error = await buildError({
      '001_data.sql': `-- ${randomUUID()}
CREATE TABLE n (v int);
COPY n (v) FROM stdin;
1
2
three
\\.
`,
    });
    expect(error.message).to.match(/001_data\.sql:6: invalid input syntax for type integer: "three" \(row 3 of the COPY on line 3\)/);
  });

  it('a psql command in a .sql file is named, not sent to the server', async function () {
    const error = await buildError({
      '001_dump.sql': `-- ${randomUUID()}
\\connect shop
CREATE TABLE x ();
`,
    });
    expect(error.message).to.match(/001_dump\.sql:2: `\\connect` is a psql command/);
  });

  it('a SQL error in a .ts migration shows its line and column in the SQL it ran', async function () {
    const error = await buildError({
      '001_big.ts': `// ${randomUUID()}\nexport const up = (pgm: any) => { pgm.sql('CREATE TABLE a (id int);\\nCREATE TABLE b (id int,\\n  name txet);'); };\n`,
    });
    expect(error.message).to.match(/migration .*001_big\.ts failed: type "txet" does not exist at line 3, column 8 of the SQL it ran/);
    expect(error.message).to.include('  name txet);');
  });
});
