import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PgspaceError, testDatabase } from '../../internal/integration/index.js';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { session } from '../../internal/integration/session/session.js';
import { sqlMigrator } from '../support/sql-migrator.js';

// testDatabase(): a schema and config templates of a test's own (the example is
// test/component/trainings-users-ledger.test.ts); here, what can go wrong with one.
describe('a test database (testDatabase)', function () {
  let dir: string;
  const schema = () => sqlMigrator(`CREATE TABLE fake_${randomUUID().replaceAll('-', '')} (id int)`);

  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgspace-test-db-'));
  });

  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("renders its own templates for its spaces, each with the space's values", async function () {
    await writeFile(path.join(dir, 'fake.env'), 'FAKE_URL={{url}}\nFAKE_USER={{ user }}\nFAKE_FIXED=1\n');
    const space = await newSpace(this, { migrator: testDatabase({ migrator: schema(), configDir: dir }) });
    expect(space.config).to.deep.equal({ fake: { FAKE_URL: space.url, FAKE_USER: space.database, FAKE_FIXED: '1' } });
  });

  it('has a template of its own for each version of its config templates', async function () {
    const migrator = schema();
    const version = async (text: string) => {
      const configDir = await mkdtemp(path.join(dir, 'v-'));
      await writeFile(path.join(configDir, 'fake.env'), text);
      return session().template(testDatabase({ migrator, configDir }));
    };
    const first = await version('FAKE_URL={{url}}\n');
    const same = await version('FAKE_URL={{url}}\n');
    const changed = await version('FAKE_URL={{url}}\nFAKE_MORE=1\n');
    expect(same).to.equal(first);
    expect(changed).to.not.equal(first);
  });

  it('is one object per migrator and config directory, however often it is declared (sessions key their pools by it)', function () {
    const migrator = schema();
    const first = testDatabase({ migrator, configDir: dir });
    expect(testDatabase({ migrator, configDir: `${dir}/` })).to.equal(first);
    expect(testDatabase({ migrator, configDir: path.join(dir, 'other') })).to.not.equal(first);
    expect(testDatabase({ migrator: schema(), configDir: dir })).to.not.equal(first);
  });

  it('fails its tests with a PgspaceError naming a config directory that does not exist', async function () {
    const missing = path.join(dir, 'no-such-dir');
    const err = await newSpace(this, { migrator: testDatabase({ migrator: schema(), configDir: missing }) }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(PgspaceError).and.include({ code: 'config' });
    expect((err as Error).message).to.equal(`the config directory ${missing} does not exist`);
  });

  it('fails its tests with a PgspaceError naming the file and line of an unknown placeholder', async function () {
    await writeFile(path.join(dir, 'fake.env'), 'FAKE_URL={{url}}\nFAKE_DB={{databse}}\n');
    const err = await newSpace(this, { migrator: testDatabase({ migrator: schema(), configDir: dir }) }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(PgspaceError).and.include({ code: 'config' });
    expect((err as Error).message).to.match(/^unknown placeholder \{\{databse\}\} at .*fake\.env:2;/);
  });
});
