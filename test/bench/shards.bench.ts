/**
 * `npm run bench:shards`: what splitting the suite (SHARD=i/n) buys.
 *
 * On one embedded server started here (shared, as agents sharing a test
 * server would use it): a warm-up run of the whole mocha suite writes a
 * JUnit report (the per-file times, and the templates get built); then the
 * suite runs as 1 shard, as 2 shards at once, and as 4 shards at once, all
 * packed by that report, and their wall times are printed side by side.
 *
 * A 2-core machine cannot show the speed-up of more agents (four shards
 * here share two cores), so it also prints a projection for N agents from
 * the measured figures: each agent pays the run's fixed cost (measured:
 * the 1-shard run's wall time less the sum of its own files' times) plus its shard's
 * files, packed as SHARD packs them; the build takes as long as the slowest
 * agent. Prints figures; asserts nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startCluster } from '../../internal/integration/embedded/cluster.js';
import { serverUrl } from '../../internal/integration/server/server.js';
import { readJUnit, timesFor } from '../../internal/integration/shard/junit-timings.js';
import { splitFiles } from '../../internal/integration/shard/split.js';
import { root, runCommand } from '../support/run-mocha.js';

const SPEC = 'test/{unit,integration,component,contract,e2e}/**/*.test.ts'; // the layers npm test runs
const AGENTS = [1, 2, 4, 8, 16];
const mocha = path.join(root, 'node_modules/mocha/bin/mocha.js');
const dir = await mkdtemp(path.join(os.tmpdir(), 'pgspace-bench-shards-'));
const report = path.join(dir, 'junit.xml');
const server = await startCluster();
const base = { PGSPACE_ADMIN_URL: serverUrl(server.settings), PGSPACE_TRACE_DIR: path.join(dir, 'trace'), SHARD_TIMINGS: report };

/** One mocha run (shard `shard`, or the whole suite); its wall time in seconds. */
async function timedRun(shard: string, args: string[] = []): Promise<number> {
  const t0 = performance.now();
  const run = await runCommand(process.execPath, [mocha, ...args, SPEC], { env: { ...base, SHARD: shard } });
  if (run.code !== 0) throw new Error(`shard ${shard || '(all)'} failed:\n${run.output}`);
  return (performance.now() - t0) / 1000;
}

/** n shards at once: each one's wall time, and the whole's; `args` go to every shard. */
async function concurrent(n: number, args: string[] = []): Promise<{ each: number[]; wall: number }> {
  const t0 = performance.now();
  const each = await Promise.all(Array.from({ length: n }, (_, i) => timedRun(`${i + 1}/${n}`, args)));
  return { each, wall: (performance.now() - t0) / 1000 };
}

/** Seconds per file in a JUnit report, keyed by this checkout's paths. */
async function fileTimes(file: string): Promise<Map<string, number>> {
  const recorded = readJUnit(await readFile(file, 'utf8'));
  return timesFor([...recorded.keys()], recorded, root);
}

try {
  await timedRun('', ['--reporter', 'mocha-junit-reporter', '--reporter-options', `mochaFile=${report}`]);
  const runs = new Map<number, { each: number[]; wall: number }>();
  // The 1-shard run writes its own report: its wall time less its files' times is the fixed cost of a run.
  const own = path.join(dir, 'one.xml');
  runs.set(1, await concurrent(1, ['--reporter', 'mocha-junit-reporter', '--reporter-options', `mochaFile=${own}`]));
  for (const n of [2, 4]) runs.set(n, await concurrent(n));
  const times = await fileTimes(own);
  const files = [...times.keys()];
  const fileSeconds = [...times.values()].reduce((a, b) => a + b, 0);
  const one = runs.get(1)!.wall;
  console.log(
    `\nmocha suite (${SPEC}), ${files.length} files, ${os.availableParallelism()} cores, one shared embedded server, packed by a warm-up run's JUnit times:`,
  );
  console.log('shards at once | wall time | each shard                  | vs 1 shard');
  for (const [n, r] of runs) {
    console.log(
      `${String(n).padStart(14)} | ${r.wall.toFixed(2).padStart(7)} s | ${r.each
        .map((s) => s.toFixed(1))
        .join(' / ')
        .padEnd(27)} | ${(r.wall / one).toFixed(2)}×`,
    );
  }

  const fixed = Math.max(0, one - fileSeconds);
  const longest = Math.max(...times.values());
  console.log(
    `\nprojection for N agents (one shard each, own cores): fixed cost per run ${fixed.toFixed(2)} s (1-shard wall ${one.toFixed(2)} s − files ${fileSeconds.toFixed(2)} s); longest file ${longest.toFixed(2)} s`,
  );
  console.log('agents | slowest shard | projected build | speed-up');
  const single = fixed + fileSeconds;
  for (const n of AGENTS) {
    const slowest = Math.max(...splitFiles(files, n, (f) => times.get(f) ?? 0).map((s) => s.expected));
    const build = fixed + slowest;
    console.log(
      `${String(n).padStart(6)} | ${slowest.toFixed(2).padStart(11)} s | ${build.toFixed(2).padStart(13)} s | ${(single / build).toFixed(2)}×`,
    );
  }
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
