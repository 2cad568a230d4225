import { expect } from 'chai';
import { startCluster } from '../../internal/integration/embedded/cluster.js';
import { serverUrl } from '../../internal/integration/server/server.js';
import { runConnections } from '../../internal/integration/spaces/sizing.js';
import { runMocha } from '../support/run-mocha.js';

// A run's cap on spaces as a budget: whole runs of one-space tests (test/fixtures/one-space-suite, eight
// files) under a small PGSPACE_MAX_SPACES, in series and with --parallel, and a server sized by the
// README's formula. No test may fail for the cap or for connections it did not take.
const SUITE = 'test/fixtures/one-space-suite/*.fixture.ts';
const passing = (output: string) => Number(/(\d+) passing/.exec(output)?.[1] ?? 0);

describe("a run's cap on spaces, as a budget", function () {
  this.timeout(240_000);

  it('capped at one space, 304 one-space tests in series all pass: the warm pool makes none past the cap', async function () {
    const run = await runMocha(
      SUITE,
      { PGSPACE_MAX_SPACES: '1', TESTS_PER_FILE: '38' },
      { timeoutMs: 220_000, args: ['--reporter', 'dot'] },
    );
    expect(run.code, run.output).to.equal(0);
    expect(passing(run.output), run.output).to.equal(304);
  });

  it('capped at five, 160 tests in four parallel workers all pass: ready spaces go to whichever worker needs one', async function () {
    const run = await runMocha(
      SUITE,
      { PGSPACE_MAX_SPACES: '5' },
      { timeoutMs: 220_000, args: ['--reporter', 'dot', '--parallel', '--jobs', '4'] },
    );
    expect(run.code, run.output).to.equal(0);
    expect(passing(run.output), run.output).to.equal(160);
  });

  it("fits a server with the max_connections the README's formula gives: four workers, cap 10, 3 reserved slots", async function () {
    const cap = 10;
    const needed = 3 + runConnections(cap, 4); // superuser_reserved_connections, then the run
    const server = await startCluster({ max_connections: String(needed) });
    try {
      const run = await runMocha(
        SUITE,
        { PGSPACE_ADMIN_URL: serverUrl(server.settings), PGSPACE_MAX_SPACES: String(cap) },
        {
          timeoutMs: 220_000,
          args: ['--reporter', 'dot', '--parallel', '--jobs', '4'],
        },
      );
      expect(run.code, run.output).to.equal(0);
      expect(passing(run.output), run.output).to.equal(160);
      expect(run.output).not.to.match(/no connection left|remaining connection slots/);
    } finally {
      await server.stop();
    }
  });
});
