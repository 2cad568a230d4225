/**
 * The data of a run's cluster, kept for the next run of the same checkout:
 * its templates (and the owner role and registry) are then already there,
 * and neither initdb nor the migrations run again. Only a cluster whose run
 * ended cleanly (nothing kept, nothing broken) and whose server stopped
 * cleanly becomes a seed. It is handed on with `rename`, atomic on one file
 * system: of two runs starting at once one takes it and the other runs
 * initdb; a run killed at any instant leaves either a seed or none.
 *
 * A seed is only a cache: a run on it must behave as on a fresh cluster. So
 * a cluster holding server-wide state a fresh one lacks (a role a schema's
 * setup made, a tablespace, ALTER SYSTEM…) leaves no seed (see extrasOf), and
 * a seed whose files changed since it was left (its manifest: every file's
 * size and modification time) is not used.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { clientConfig, type ServerSettings } from '../server/server.js';
import { likePrefix, OWNER_ROLE, TEMPLATE_PREFIX } from '../common/names.js';

/** Bump when what initdb is given changes, so older seeds are not taken. */
const SEED_FORMAT = 1;
const SEED_NAME = /^seed-[0-9a-f]{16}$/;
/** Inside a seed's data directory: which checkout it belongs to, for reaping. */
const ABOUT = 'pgspace-seed.json';
/** Inside a seed's data directory: each file's size and modification time when the seed was left. */
const MANIFEST = 'pgspace-manifest.json';
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
  writeManifest(dataDir);
  await fs.rename(dataDir, seed).catch(() => undefined); // a newer seed is there: the caller deletes this one
}

/** Every file and directory under `dataDir` but the seed's own notes: relative path → size and modification time. */
function filesOf(dataDir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const relative = path.relative(dataDir, full);
      if (relative === ABOUT || relative === MANIFEST) continue;
      const stat = lstatSync(full, { bigint: true });
      found.set(relative, stat.isDirectory() ? 'directory' : `${stat.size} bytes, modified ${stat.mtimeNs}`);
      if (stat.isDirectory()) walk(full);
    }
  };
  walk(dataDir);
  return found;
}

/** Records what the stopped cluster in `dataDir` holds, so the run taking it can tell it is as left. */
export function writeManifest(dataDir: string): void {
  writeFileSync(path.join(dataDir, MANIFEST), JSON.stringify(Object.fromEntries(filesOf(dataDir))));
}

/**
 * Why the seed now in `dataDir` must not be used, if it must not: a file
 * missing, added, or changed (size or modification time) since it was left,
 * as a truncated table's file would be.
 */
export function seedDamage(dataDir: string): string | undefined {
  let left: Record<string, string>;
  try {
    left = JSON.parse(readFileSync(path.join(dataDir, MANIFEST), 'utf8')) as Record<string, string>;
  } catch {
    return 'it has no manifest of its files';
  }
  const now = filesOf(dataDir);
  for (const [file, was] of Object.entries(left)) {
    const is = now.get(file);
    if (is === undefined) return `${file} is missing`;
    if (is !== was)
      return `${file} changed since the seed was left (${is.replace(/, modified \d+/, '')}; it had ${was.replace(/, modified \d+/, '')})`;
  }
  const added = [...now.keys()].find((file) => !(file in left));
  return added === undefined ? undefined : `${added} was added since the seed was left`;
}

/**
 * What the cluster holds that a fresh cluster, with pgspace's own roles,
 * registry, templates and spaces, would not: roles, tablespaces, databases,
 * ALTER SYSTEM and ALTER ROLE/DATABASE … SET settings, extensions in
 * `postgres` or `template1`. A schema's setup makes such things (they are
 * server-wide, and it runs once per template): on a seed they would survive
 * a setup that no longer makes them, and a run would pass here and fail on
 * CI's fresh cluster. Asked through `admin`, connected to `postgres`.
 */
export async function extrasOf(server: ServerSettings, admin: pg.Client): Promise<string[]> {
  const pgspaceOwn = `(SELECT name FROM pgspace.spaces UNION SELECT ${pg.escapeLiteral(OWNER_ROLE)})`;
  const template = `LIKE ${pg.escapeLiteral(likePrefix(TEMPLATE_PREFIX))}`;
  const { rows } = await admin.query<{ extra: string }>(
    `SELECT 'role ' || rolname AS extra FROM pg_roles WHERE oid >= 16384 AND rolname NOT IN ${pgspaceOwn}
     UNION ALL SELECT 'tablespace ' || spcname FROM pg_tablespace WHERE oid >= 16384
     UNION ALL SELECT 'database ' || datname FROM pg_database
       WHERE datname NOT IN ('postgres', 'template0', 'template1') AND datname NOT ${template} AND datname NOT IN ${pgspaceOwn}
     UNION ALL SELECT 'ALTER SYSTEM SET ' || name FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf'
     UNION ALL SELECT 'a setting of ' || coalesce('role ' || r.rolname, 'every role') || ' in ' || coalesce('database ' || d.datname, 'every database')
       FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase
       WHERE NOT coalesce(d.datname ${template} OR d.datname IN ${pgspaceOwn}, false)
     UNION ALL SELECT 'extension ' || extname || ' in postgres' FROM pg_extension WHERE extname <> 'plpgsql'
     ORDER BY 1`,
  );
  const template1 = new pg.Client(clientConfig(server, 'template1'));
  await template1.connect();
  try {
    const extensions = await template1.query<{ extra: string }>(
      `SELECT 'extension ' || extname || ' in template1' AS extra FROM pg_extension WHERE extname <> 'plpgsql'`,
    );
    return [...rows, ...extensions.rows].map((r) => r.extra);
  } finally {
    await template1.end();
  }
}

/** The checkout a seed was left for, if it says. */
function checkoutOfSeed(seed: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(seed, ABOUT), 'utf8')) as { checkout?: string }).checkout;
  } catch {
    return undefined; // unreadable: treated as gone
  }
}

/** Every seed in `root` left for `checkout`, whatever binaries version or seed format it was left by. */
export async function seedsOf(root: string, checkout: string): Promise<string[]> {
  const names = await fs.readdir(root).catch(() => [] as string[]);
  return names.filter((n) => SEED_NAME.test(n) && checkoutOfSeed(path.join(root, n)) === checkout).map((n) => path.join(root, n));
}

/** Deletes seeds in `root` whose checkout is gone or that no run has taken for a week. */
export async function reapSeeds(root: string): Promise<void> {
  const names = await fs.readdir(root).catch(() => [] as string[]);
  for (const name of names.filter((n) => SEED_NAME.test(n))) {
    const seed = path.join(root, name);
    const checkout = checkoutOfSeed(seed);
    const idle =
      Date.now() -
      (await fs.stat(seed).then(
        (s) => s.mtimeMs,
        () => 0,
      ));
    if (!checkout || !existsSync(checkout) || idle > MAX_IDLE_MS) await fs.rm(seed, { recursive: true, force: true });
  }
}
