/**
 * A cluster directory's `run.json`: who made it (process, checkout) and what
 * it is for, so a later run can tell a live cluster from an abandoned one
 * without ever touching another checkout's. It is written before initdb, so
 * a run killed at any instant leaves a cluster the next run can recognise.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomSuffix } from '../common/names.js';

/** The process that made a cluster. */
export interface ClusterOwner {
  pid: number;
  /** The process's start time (Linux: /proc/<pid>/stat), so a recycled pid is not taken for it. */
  started?: string;
  /** The checkout the run belongs to (the directory of its package.json). */
  checkout: string;
}

/** What `run.json` holds. */
export interface ClusterRecord {
  owner: ClusterOwner;
  createdAt: string;
  /** Set once the server accepts connections. */
  port?: number;
  /** Set by a run that ended with spaces kept for debugging: the server stays up for them. */
  kept?: string[];
}

const RECORD = 'run.json';

/** The checkout a run in `cwd` belongs to: the nearest directory with a package.json. */
export function checkoutOf(cwd = process.cwd()): string {
  let dir = realpathSync(cwd);
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return existsSync(path.join(dir, 'package.json')) ? dir : realpathSync(cwd);
}

/** A process's state letter and start time (clock ticks since boot), where /proc has them. */
function procStat(pid: number): { state: string; started: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3; the name in (…) may hold spaces
    return { state: fields[0]!, started: fields[19]! };
  } catch {
    return undefined;
  }
}

/** A process's start time, where /proc has it. */
export function processStart(pid: number): string | undefined {
  return procStat(pid)?.started;
}

/** This process as an owner. */
export function currentOwner(): ClusterOwner {
  return { pid: process.pid, started: processStart(process.pid), checkout: checkoutOf() };
}

/** Whether a process with this pid exists (signal 0; EPERM means it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the owner is still running: same pid, not a zombie, and, where known, same start time. */
export function ownerAlive(owner: ClusterOwner): boolean {
  if (!pidAlive(owner.pid)) return false;
  const stat = procStat(owner.pid);
  if (!stat) return true; // no /proc: the pid is all there is
  return stat.state !== 'Z' && (owner.started === undefined || stat.started === owner.started);
}

/** Writes the record atomically (a reader never sees half of it). */
export async function writeRecord(dir: string, record: ClusterRecord): Promise<void> {
  const scratch = path.join(dir, `${RECORD}.${randomSuffix(6)}`);
  await fs.writeFile(scratch, JSON.stringify(record, null, 2));
  await fs.rename(scratch, path.join(dir, RECORD));
}

/** The record, or undefined when there is none (yet) or it is not ours. */
export async function readRecord(dir: string): Promise<ClusterRecord | undefined> {
  try {
    const record = JSON.parse(await fs.readFile(path.join(dir, RECORD), 'utf8')) as ClusterRecord;
    return record?.owner && Number.isInteger(record.owner.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pid of the postmaster running on `dataDir`, from its `postmaster.pid`,
 * checked against the process's command line so a recycled pid is never
 * signalled. Undefined when no server runs there.
 */
export function postmasterPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir) ? pid : undefined;
  } catch {
    return pid; // no /proc (macOS): trust the pid file
  }
}
