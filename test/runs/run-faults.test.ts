import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { ChildProcess } from 'node:child_process';
import { listClusters, reapClusters, startCluster, type FoundCluster } from '../../internal/integration/embedded/cluster.js';
import { pollUntil } from '../../internal/integration/common/poll.js';
import { ownerAlive, postmasterPid } from '../../internal/integration/embedded/record.js';
import { serverUrl } from '../../internal/integration/server/server.js';
import { MAX_KEPT } from '../../internal/integration/session/session.js';
import { dropSpace } from '../../internal/integration/spaces/spaces.js';
import { existing, runServer, withAdmin } from '../support/admin.js';
import { freshCheckout, killGroup, OWN_SERVER, root, runMocha } from '../support/run-mocha.js';

// Whole test runs (test/fixtures) under faults: the server killed, connections leaked,
// every shape of failure, too many spaces. Each asserts the exit status and what a user reads.

const count = (output: string, re: RegExp) => [...output.matchAll(new RegExp(re.source, `${re.flags}g`))].length;
const failing = (output: string) => Number(/(\d+) failing/.exec(output)?.[1] ?? 0);
const passing = (output: string) => Number(/(\d+) passing/.exec(output)?.[1] ?? 0);
const keptIn = (output: string) => [...output.matchAll(/space kept for debugging: (\S+)/g)].map((m) => m[1]!);
const clusterDirIn = (output: string) => /Its log \((.+)\/postgres\.log\)/.exec(output)?.[1];
/** The run's one message about its dead server (a test that asked for a space after it may name it in its failure too). */
const DIED = /^pgspace: the embedded Postgres died during the run/m;

describe('a test run under faults', function () {
  this.timeout(90_000);

  describe('when its Postgres server dies', function () {
    it('mid-run: exits non-zero with one message saying what happened, and stops', async function () {
      const run = await runMocha('test/fixtures/server-dies.fixture.ts', { ...OWN_SERVER, KILL_AT: '10', KILL_SIGNAL: 'SIGKILL' });
      expect(run.code, run.output).to.not.equal(0);
      expect(count(run.output, DIED), run.output).to.equal(1);
      expect(run.output).to.match(/Likely cause: its process was killed by SIGKILL\.\n {2}The run stops here\./);
      // Backends already connected (each ready space keeps its session warm) may answer a few more tests before they
      // notice their postmaster is gone; then the run stops: far from the fixture's 60 tests.
      expect(passing(run.output), run.output).to.be.within(10, 15);
      expect(failing(run.output), 'at most the test in progress fails; the rest never starts').to.be.at.most(1);
      expect(run.output, 'no uncaught errors blamed on tests').to.not.match(/Uncaught|done\(\) called multiple times/);
      expect(existsSync(clusterDirIn(run.output)!), 'the dead cluster is deleted').to.equal(false);
    });

    it('mid-run in parallel mode: the workers stop too, and the message is said once', async function () {
      const run = await runMocha(
        'test/fixtures/server-dies.fixture.ts',
        { ...OWN_SERVER, KILL_AT: '10', KILL_SIGNAL: 'SIGKILL' },
        {
          args: ['--parallel', '--jobs', '2', path.join(root, 'test/fixtures/passes.fixture.ts')],
        },
      );
      expect(run.code, run.output).to.not.equal(0);
      expect(count(run.output, DIED), run.output).to.equal(1);
      expect(failing(run.output), run.output).to.be.at.most(2);
      expect(run.output, 'the rest of the killed file never runs').to.not.match(/test 20/);
    });

    it('after the last test: the failed end of the run still makes it exit non-zero', async function () {
      const run = await runMocha('test/fixtures/server-dies.fixture.ts', { ...OWN_SERVER, KILL_AT: '60', KILL_SIGNAL: 'SIGQUIT' });
      expect(run.code, run.output).to.not.equal(0);
      expect(passing(run.output), run.output).to.equal(60);
      expect(run.output).to.not.match(/\d+ failing/);
      expect(count(run.output, DIED), run.output).to.equal(1);
      expect(run.output, run.output).to.match(
        /received immediate shutdown request[\s\S]*Likely cause: something stopped it \(an immediate shutdown/,
      );
    });
  });

  it('runs the rest of the file when a test leaks a client, a connection, a transaction, a Knex or a TypeORM DataSource, and names the test and the fix', async function () {
    const run = await runMocha('test/fixtures/leaks.fixture.ts');
    expect(run.code, run.output).to.equal(0);
    expect(count(run.output, /^RAN \d+$/m), run.output).to.equal(10);
    expect(run.output).to.not.match(/Uncaught|failing/);
    const warning = (test: string, what: string, line: number) =>
      new RegExp(
        `warning: "a fixture that leaks ${test}" left 1 connection\\(s\\) to its space open; pgspace closed them:\\n  - ${what}.*from test/fixtures/leaks\\.fixture\\.ts:${line}:`,
      );
    expect(run.output).to.match(warning('leaks a pool client', 'a client taken from space.pool and never released \\(idle\\)', 13));
    expect(run.output).to.match(warning('leaks a client of its own', 'a pg.Client never ended \\(idle\\)', 20));
    expect(run.output).to.match(
      warning('leaks an open transaction', 'a pg.Client never ended \\(idle in transaction, last: INSERT INTO hours', 26),
    );
    // A client library's connections: named, with how that library is closed.
    expect(run.output).to.match(
      /warning: "a fixture that leaks leaks a Knex instance" left 1 connection\(s\)[^\n]*\n {2}- a pg\.Client never ended \(idle\), from [^\n]*\(opened by Knex\)\n {2}Close what opened them \(await knex\.destroy\(\)\); release pool clients/,
    );
    expect(run.output).to.match(
      /warning: "a fixture that leaks leaks a TypeORM DataSource" left 1 connection\(s\)[^\n]*\n {2}- a client of a pg\.Pool never ended \(idle\), from test\/fixtures\/leaks\.fixture\.ts:\d+:\d+ \(opened by TypeORM\)\n {2}Close what opened them \(await dataSource\.destroy\(\)\)/,
    );
  });

  it('shows the psql line of a kept space with every shape of failure', async function () {
    const run = await runMocha('test/fixtures/failure-shapes.fixture.ts');
    const kept = keptIn(run.output);
    try {
      expect(run.code, run.output).to.not.equal(0);
      expect(failing(run.output), run.output).to.equal(7);
      // Each numbered failure in the summary carries its own note and psql line.
      const blocks = run.output
        .slice(run.output.indexOf('7 failing'))
        .split(/\n {2}\d\) /)
        .slice(1);
      expect(blocks, run.output).to.have.length(7);
      for (const block of blocks) expect(block, block).to.match(/space kept for debugging: pgs_failure_shapes_\w+\n\s+psql '[^']+'/);
      expect(await existing(kept)).to.have.members(kept); // really kept
      const url = /psql '([^']+)'/.exec(blocks[0]!)![1]!;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      expect((await client.query('SELECT current_user AS u')).rows[0].u).to.equal(kept[0]);
      await client.end();
    } finally {
      await withAdmin(async (admin) => {
        for (const name of kept) await dropSpace(admin, runServer(), name);
      });
    }
  });

  it('stops a run at its cap of spaces held at once, before the server runs out: what the cap is, what to change', async function () {
    const small = await startCluster({ max_connections: '20' });
    try {
      const run = await runMocha('test/fixtures/many-spaces.fixture.ts', { PGSPACE_ADMIN_URL: serverUrl(small.settings) });
      expect(run.code, run.output).to.not.equal(0);
      // The default leaves room for four serial runs and their own connections: on 20, one space each.
      expect(run.output).to.match(
        /this test waited 1\d\.\d s for a space, and its run held 1 space\(s\) at once, its cap \(the default: a quarter of max_connections = 20 less 3 reserved, less a run's own 5, at most 50; PGSPACE_MAX_SPACES changes it\), all that time; held now: 1 given to tests: "a fixture with too many spaces takes too many spaces at once"\..*raise PGSPACE_MAX_SPACES/,
      );
      expect(run.output).to.not.match(/no connection left|remaining connection slots/);
    } finally {
      await small.stop();
    }
  });

  it('explains running out of connections (the cap raised past the server): spaces live, max_connections, what to change', async function () {
    const small = await startCluster({ max_connections: '20' });
    try {
      const run = await runMocha('test/fixtures/many-spaces.fixture.ts', {
        PGSPACE_ADMIN_URL: serverUrl(small.settings),
        PGSPACE_MAX_SPACES: '100',
      });
      expect(run.code, run.output).to.not.equal(0);
      expect(run.output).to.match(
        /has no connection left \(max_connections = 20\); this process holds \d+ space\(s\) \(\d+ given to tests, \d+ ready in its warm pool\) and up to \d+ admin connections\. A run of N test processes .*raise the server's max_connections/,
      );
      expect(run.output).to.not.match(/^\s*error: remaining connection slots/m);
      const kept = keptIn(run.output);
      const client = new pg.Client(small.settings);
      await client.connect();
      const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'pgs\\_%'`);
      await client.end();
      // What it says is kept is kept, less what it says it dropped past the run's cap, and nothing else is left.
      const dropped = [...run.output.matchAll(/dropped the oldest: (.+)$/gm)].flatMap((m) => m[1]!.split(', '));
      expect(rows.map((r) => r.datname)).to.have.members(kept.filter((name) => !dropped.includes(name)));
      expect(rows.length).to.be.at.most(MAX_KEPT);
    } finally {
      await small.stop();
    }
  });

  describe('embedded clusters of two checkouts by one user', function () {
    const other = freshCheckout();

    it("never stops another checkout's kept cluster; the next run of its own checkout does, unless someone is connected", async function () {
      const failed = await runMocha('test/fixtures/fails.fixture.ts', OWN_SERVER);
      expect(failed.code, failed.output).to.equal(1);
      const url = /psql '([^']+)'/.exec(failed.output)![1]!;
      const dir = /kept for failing tests on the embedded Postgres at (\S+) \(port/.exec(failed.output)![1]!;
      const alive = () => postmasterPid(path.join(dir, 'data')) !== undefined;
      expect(alive()).to.equal(true);

      const elsewhere = await runMocha('test/fixtures/passes.fixture.ts', OWN_SERVER, { cwd: other() });
      expect(elsewhere.code, elsewhere.output).to.equal(0);
      expect(alive(), 'a run in another checkout leaves it alone').to.equal(true);

      const debugging = new pg.Client({ connectionString: url });
      await debugging.connect();
      const whileConnected = await runMocha('test/fixtures/passes.fixture.ts', OWN_SERVER);
      expect(whileConnected.output).to.match(/left the embedded Postgres a previous run kept for debugging up .*1 session\(s\) connected/);
      expect(alive(), 'someone is debugging in it').to.equal(true);
      await debugging.end();

      const next = await runMocha('test/fixtures/passes.fixture.ts', OWN_SERVER);
      expect(next.output).to.match(
        /stopped the embedded Postgres a previous run of this checkout kept for debugging \(1 kept space\(s\)\)/,
      );
      expect(alive()).to.equal(false);
      expect(existsSync(dir)).to.equal(false);
    });
  });
});

describe('the exit status', function () {
  this.timeout(30_000);

  it('stays non-zero after failRun(), even when the runner later sets 0 from its own exit listener', async function () {
    const script = path.join(await mkdtemp(path.join(os.tmpdir(), 'pgspace-exit-')), 'exit.ts');
    await writeFile(
      script,
      `import { failRun } from ${JSON.stringify(path.join(root, 'internal/integration/run/exit-status.ts'))};\n` +
        `failRun();\nprocess.on('exit', () => { process.exitCode = 0; }); // what mocha does with 0 failures\n`,
    );
    const { spawnSync } = await import('node:child_process');
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root });
    await rm(path.dirname(script), { recursive: true, force: true });
    expect(result.status, String(result.stderr)).to.equal(1);
  });
});

describe('an embedded cluster whose run is killed while it starts', function () {
  this.timeout(60_000);
  // A fresh checkout has no seed, so every run below goes through initdb.
  const checkout = freshCheckout();

  /** Processes (a surviving postmaster, say) whose command line names `dir`. */
  async function processesIn(dir: string): Promise<number[]> {
    const { readdir, readFile } = await import('node:fs/promises');
    const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
    const found: number[] = [];
    for (const pid of pids) if ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(dir)) found.push(Number(pid));
    return found;
  }

  const moments: { moment: string; reached: (c: FoundCluster) => boolean }[] = [
    { moment: 'during initdb', reached: (c) => existsSync(path.join(c.dir, 'data')) && !existsSync(path.join(c.dir, 'postgres.log')) },
    { moment: 'while the server starts', reached: (c) => existsSync(path.join(c.dir, 'postgres.log')) && c.record?.port === undefined },
    { moment: 'once the server is up', reached: (c) => c.record?.port !== undefined },
  ];
  for (const { moment, reached } of moments) {
    it(`leaves nothing the next run does not stop and delete: killed ${moment}`, async function () {
      const before = new Set((await listClusters()).map((c) => c.dir));
      let child: ChildProcess | undefined;
      const run = runMocha('test/fixtures/passes.fixture.ts', OWN_SERVER, { started: (c) => (child = c), cwd: checkout() });
      const cluster = await pollUntil(
        `a new cluster ${moment}`,
        async () => (await listClusters()).find((c) => !before.has(c.dir) && reached(c)),
        { timeoutMs: 30_000, intervalMs: 1 },
      );
      const dir = cluster.dir;
      killGroup(child!);
      await run;
      // The next run comes once the killed one is gone (SIGKILL takes a moment to finish a process).
      await pollUntil('the killed run to be gone', () => (ownerAlive(cluster.record!.owner) ? undefined : true), { timeoutMs: 10_000 });

      await reapClusters(); // what the next run does first
      expect(existsSync(dir), dir).to.equal(false);
      expect(await processesIn(dir), 'no orphaned server').to.deep.equal([]);
    });
  }

  /** Starts the passes fixture in this describe's checkout; once its server is up, its process group and cluster. */
  async function startedRun(): Promise<{
    run: Promise<{ code: number | null; output: string }>;
    child: ChildProcess;
    cluster: FoundCluster;
  }> {
    const before = new Set((await listClusters()).map((c) => c.dir));
    let child: ChildProcess | undefined;
    const run = runMocha('test/fixtures/passes.fixture.ts', OWN_SERVER, { started: (c) => (child = c), cwd: checkout() });
    const cluster = await pollUntil(
      'a new cluster whose server is up',
      async () => (await listClusters()).find((c) => !before.has(c.dir) && c.record?.port !== undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 1,
      },
    );
    return { run, child: child!, cluster };
  }

  it('stops its server when interrupted (SIGINT) as soon as the server is up, while the run still starts, and says so', async function () {
    const { run, child, cluster } = await startedRun();
    process.kill(-child.pid!, 'SIGINT'); // Ctrl-C: the whole foreground group
    const { code, output } = await run;
    expect(code, output).to.equal(130);
    expect(output).to.match(/pgspace: SIGINT: the run stops here; stopped the embedded Postgres\./);
    expect(await processesIn(cluster.dir), 'no server left running').to.deep.equal([]);
    expect(existsSync(cluster.dir)).to.equal(false);
  });

  it('when a killed run left its server running, the next run of the checkout stops it and says so in one line', async function () {
    const { run, child, cluster } = await startedRun();
    killGroup(child); // SIGKILL: the run cannot stop its server
    await run;
    await pollUntil('the killed run to be gone', () => (ownerAlive(cluster.record!.owner) ? undefined : true), { timeoutMs: 10_000 });
    const server = postmasterPid(path.join(cluster.dir, 'data'));
    expect(server, 'its server outlived it').to.be.a('number');
    const next = await runMocha('test/fixtures/passes.fixture.ts', OWN_SERVER, { cwd: checkout() });
    expect(next.code, next.output).to.equal(0);
    const said = next.output.split('\n').filter((line) => line.includes(String(server)));
    expect(said, next.output).to.deep.equal([
      `pgspace: stopped the embedded Postgres (pid ${server}) that an interrupted run of this checkout left running; its data (${cluster.dir}) is deleted`,
    ]);
    expect(await processesIn(cluster.dir)).to.deep.equal([]);
  });
});

describe('the next run of a checkout, on the embedded server', function () {
  this.timeout(60_000);
  const checkout = freshCheckout();

  it("starts from the last clean run's data: templates built, no initdb", async function () {
    const first = await runMocha('test/fixtures/passes.fixture.ts', OWN_SERVER, { cwd: checkout() });
    expect(first.code, first.output).to.equal(0);
    expect(first.output).to.not.include("with the last run's templates");
    const second = await runMocha('test/fixtures/passes.fixture.ts', OWN_SERVER, { cwd: checkout() });
    expect(second.code, second.output).to.equal(0);
    expect(second.output).to.include("with the last run's templates");
    // A run that keeps a space leaves no seed: the run after it starts from scratch.
    const failed = await runMocha('test/fixtures/fails.fixture.ts', OWN_SERVER, { cwd: checkout() });
    expect(failed.code, failed.output).to.equal(1);
    const next = await runMocha('test/fixtures/passes.fixture.ts', OWN_SERVER, { cwd: checkout() });
    expect(next.code, next.output).to.equal(0);
    expect(next.output).to.not.include("with the last run's templates");
  });
});
