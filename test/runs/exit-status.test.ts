import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listClusters } from '../../internal/integration/embedded/cluster.js';
import { postmasterPid } from '../../internal/integration/embedded/record.js';
import { pollUntil } from '../../internal/integration/common/poll.js';
import { OWN_SERVER, root, runMocha } from '../support/run-mocha.js';

// While a pgspace run is open its exit status reflects every failure it saw, whatever the test code
// does to the process, and a signal to `npm test` stops the whole suite, leaving nothing running.

const FIXTURE = 'test/fixtures/exits.fixture.ts';

/** Embedded clusters of this checkout whose server still runs, but those in `before`. */
async function serversLeft(before: Set<string>): Promise<string[]> {
  const clusters = await listClusters();
  return clusters
    .filter((c) => !before.has(c.dir) && c.record?.owner.checkout === root && postmasterPid(path.join(c.dir, 'data')) !== undefined)
    .map((c) => c.dir);
}

/** A process's parent and start time (Linux: /proc), or undefined once it is gone (or a zombie). */
function statOf(pid: number | string): { ppid: number; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    return fields[0] === 'Z' ? undefined : { ppid: Number(fields[1]), start: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Every process descended from `pid`, as pid@start-time, so a reused pid is not taken for one of them. */
function descendants(pid: number): string[] {
  const stats = new Map(
    readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map((e) => [Number(e), statOf(e)] as const),
  );
  const under = (p: number): boolean => {
    for (let up = stats.get(p)?.ppid; up !== undefined && up > 1; up = stats.get(up)?.ppid) if (up === pid) return true;
    return false;
  };
  return [...stats].filter(([p, stat]) => stat && under(p)).map(([p, stat]) => `${p}@${stat!.start}`);
}

function alive(process: string): boolean {
  const [pid, start] = process.split('@');
  return statOf(pid!)?.start === start;
}

describe('the exit status, whatever the test code does', function () {
  this.timeout(60_000);
  let before: Set<string>;

  beforeEach(async function () {
    before = new Set((await listClusters()).map((c) => c.dir));
  });

  it('is non-zero when a test calls process.exit(0) after a failing test, which says so and stops the server', async function () {
    const run = await runMocha(FIXTURE, { ...OWN_SERVER, FAIL: '1', EXIT: '1' });
    expect(run.code, run.output).to.equal(1);
    expect(run.output).to.match(
      /pgspace: the process is exiting \(code 0\) before the run's end, so the run fails; stopped the embedded Postgres\./,
    );
    expect(await serversLeft(before), 'servers left running').to.deep.equal([]);
  });

  it('is non-zero when a test calls process.exit(0) with no failure before it: the rest never ran', async function () {
    const run = await runMocha(FIXTURE, { ...OWN_SERVER, EXIT: '1' });
    expect(run.code, run.output).to.equal(1);
    expect(run.output).to.include("before the run's end, so the run fails");
  });

  for (const late of [50, 1_500]) {
    it(`is non-zero when a promise nobody handles is rejected ${late} ms after the last test, which says so`, async function () {
      const run = await runMocha(FIXTURE, { LATE: String(late) });
      expect(run.code, run.output).to.equal(1);
      expect(run.output).to.match(/3 passing/);
      expect(run.output).to.match(
        /pgspace: a promise was rejected and nothing handled it, so the run fails: Error: rejected late, on purpose\n\s+at /,
      );
    });
  }

  it('is zero when nothing went wrong', async function () {
    const run = await runMocha(FIXTURE);
    expect(run.code, run.output).to.equal(0);
  });
});

describe('Ctrl-C while the run starts', function () {
  this.timeout(60_000);

  it("stops the server it was starting, says so once, and exits 130 (or 143 when mocha's SIGTERM arrives first)", async function () {
    const before = new Set((await listClusters()).map((c) => c.dir));
    // To the process group, as Ctrl-C sends it; its first line is printed once the server
    // is up, before the run holds its lock and reaps: mid-start.
    const run = await runMocha(FIXTURE, OWN_SERVER, {
      started: (child) =>
        child.stderr!.on(
          'data',
          (chunk: Buffer) => String(chunk).includes('pgspace: embedded PostgreSQL') && process.kill(-child.pid!, 'SIGINT'),
        ),
    });
    // mocha's parent passes a Ctrl-C on as SIGINT and at once SIGTERM; on a busy machine the child
    // may see the SIGTERM first (pending signals reach whichever thread runs). Either stops the run.
    const signal = run.output.includes('pgspace: SIGTERM:') ? 'SIGTERM' : 'SIGINT';
    expect(run.code, run.output).to.equal(signal === 'SIGINT' ? 130 : 143);
    expect(run.output).to.include(`pgspace: ${signal}: the run stops here; stopped the embedded Postgres.`);
    expect(run.output.match(/: the run stops here/g), 'said once').to.have.lengthOf(1);
    expect(await serversLeft(before), 'servers left running').to.deep.equal([]);
  });
});

describe('SIGTERM to npm test', function () {
  this.timeout(120_000);
  let traces: string;

  before(function () {
    traces = mkdtempSync(path.join(os.tmpdir(), 'pgspace-sigterm-'));
  });

  after(function () {
    rmSync(traces, { recursive: true, force: true });
  });

  it('stops the whole suite, its servers included, before npm exits non-zero: nothing is left running', async function () {
    const before = new Set((await listClusters()).map((c) => c.dir));
    const npm = spawn('npm', ['test'], {
      cwd: root,
      env: { ...process.env, ...OWN_SERVER, PGSPACE_TRACE_DIR: traces, SHARD: '', SHARD_TIMINGS: '', NO_COLOR: '1' },
      detached: true, // as a CI job's shell would start it: the signal goes to npm alone
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk) => (output += chunk));
    npm.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) =>
      npm.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + os.constants.signals[signal] : null))),
    );
    // Once mocha's run (npm test's third) holds its server and runs tests.
    await pollUntil(
      'npm test to reach its mocha layers',
      () =>
        (output.match(/pgspace: embedded PostgreSQL/g) ?? []).length >= 3 && /✔/.test(output.split('\n> mocha ')[1] ?? '')
          ? true
          : undefined,
      {
        timeoutMs: 90_000,
        intervalMs: 50,
      },
    );
    const suite = descendants(npm.pid!);
    expect(suite.length, 'the suite is running').to.be.above(3);
    process.kill(npm.pid!, 'SIGTERM');
    const code = await exited;
    const left = suite.filter(alive);
    if (left.length > 0) for (const p of left) process.kill(Number(p.split('@')[0]), 'SIGKILL'); // leave the machine clean, then fail
    expect(left, `processes of the suite still running after npm exited:\n${output}`).to.deep.equal([]);
    expect(code, output).to.equal(143);
    expect(output).to.include('pgspace: SIGTERM: the run stops here; stopped the embedded Postgres.');
    expect(await serversLeft(before), 'servers left running').to.deep.equal([]);
  });
});
