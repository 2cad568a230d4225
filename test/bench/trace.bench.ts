/**
 * `npm run bench:trace`: what the trace costs. Runs the project's own mocha
 * suite (the layers `npm test` runs) with the trace off (PGSPACE_TRACE=0)
 * and on, alternately, TRACE_ROUNDS times each, and prints each run's wall
 * time, the medians and the overhead. Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { root, runCommand } from '../support/run-mocha.js';

const ROUNDS = Number(process.env.TRACE_ROUNDS ?? 3);
const SPEC = 'test/{unit,integration,component,e2e}/**/*.test.ts';

async function timedRun(trace: boolean): Promise<number> {
  const t0 = performance.now();
  const run = await runCommand(process.execPath, [path.join(root, 'node_modules/mocha/bin/mocha.js'), SPEC], {
    env: { PGSPACE_TRACE: trace ? '1' : '0', PGSPACE_TRACE_DIR: path.join(root, 'reports', 'trace-bench') },
  });
  const ms = performance.now() - t0;
  if (run.code !== 0) throw new Error(`the suite failed (trace ${trace ? 'on' : 'off'}):\n${run.output}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const off: number[] = [];
const on: number[] = [];
await timedRun(false); // warm-up: the seed cluster and templates of this checkout
for (let i = 0; i < ROUNDS; i++) {
  off.push(await timedRun(false));
  on.push(await timedRun(true));
  console.log(`round ${i + 1}: trace off ${(off.at(-1)! / 1000).toFixed(2)} s, on ${(on.at(-1)! / 1000).toFixed(2)} s`);
}
const [mOff, mOn] = [median(off), median(on)];
console.log(
  `\nmocha suite (${SPEC}), median of ${ROUNDS}: trace off ${(mOff / 1000).toFixed(2)} s, on ${(mOn / 1000).toFixed(2)} s, overhead ${(((mOn - mOff) / mOff) * 100).toFixed(1)} %`,
);
