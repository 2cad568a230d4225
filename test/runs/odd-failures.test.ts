import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropSpace } from '../../internal/integration/spaces/spaces.js';
import { runServer, withAdmin } from '../support/admin.js';
import { root, runCommand, runMocha, type MochaRun } from '../support/run-mocha.js';
import { pageData } from '../support/trace-page.js';
import { ODD_VALUES } from '../fixtures/odd/values.js';

// A test may throw anything: a null-prototype object (Vitest's own errors are), a Proxy whose every
// trap throws, a Symbol, a BigInt, a cyclic object, an Error from another realm, undefined. Under
// every runner the run must end, fail each such test as the runner shows it (pgspace adding no
// error of its own), keep its space, and list it as failed on the trace page.

const ODD = Object.keys(ODD_VALUES).length;
const keptIn = (output: string) => [...output.matchAll(/space kept for debugging: (\S+)/g)].map((m) => m[1]!);

describe('a run whose tests throw odd values', function () {
  this.timeout(120_000);
  let dir: string;
  const kept: string[] = [];

  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pgspace-odd-'));
  });

  afterEach(async function () {
    rmSync(dir, { recursive: true, force: true });
    await withAdmin(async (admin) => {
      for (const name of kept.splice(0)) await dropSpace(admin, runServer(), name);
    });
  });

  /** Checks what every runner must do: no error of pgspace's, each failure's space kept, the page lists them all. */
  function expectEveryFailure(run: MochaRun, page: string, failures: number, spaces: number): void {
    kept.push(...keptIn(run.output));
    expect(run.code, run.output).to.not.equal(0);
    expect(run.output, 'no error added by pgspace').to.not.match(
      /Cannot convert object to primitive value|TypeError: .*(toString|primitive)/,
    );
    expect(new Set(keptIn(run.output)).size, run.output).to.equal(spaces);
    const tests = pageData(page).tests;
    expect(tests.filter((t) => t.state === 'failed').length, tests.map((t) => `${t.state} ${t.title}`).join('\n')).to.equal(failures);
    expect(tests.filter((t) => t.state === 'passed').map((t) => t.title.replace(/^.*(>|odd failures) /, ''))).to.deep.equal(['passes']);
  }

  it('mocha: ends, fails each of them (sync and async), keeps their spaces, lists them on the page', async function () {
    const run = await runMocha('test/fixtures/odd-failures.fixture.ts', { PGSPACE_TRACE_DIR: dir, NO_COLOR: '1' });
    expectEveryFailure(run, path.join(dir, 'index.html'), 2 * ODD, ODD);
    expect(run.output)
      .to.include(`${2 * ODD} failing`)
      .and.include('1 passing');
    for (const name of Object.keys(ODD_VALUES))
      expect(run.output).to.include(`throws ${name}:`).and.include(`throws ${name}, synchronously:`);
    expect(run.output, 'what mocha cannot show, said').to.include('threw {}, which mocha cannot report; throw an Error instead');
  });

  it('mocha with the trace off: ends, and fails each of them', async function () {
    const run = await runMocha('test/fixtures/odd-failures.fixture.ts', { PGSPACE_TRACE: '0' });
    kept.push(...keptIn(run.output));
    expect(run.code, run.output).to.not.equal(0);
    expect(run.output)
      .to.include(`${2 * ODD} failing`)
      .and.include('1 passing');
  });

  it("Vitest: fails each of them with no error of pgspace's, keeps their spaces, lists them on the page", async function () {
    const run = await runCommand(
      process.execPath,
      [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/runners/vitest.config.ts'],
      {
        env: { PGSPACE_TRACE_DIR: dir, PGSPACE_VITEST_FIXTURE: 'test/fixtures/runners/odd-failures.vitest.ts' },
      },
    );
    expectEveryFailure(run, path.join(dir, 'vitest.html'), ODD, ODD);
    expect(run.output).to.match(new RegExp(`Tests +${ODD} failed \\| 1 passed`));
  });

  it("node:test: fails each of them with no error of pgspace's, keeps their spaces, lists them on the page", async function () {
    const run = await runCommand(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-global-setup=./test/runners/node-test/global-setup.mjs',
        'test/fixtures/runners/odd-failures.node-test.ts',
      ],
      { env: { PGSPACE_TRACE_DIR: dir } },
    );
    // node:test itself never ends a file whose test throws the Proxy, so its fixture leaves that one out.
    expectEveryFailure(run, path.join(dir, 'node-test.html'), ODD - 1, ODD - 1);
    expect(run.output).to.match(new RegExp(`ℹ fail ${ODD - 1}\\n`));
  });
});
