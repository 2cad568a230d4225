/**
 * This process's shard (SHARD=i/n) of a list of test files, with the line
 * that says what it runs. Timings come from SHARD_TIMINGS (a JUnit report,
 * or a directory searched for them) or else the reports/*.xml an earlier
 * run left in the checkout; with none, files are weighed by their size.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readJUnit, reportFiles, timesFor } from './junit-timings.js';
import { parseShard, splitFiles, weigher, type ShardSpec } from './split.js';

/** The variables a user sets: SHARD=2/4, and optionally where the last timings are. */
export const SHARD_VAR = 'SHARD';
export const TIMINGS_VAR = 'SHARD_TIMINGS';

/** What one shard runs, and how it was decided. */
export interface ShardPlan {
  files: string[];
  /** Lines to print: what this shard runs, expected time, where the timings came from. */
  lines: string[];
}

/** The shard asked for in the environment, if any (throws a clear error for a malformed one). */
export function shardFromEnv(env: NodeJS.ProcessEnv = process.env): ShardSpec | undefined {
  const text = env[SHARD_VAR];
  return text ? parseShard(text) : undefined;
}

function readTimings(env: NodeJS.ProcessEnv, root: string): { recorded: Map<string, number>; source: string } {
  const given = env[TIMINGS_VAR];
  const source = given ? path.resolve(root, given) : path.join(root, 'reports');
  const recorded = new Map<string, number>();
  for (const file of reportFiles(source, given ? Infinity : 1)) readJUnit(fs.readFileSync(file, 'utf8'), recorded);
  return { recorded, source: path.relative(root, source) || '.' };
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Plans shard `spec` of `files` (paths as mocha collected them, relative to `root` or absolute). */
export function planShard(spec: ShardSpec, files: readonly string[], root: string, env: NodeJS.ProcessEnv = process.env): ShardPlan {
  const { recorded, source } = readTimings(env, root);
  const times = timesFor(files, recorded, root);
  const { weight, timed } = weigher(times, (f) => sizeOf(path.resolve(root, f)));
  const shards = splitFiles(files, spec.count, weight);
  const mine = shards[spec.index - 1]!;
  const total = shards.reduce((s, x) => s + x.expected, 0);
  const all = new Set(files).size;
  const how = timed
    ? `expected ${mine.expected.toFixed(1)} s of ${total.toFixed(1)} s, by the timings in ${source} (${times.size} of ${all} files known)`
    : `split by file size: no JUnit timings in ${source}`;
  const names = mine.files.map((f) => path.relative(root, path.resolve(root, f)));
  return {
    files: mine.files,
    lines: [
      `shard ${spec.index}/${spec.count}: ${mine.files.length} of ${all} test files, ${how}`,
      `shard ${spec.index}/${spec.count} runs: ${names.join(' ') || '(nothing: more shards than files)'}`,
    ],
  };
}
