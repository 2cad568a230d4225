import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { pollUntil } from '../../internal/integration/common/poll.js';
import { listSpaces } from '../../internal/integration/spaces/reaper.js';
import { dropSpace } from '../../internal/integration/spaces/spaces.js';
import { existing, runServer, withAdmin } from '../support/admin.js';
import { killGroup, runMocha } from '../support/run-mocha.js';

// Whole test runs of fixture files (test/fixtures), against this run's server.

/** Spaces of run `run` (even half-made ones) whose database or role still exists. */
const spacesOfRun = (run: number) =>
  withAdmin(async (admin) => {
    const { rows } = await admin.query<{ name: string }>(
      `SELECT name FROM pgspace.spaces s WHERE run = $1
          AND (EXISTS (SELECT 1 FROM pg_database WHERE datname = s.name) OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname = s.name))`,
      [run],
    );
    return rows.map((r) => r.name);
  });

const spacesIn = (output: string) => [...output.matchAll(/^SPACE (\S+)$/gm)].map((m) => m[1]!);

describe('a test run', function () {
  this.timeout(60_000);

  it('leaves no space database or role behind when its tests pass', async function () {
    const run = await runMocha('test/fixtures/passes.fixture.ts');
    expect(run.code, run.output).to.equal(0);
    const names = spacesIn(run.output);
    expect(names).to.have.length(3);
    expect(await existing(names)).to.deep.equal([]);
  });

  it("keeps a failing test's space and prints a psql line that connects to it", async function () {
    const run = await runMocha('test/fixtures/fails.fixture.ts');
    expect(run.code, run.output).to.equal(1);
    const kept =
      /space kept for debugging: (pgs_a_fixture_fails_on_purpose_it_s_quoted_[a-z2-7]{10})\n\s+psql '([^']+)'\n\s+a fresh clone of its template\n/.exec(
        run.output,
      );
    expect(kept, run.output).to.not.equal(null);
    const [, name, url] = kept!;
    try {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query('SELECT current_user AS who, trainer_id FROM hours');
      await client.end();
      expect(rows).to.deep.equal([{ who: name, trainer_id: 'left-for-debugging' }]);
    } finally {
      await withAdmin((admin) => dropSpace(admin, runServer(), name!));
    }
  });

  it('has its spaces reaped by the next run when it is killed', async function () {
    let child: ChildProcess | undefined;
    let output = '';
    const killed = runMocha(
      'test/fixtures/hangs.fixture.ts',
      {},
      {
        started: (c) => {
          child = c;
          c.stdout!.on('data', (chunk) => (output += chunk));
        },
      },
    );
    const [name] = await pollUntil('the hanging run to take a space', () => spacesIn(output)[0] && spacesIn(output), { timeoutMs: 30_000 });
    const run = (await withAdmin(listSpaces)).find((s) => s.name === name)!.run;
    killGroup(child!); // mid-test, with its warm pool still making spaces
    await killed;
    expect(await spacesOfRun(run)).to.include(name); // abandoned, until...

    const next = await runMocha('test/fixtures/passes.fixture.ts');
    expect(next.code, next.output).to.equal(0);
    expect(await spacesOfRun(run)).to.deep.equal([]);
  });

  it('drops the space of a parallel worker that died, when the run ends', async function () {
    const run = await runMocha('test/fixtures/worker-dies.fixture.ts', {}, { args: ['--parallel', '--jobs', '2'] });
    expect(run.code, run.output).to.not.equal(0); // the worker's death fails the run...
    const names = spacesIn(run.output);
    expect(names, run.output).to.have.length(1);
    expect(await existing(names)).to.deep.equal([]); // ...and its space is gone all the same
  });

  it('fails fast and clearly when the configured server is unreachable', async function () {
    const run = await runMocha('test/fixtures/passes.fixture.ts', { PGSPACE_ADMIN_URL: 'postgresql://postgres@127.0.0.1:1/postgres' });
    expect(run.code).to.not.equal(0);
    expect(run.output).to.match(
      /cannot reach Postgres at 127\.0\.0\.1:1 \(ECONNREFUSED\)\. Start that server, or unset PGSPACE_ADMIN_URL and PGHOST to use the embedded one\./,
    );
    expect(run.output, 'no stack trace').to.not.match(/^\s+at /m);
  });
});
