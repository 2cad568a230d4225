import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PgspaceError } from '../common/errors.js';

/** The OS user the embedded server runs as; undefined means "this process's user". */
export type OsUser = { uid: number; gid: number } | undefined;

/** Postgres refuses to run as root: as root, run it as `postgres` (or `nobody`). */
export function serverUser(): OsUser {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'));
  const entry = passwd.find((f) => f[0] === 'postgres') ?? passwd.find((f) => f[0] === 'nobody');
  if (!entry) throw new PgspaceError('embedded', 'running as root, and there is no `postgres` or `nobody` user to run Postgres as');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** What a program printed and how it ended. */
export interface RunResult {
  code: number | null;
  output: string;
  /** Set when it could not be started at all (e.g. EACCES). */
  spawnError?: NodeJS.ErrnoException;
}

/** Runs `file` as `user`, collecting its output. Never rejects: the caller decides what a failure means. */
export function runAs(file: string, args: string[], user: OsUser): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { ...user, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (err: NodeJS.ErrnoException) => resolve({ code: null, output, spawnError: err }));
    child.on('close', (code) => resolve({ code, output }));
  });
}
