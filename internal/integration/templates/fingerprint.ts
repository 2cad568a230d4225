/** What a template's name is made of on the schema's side: every file that determines the schema, read whole. */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PgspaceError, messageOf } from '../common/errors.js';

/** Every file under `target` (a file or a directory), sorted, as absolute paths. */
export async function filesUnder(target: string): Promise<string[]> {
  const stat = await fs.stat(target).catch((err: unknown) => {
    throw new PgspaceError('schema', `cannot read the migration input ${target}: ${messageOf(err)}`);
  });
  if (!stat.isDirectory()) return [target];
  const entries = await fs.readdir(target, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/**
 * A sha256 of every file under each of `targets` (files or directories): its
 * path relative to `root` and its bytes, then `extra` (e.g. a setup hook's
 * source). A file added, removed, renamed or changed changes it.
 */
export async function fingerprint(root: string, targets: string[], extra = ''): Promise<string> {
  const digest = createHash('sha256');
  for (const file of (await Promise.all(targets.map(filesUnder))).flat()) {
    digest
      .update(path.relative(root, file))
      .update('\0')
      .update(await fs.readFile(file))
      .update('\0');
  }
  return digest.update(extra).digest('hex');
}
