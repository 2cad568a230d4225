import fs from 'node:fs/promises';
import path from 'node:path';
import { PgspaceError } from '../common/errors.js';

/**
 * `<base>/pgspace-<uid>`: this OS user's own directory under a shared one
 * (/dev/shm, /tmp), created 0711 so the server's OS user (when we are root)
 * can traverse it but nobody can list or change it. A directory of that name
 * that another user made, or others can write to, is refused: we would run
 * binaries and keep data there.
 */
export async function userRoot(base: string): Promise<string> {
  const root = path.join(base, `pgspace-${process.getuid?.() ?? 'user'}`);
  await fs.mkdir(root, { mode: 0o711 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw new PgspaceError('embedded', `cannot create ${root}: ${err.message}`);
  });
  const st = await fs.lstat(root);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new PgspaceError(
      'embedded',
      `${root} is not a private directory of this user (owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)}); remove it and run again`,
    );
  }
  return root;
}

/** The roots userRoot() would use under each of `bases`, whether or not they exist. */
export function userRoots(bases: string[]): string[] {
  return [...new Set(bases.map((b) => path.join(b, `pgspace-${process.getuid?.() ?? 'user'}`)))];
}
