/**
 * This process's shard (SHARD=i/n) of a list of test files, with the lines
 * that say what it runs. The plan must be the same function of the file list
 * in every shard of one split, or a file runs in no shard or in two: so its
 * only other input is explicit, SHARD_TIMINGS (a JUnit report, or a directory
 * searched for them), never reports the checkout happens to hold (an earlier
 * shard's, say). With none, files are weighed by their size. Each shard
 * prints a fingerprint of the whole split; the shards of one build must agree.
 */
import { createHash } from 'node:crypto';
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
  /** Lines to print: what this shard runs, expected time, where the timings came from, the plan's fingerprint. */
  lines: string[];
  /** The same in every shard of one split (a hash of the whole split), different if any shard would split otherwise. */
  fingerprint: string;
}

/** The shard asked for in the environment, if any (throws a clear error for a malformed one). */
export function shardFromEnv(env: NodeJS.ProcessEnv = process.env): ShardSpec | undefined {
  const text = env[SHARD_VAR];
  return text ? parseShard(text) : undefined;
}

function readTimings(env: NodeJS.ProcessEnv, root: string): { recorded: Map<string, number>; source?: string } {
  const recorded = new Map<string, number>();
  const given = env[TIMINGS_VAR];
  if (!given) return { recorded };
  const source = path.resolve(root, given);
  for (const file of reportFiles(source)) readJUnit(fs.readFileSync(file, 'utf8'), recorded);
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
  const relative = (f: string) => path.relative(root, path.resolve(root, f)).split(path.sep).join('/');
  const fingerprint = createHash('sha256')
    .update(JSON.stringify(shards.map((s) => s.files.map(relative))))
    .digest('hex')
    .slice(0, 12);
  const mine = shards[spec.index - 1]!;
  const total = shards.reduce((s, x) => s + x.expected, 0);
  const all = new Set(files).size;
  const how = timed
    ? `expected ${mine.expected.toFixed(1)} s of ${total.toFixed(1)} s, by the timings in ${source} (${times.size} of ${all} files known)`
    : `split by file size: ${source ? `no JUnit timings in ${source}` : `no ${TIMINGS_VAR} given`}`;
  return {
    files: mine.files,
    fingerprint,
    lines: [
      `shard ${spec.index}/${spec.count}: ${mine.files.length} of ${all} test files, ${how}; plan ${fingerprint}`,
      `shard ${spec.index}/${spec.count} runs: ${mine.files.map(relative).join(' ') || '(nothing: more shards than files)'}`,
    ],
  };
}
