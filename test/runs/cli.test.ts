import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chooseDataPlace } from '../../internal/integration/embedded/data-place.js';
import { seedsOf } from '../../internal/integration/embedded/seed.js';
import { freshCheckout, OWN_SERVER, root, runCommand, runMocha } from '../support/run-mocha.js';

// `pgspace` as a package user meets it: help and usage with the exit codes scripts rely on, `trace`
// finding every runner's page, `clean` leaving nothing of a checkout behind and saying how much.
const pgspace = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  runCommand(process.execPath, [path.join(root, 'internal/integration/bin/pgspace.js'), ...args], options);

describe('the pgspace command', function () {
  this.timeout(60_000);

  for (const help of ['help', '--help', '-h']) {
    it(`pgspace ${help}: the usage, every command, exit 0`, async function () {
      const { code, output } = await pgspace([help]);
      expect(code, output).to.equal(0);
      expect(output).to.match(/^usage: pgspace <command>\n/);
      for (const command of ['list ', 'clean ', 'trace [mocha|vitest|node-test]\n', 'shard ', 'help '])
        expect(output).to.include(`\n  ${command}`);
    });
  }

  for (const [args, said] of [
    [[], 'pgspace: no command given'],
    [['lsit'], 'pgspace: unknown command "lsit"'],
  ] as const) {
    it(`pgspace ${args.join(' ') || '(nothing)'}: says so, then the usage, exit 2`, async function () {
      const { code, output } = await pgspace([...args]);
      expect(code, output).to.equal(2);
      expect(output).to.match(new RegExp(`^${said.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n\nusage: pgspace <command>\n`));
    });
  }

  describe('trace', function () {
    let dir: string;
    beforeEach(async function () {
      dir = await mkdtemp(path.join(os.tmpdir(), 'pgspace-trace-'));
    });
    afterEach(async function () {
      await rm(dir, { recursive: true, force: true });
    });
    const page = async (name: string, secondsAgo: number) => {
      await writeFile(path.join(dir, name), '<html></html>');
      const at = new Date(Date.parse('2030-01-01T00:00:00Z') - secondsAgo * 1000);
      await utimes(path.join(dir, name), at, at);
    };
    const env = () => ({ PGSPACE_TRACE_DIR: dir, DISPLAY: '', WAYLAND_DISPLAY: '' });

    it("finds Vitest's and node:test's pages, not only mocha's: every page there is, the newest first", async function () {
      await page('vitest.html', 20);
      await page('node-test.html', 10);
      const { code, output } = await pgspace(['trace'], { env: env() });
      expect(code, output).to.equal(0);
      expect(output.split('\n').filter((l) => l.startsWith('/'))).to.deep.equal([
        path.join(dir, 'node-test.html'),
        path.join(dir, 'vitest.html'),
      ]);
    });

    it("names one runner's page, and says which file it looked for when there is none (exit 1)", async function () {
      await page('vitest.html', 0);
      expect((await pgspace(['trace', 'vitest'], { env: env() })).output).to.include(path.join(dir, 'vitest.html'));
      const none = await pgspace(['trace', 'mocha'], { env: env() });
      expect(none.code).to.equal(1);
      expect(none.output).to.equal(
        `pgspace: no trace page in ${dir} yet (index.html): run the tests first, with PGSPACE_TRACE not set to 0.\n`,
      );
    });

    it('refuses a runner it does not know (exit 2)', async function () {
      const { code, output } = await pgspace(['trace', 'jest'], { env: env() });
      expect(code).to.equal(2);
      expect(output).to.match(/^pgspace: no trace page for a runner called "jest": write mocha, vitest or node-test/);
    });
  });

  describe('clean, in a checkout', function () {
    const checkout = freshCheckout();

    it("deletes what pgspace left for the checkout — its seed, an older binaries version's seed, trace parts of interrupted runs — and says how much it freed", async function () {
      const run = await runMocha('test/fixtures/passes.fixture.ts', OWN_SERVER, { cwd: checkout() });
      expect(run.code, run.output).to.equal(0);
      const { root: data } = await chooseDataPlace();
      expect(await seedsOf(data, checkout()), 'the run left its seed').to.have.length(1);
      // A seed an earlier binaries version left (another name, the same checkout), with a megabyte in it.
      const older = path.join(data, `seed-${randomBytes(8).toString('hex')}`);
      await mkdir(older);
      await writeFile(path.join(older, 'pgspace-seed.json'), JSON.stringify({ checkout: checkout() }));
      await writeFile(path.join(older, 'PG_VERSION_DATA'), Buffer.alloc(1024 ** 2));
      // Trace parts: of a run interrupted long ago (its pid is gone), and of one still going (this process).
      const traces = path.join(checkout(), 'reports/trace');
      const [gone, going] = [path.join(traces, '.parts-999999999-0a0b0c0d'), path.join(traces, `.parts-${process.pid}-01020304`)];
      for (const parts of [gone, going]) {
        await mkdir(parts, { recursive: true });
        await writeFile(path.join(parts, 'worker.jsonl'), '{}\n');
      }

      const cleaned = await pgspace(['clean'], { cwd: checkout(), env: { ...OWN_SERVER, PGSPACE_TRACE_DIR: '' } });
      expect(cleaned.code, cleaned.output).to.equal(0);
      expect(await seedsOf(data, checkout()), cleaned.output).to.deep.equal([]);
      expect(existsSync(gone), "the interrupted run's parts").to.equal(false);
      expect(existsSync(going), "a running run's parts").to.equal(true);
      expect(cleaned.output).to.match(/the next run's seed .*seed-\w+ \(\d+ MB\): deleted/);
      expect(cleaned.output).to.include(`trace parts of 1 interrupted run(s) in ${traces}`);
      const freed = Number(/^pgspace clean: freed (\d+(?:\.\d)?) MB on disk$/m.exec(cleaned.output)?.[1]);
      expect(freed, cleaned.output).to.be.at.least(1);
    });
  });
});
