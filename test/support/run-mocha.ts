/** Runs a separate `mocha` test run (as a user would) and captures what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this suite runs from. */
export const root = fileURLToPath(new URL('../..', import.meta.url));

/** The outcome of a child test run. */
export interface MochaRun {
  code: number | null;
  output: string;
}

/** Where child runs write their trace pages unless told otherwise: not over this run's reports/trace. */
export const CHILD_TRACE_DIR = path.join(os.tmpdir(), 'pgspace-child-traces');

/** Environment for a child run that starts its own embedded Postgres instead of using this run's server. */
export const OWN_SERVER: NodeJS.ProcessEnv = { PGSPACE_ADMIN_URL: '', PGHOST: '' };

/**
 * Runs mocha with the pgspace plugin (and `args`) on `spec` in its own process group.
 * The child inherits this run's server (PGSPACE_ADMIN_URL) unless `env`
 * says otherwise (OWN_SERVER). Fails if it has not finished within `timeoutMs`.
 */
export function runMocha(
  spec: string,
  env: NodeJS.ProcessEnv = {},
  {
    timeoutMs = 60_000,
    started,
    args = [],
    cwd = root,
  }: { timeoutMs?: number; started?: (child: ChildProcess) => void; args?: string[]; cwd?: string } = {},
): Promise<MochaRun> {
  return new Promise((resolve, reject) => {
    const mocha = path.join(root, 'node_modules/mocha/bin/mocha.js');
    const plugin = path.join(root, 'internal/integration/runners/mocha.ts');
    const child = spawn(process.execPath, [mocha, '--require', plugin, ...args, path.resolve(root, spec)], {
      cwd,
      // A child runs all of its spec, whatever shard this run is.
      env: { ...process.env, PGSPACE_TRACE_DIR: CHILD_TRACE_DIR, SHARD: '', SHARD_TIMINGS: '', ...env },
      detached: true, // its own process group, so killGroup() reaches mocha's re-spawned node too
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`mocha ${spec} still running after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    started?.(child);
  });
}

/** SIGKILLs a child started by runMocha and everything it started. */
export function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Runs `command` (no shell) to its end in `cwd`, without colours; its exit code and everything it printed. */
export function runCommand(
  command: string,
  args: string[],
  { cwd = root, env = {} }: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<MochaRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Gives the enclosing describe a second checkout of this project: its own
 * directory (so its own clusters, seed and reports), the same files. Returns its path (once `before` ran).
 */
export function freshCheckout(): () => string {
  let other = '';
  before(async function () {
    other = await mkdtemp(path.join(os.tmpdir(), 'pgspace-checkout-'));
    for (const file of ['package.json', '.mocharc.json', 'pgspace.config.ts']) await cp(path.join(root, file), path.join(other, file));
    for (const dir of ['node_modules', 'internal', 'test', 'src', 'config.d']) await symlink(path.join(root, dir), path.join(other, dir));
  });
  after(async function () {
    await rm(other, { recursive: true, force: true });
  });
  return () => other;
}
