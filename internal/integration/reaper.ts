/** Finding spaces on a server, telling whose they are, and dropping the abandoned ones. */
import pg from 'pg';
import { LOCK_CLASS } from './locks.js';
import { SPACE_PREFIX } from './names.js';
import { dropSpace } from './spaces.js';
import { parseTag, type SpaceTag } from './tags.js';

/** A space database found on the server. */
export interface FoundSpace {
  name: string;
  tag: SpaceTag;
  /** Whether the run that created it still holds its lock. */
  runAlive: boolean;
}

const LIKE_PREFIX = `${SPACE_PREFIX.replace('_', '\\_')}%`;

/** True when some session holds run `run`'s lock (any run's, without `run`): that test run is still going. */
export async function isRunAlive(admin: pg.ClientBase, run?: number): Promise<boolean> {
  const { rowCount } = await admin.query(
    `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND ($2::oid IS NULL OR objid = $2) AND objid <> 0 AND objsubid = 2 AND granted`,
    [LOCK_CLASS, run ?? null],
  );
  return rowCount! > 0;
}

/** True when any test run is using the server. */
export function anyRunAlive(admin: pg.ClientBase): Promise<boolean> {
  return isRunAlive(admin);
}

/** Every space database on the server, with its tag and whether its run is alive. */
export async function listSpaces(admin: pg.ClientBase): Promise<FoundSpace[]> {
  const { rows } = await admin.query<{ name: string; comment: string | null }>(
    `SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname LIKE $1 ORDER BY datname`,
    [LIKE_PREFIX],
  );
  const alive = new Map<number, boolean>();
  const found: FoundSpace[] = [];
  for (const row of rows) {
    const tag = parseTag(row.comment);
    if (!tag) continue;
    if (!alive.has(tag.run)) alive.set(tag.run, await isRunAlive(admin, tag.run));
    found.push({ name: row.name, tag, runAlive: alive.get(tag.run)! });
  }
  return found;
}

/**
 * Drops spaces whose run is gone (killed, crashed), except kept ones, plus
 * `extra` (e.g. kept ones, for `spaces:clean`). Then drops tagged roles that
 * no longer own a database and whose run is gone: a role whose database was
 * never created. Returns the names dropped.
 */
export async function reapSpaces(admin: pg.ClientBase, { includeKept = false } = {}): Promise<string[]> {
  const dropped: string[] = [];
  for (const space of await listSpaces(admin)) {
    if (space.runAlive || (space.tag.kept && !includeKept)) continue;
    await dropSpace(admin, space.name);
    dropped.push(space.name);
  }
  const { rows } = await admin.query<{ name: string; comment: string | null }>(
    `SELECT rolname AS name, shobj_description(oid, 'pg_authid') AS comment FROM pg_roles r
      WHERE rolname LIKE $1 AND NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datdba = r.oid)`,
    [LIKE_PREFIX],
  );
  for (const row of rows) {
    const tag = parseTag(row.comment);
    if (!tag || (await isRunAlive(admin, tag.run))) continue;
    await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(row.name)}`);
    dropped.push(row.name);
  }
  return dropped;
}
