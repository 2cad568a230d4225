/** Why an embedded server died or stopped working, from its log and its disk, in words. */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { logFileOf } from './cluster.js';

/** Whether `host` (a server's unix socket directory) is an embedded cluster's directory. */
export function isClusterDir(host: string): boolean {
  return host.startsWith('/') && existsSync(logFileOf(host));
}

function size(bytes: number): string {
  return bytes >= 1024 ** 2 ? `${Math.round(bytes / 1024 ** 2)} MB` : `${Math.round(bytes / 1024)} kB`;
}

const CAUSES: [RegExp, (free: string) => string][] = [
  [
    /No space left on device|could not extend file|checkpoint request failed/i,
    (free) => `the disk holding its data is full (${free} free now). Set PGSPACE_DATA_DIR to a directory with more room.`,
  ],
  [/out of memory/i, () => 'it ran out of memory.'],
  [/terminated by signal 9|Killed/, () => "a server process was killed (SIGKILL: the kernel's OOM killer, or `kill -9`)."],
  [/received immediate shutdown request/, () => 'something stopped it (an immediate shutdown: `pg_ctl -m immediate stop` or SIGQUIT).'],
  [/received (fast|smart) shutdown request/, () => 'something stopped it (a shutdown request).'],
  [/PANIC/, () => 'it hit a PANIC (see the log above).'],
];

/**
 * A paragraph about the cluster in `dir`: the last lines of its log and the
 * likely cause. `exit` is how the server process ended, when known.
 */
export async function describeCluster(dir: string, exit?: { code: number | null; signal: string | null }): Promise<string> {
  const lines = (await fs.readFile(logFileOf(dir), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).slice(-12);
  const free = await fs.statfs(dir).then(
    (s) => size(s.bavail * s.bsize),
    () => 'unknown',
  );
  const text = lines.join('\n');
  let cause = CAUSES.find(([re]) => re.test(text))?.[1](free);
  if (!cause && exit?.signal) cause = `its process was killed by ${exit.signal}.`;
  const out = [`Its log (${logFileOf(dir)}) ends with:`, ...lines.map((l) => `    ${l}`)];
  if (cause) out.push(`  Likely cause: ${cause}`);
  return out.join('\n');
}
