/**
 * The data of a run's cluster, kept for the next run of the same checkout:
 * its templates (and the owner role and registry) are then already there,
 * and neither initdb nor the migrations run again. Only a cluster whose run
 * ended cleanly (nothing kept, nothing broken) and whose server stopped
 * cleanly becomes a seed. It is handed on with `rename`, atomic on one file
 * system: of two runs starting at once one takes it and the other runs
 * initdb; a run killed at any instant leaves either a seed or none.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Bump when what initdb is given changes, so older seeds are not taken. */
const SEED_FORMAT = 1;
const SEED_NAME = /^seed-[0-9a-f]{16}$/;
/** Inside a seed's data directory: which checkout it belongs to, for reaping. */
const ABOUT = 'pgspace-seed.json';
/** A seed no run has taken for this long is deleted. */
const MAX_IDLE_MS = 7 * 24 * 3600 * 1000;

/** The seed path for `checkout` with binaries `version`, in the data place `root`. */
export function seedPath(root: string, checkout: string, version: string): string {
  const key = createHash('sha256').update(`${SEED_FORMAT}\0${checkout}\0${version}`).digest('hex').slice(0, 16);
  return path.join(root, `seed-${key}`);
}

/** Moves the seed at `seed` to `dataDir` if there is one; whether it did. */
export async function takeSeed(seed: string, dataDir: string): Promise<boolean> {
  return fs.rename(seed, dataDir).then(
    () => true,
    () => false, // none, or another run took it first
  );
}

/** Makes the (cleanly stopped) data directory `dataDir` the seed for `checkout`, unless one is there already. */
export async function leaveSeed(dataDir: string, seed: string, checkout: string): Promise<void> {
  await fs.writeFile(path.join(dataDir, ABOUT), JSON.stringify({ checkout }));
  await fs.rename(dataDir, seed).catch(() => undefined); // a newer seed is there: the caller deletes this one
}

/** Deletes seeds in `root` whose checkout is gone or that no run has taken for a week. */
export async function reapSeeds(root: string): Promise<void> {
  const names = await fs.readdir(root).catch(() => [] as string[]);
  for (const name of names.filter((n) => SEED_NAME.test(n))) {
    const seed = path.join(root, name);
    let checkout: string | undefined;
    try {
      checkout = (JSON.parse(readFileSync(path.join(seed, ABOUT), 'utf8')) as { checkout?: string }).checkout;
    } catch {
      /* unreadable: treated as gone */
    }
    const idle = Date.now() - (await fs.stat(seed).then((s) => s.mtimeMs, () => 0));
    if (!checkout || !existsSync(checkout) || idle > MAX_IDLE_MS) await fs.rm(seed, { recursive: true, force: true });
  }
}
