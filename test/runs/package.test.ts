import { expect } from 'chai';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { OWN_SERVER, root, runCommand } from '../support/run-mocha.js';

// The helper as users get it: `npm pack` of the workspace, installed into a blank JavaScript
// project (test/fixtures/blank-project: a migration, pgspace.config.js, one passing and one
// failing test per runner), run with mocha, Vitest and node:test on its own embedded Postgres.

/** A command in `cwd`, on its own embedded server. */
const sh = (command: string, args: string[], cwd: string) => runCommand(command, args, { cwd, env: OWN_SERVER });

describe('the helper as a package, in a blank project', function () {
  this.timeout(240_000);
  let dir: string;
  let project: string;

  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgspace-package-'));
    const packed = await sh('npm', ['pack', '--silent', '-w', 'internal/integration', '--pack-destination', dir], root);
    expect(packed.code, packed.output).to.equal(0);
    const tarball = path.join(
      dir,
      (await readdir(dir)).find((f) => f.endsWith('.tgz'))!,
    );
    project = path.join(dir, 'project');
    await cp(path.join(root, 'test/fixtures/blank-project'), project, { recursive: true });
    const versions = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')).devDependencies as Record<string, string>;
    const installed = await sh(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `mocha@${versions.mocha}`, `vitest@${versions.vitest}`],
      project,
    );
    expect(installed.code, installed.output).to.equal(0);
  });

  after(async function () {
    if (project) await sh('npx', ['pgspace', 'clean'], project);
    await rm(dir, { recursive: true, force: true });
  });

  for (const runner of ['mocha', 'vitest', 'node']) {
    it(`${runner}: the passing test passes, the failing one keeps its space with a psql line that works, exit 1`, async function () {
      const result = await sh('npm', ['run', '-s', `test:${runner}`], project);
      expect(result.code, result.output).to.equal(1);
      expect(result.output).to.match(/1 passing|1 passed|pass 1/);
      const urls = [...new Set([...result.output.matchAll(/psql '([^']+)'/g)].map((m) => m[1]!))];
      expect(urls, result.output).to.have.lengthOf(1);
      const client = new pg.Client({ connectionString: urls[0] });
      await client.connect();
      const { rows } = await client.query('SELECT body FROM notes');
      await client.end();
      expect(rows).to.deep.equal([{ body: 'left for debugging' }]);
      const cleaned = await sh('npx', ['pgspace', 'clean'], project);
      expect(cleaned.code, cleaned.output).to.equal(0);
      expect(cleaned.output).to.match(/stopped and deleted/);
    });
  }
});
