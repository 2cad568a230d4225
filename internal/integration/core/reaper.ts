/** Finding spaces on a server, telling whose they are, and dropping the ones a predicate picks. */
import pg from 'pg';
import { LOCK_CLASS } from './locks.js';
import { likePrefix, SPACE_PREFIX } from './names.js';
import { dropSpace } from './spaces.js';
import { parseTag, type SpaceTag } from './tags.js';

/** A space database found on the server. */
export interface FoundSpace {
  name: string;
  tag: SpaceTag;
  /** Whether the run that created it still holds its lock. */
  runAlive: boolean;
}

/** Decides, from a space's tag and whether its run is alive, if it should go. */
export type DropRule = (tag: SpaceTag, runAlive: boolean) => boolean;

/** The rule a starting run applies: spaces of runs that died (killed, crashed), except kept ones. */
export const abandoned: DropRule = (tag, runAlive) => !runAlive && !tag.kept;

const LIKE_PREFIX = likePrefix(SPACE_PREFIX);

/** Whether run `run` is still going (some session holds its lock); without `run`, whether any run is. */
export async function isRunAlive(admin: pg.ClientBase, run?: number): Promise<boolean> {
  const { rowCount } = await admin.query(
    `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND ($2::oid IS NULL OR objid = $2)
        AND objid <> 0 AND objsubid = 2 AND granted`,
    [LOCK_CLASS, run ?? null],
  );
  return rowCount! > 0;
}

async function tagged(admin: pg.ClientBase, sql: string): Promise<{ name: string; tag: SpaceTag; runAlive: boolean }[]> {
  const { rows } = await admin.query<{ name: string; comment: string | null }>(sql, [LIKE_PREFIX]);
  const alive = new Map<number, boolean>();
  const found = [];
  for (const row of rows) {
    const tag = parseTag(row.comment);
    if (!tag) continue; // not ours
    if (!alive.has(tag.run)) alive.set(tag.run, await isRunAlive(admin, tag.run));
    found.push({ name: row.name, tag, runAlive: alive.get(tag.run)! });
  }
  return found;
}

/**
 * Every space database on the server, with its tag and whether its run is
 * alive. A database whose creation was cut short before it was tagged is
 * known by its owner: the role is created, and tagged, first.
 */
export function listSpaces(admin: pg.ClientBase): Promise<FoundSpace[]> {
  return tagged(
    admin,
    `SELECT d.datname AS name, coalesce(shobj_description(d.oid, 'pg_database'), shobj_description(r.oid, 'pg_authid')) AS comment
       FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
      WHERE d.datname LIKE $1 ORDER BY d.datname`,
  );
}

/**
 * Drops the spaces `rule` picks, then the tagged roles it picks that own no
 * database (a role whose database was never created). Returns the names.
 */
export async function dropSpacesWhere(admin: pg.ClientBase, rule: DropRule): Promise<string[]> {
  const dropped: string[] = [];
  for (const space of await listSpaces(admin)) {
    if (!rule(space.tag, space.runAlive)) continue;
    await dropSpace(admin, space.name);
    dropped.push(space.name);
  }
  const roles = await tagged(
    admin,
    `SELECT rolname AS name, shobj_description(oid, 'pg_authid') AS comment FROM pg_roles r
      WHERE rolname LIKE $1 AND NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datdba = r.oid)`,
  );
  for (const role of roles) {
    if (!rule(role.tag, role.runAlive)) continue;
    await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role.name)}`);
    dropped.push(role.name);
  }
  return dropped;
}
