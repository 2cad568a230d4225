/**
 * Splitting a suite's test files into n shards, the way Jest, Vitest and
 * Playwright shard (by file), packed by how long each file took last time.
 *
 * Pure and deterministic: every shard of one build computes the whole split
 * from the same files and the same timings and keeps its own part, so every
 * file lands in exactly one shard with no coordination between agents.
 */
import { PgspaceError } from '../common/errors.js';

/** Which shard this is: `index` of `count`, 1-based (SHARD=2/4). */
export interface ShardSpec {
  index: number;
  count: number;
}

/** One shard of the split: its files and the time they are expected to take. */
export interface Shard {
  files: string[];
  /** Seconds, by the timings (or the size-based weights when there are none). */
  expected: number;
}

/** Parses `i/n` (SHARD=2/4); a clear error for anything else. */
export function parseShard(text: string): ShardSpec {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new PgspaceError(
      'config',
      `SHARD=${JSON.stringify(text)} is not a shard: write i/n with 1 ≤ i ≤ n, e.g. SHARD=2/4 (the second of four)`,
    );
  }
  return { index, count };
}

/**
 * Splits `files` into `count` shards. Each file weighs `weight(file)`:
 * heaviest first, each goes to the lightest shard so far (ties: the lower
 * shard; equal weights: by name), the classic longest-processing-time
 * packing, within 4/3 of the best possible split and usually much closer.
 */
export function splitFiles(files: readonly string[], count: number, weight: (file: string) => number): Shard[] {
  const shards: Shard[] = Array.from({ length: count }, () => ({ files: [], expected: 0 }));
  const unique = [...new Set(files)];
  const weighed = unique
    .map((file) => ({ file, w: weight(file) }))
    .sort((a, b) => b.w - a.w || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const { file, w } of weighed) {
    let lightest = shards[0]!; // equally light: the one with fewer files (weights may all be 0)
    for (const shard of shards) {
      if (shard.expected < lightest.expected || (shard.expected === lightest.expected && shard.files.length < lightest.files.length))
        lightest = shard;
    }
    lightest.files.push(file);
    lightest.expected += w;
  }
  for (const shard of shards) shard.files.sort(); // a shard runs its files in the usual order
  return shards;
}

/**
 * The weight of each file: its recorded seconds when known; a file with no
 * record (new since the reports) weighs the median of the known ones. With
 * no timings at all, the file's size stands in (bytes are not seconds, so no
 * time is expected then).
 */
export function weigher(
  timings: ReadonlyMap<string, number>,
  sizeOf: (file: string) => number,
): { weight: (file: string) => number; timed: boolean } {
  if (timings.size === 0) return { weight: sizeOf, timed: false };
  const known = [...timings.values()].sort((a, b) => a - b);
  const median = known[Math.floor(known.length / 2)]!;
  return { weight: (file) => timings.get(file) ?? median, timed: true };
}
