/** Finding spaces on a server, telling whose they are, and dropping the ones a rule picks. */
import pg from 'pg';
import { LOCK_CLASS } from '../server/locks.js';
import { registered, type SpaceRecord } from '../server/registry.js';
import type { ServerSettings } from '../server/server.js';
import { dropSpace } from './spaces.js';

/** A registered space, and whether the run that made it still lives. */
export interface FoundSpace extends SpaceRecord {
  runAlive: boolean;
}

/** Decides, from a space's record and whether its run is alive, if it should go. */
export type DropRule = (space: FoundSpace) => boolean;

/** The rule a starting run applies: spaces of runs that died (killed, crashed), except kept ones. */
export const abandoned: DropRule = (s) => !s.runAlive && !s.keptAt;

/**
 * Whether run `run` is still going; without `run`, whether any run is. A run
 * lives while a superuser session in the admin's database holds its advisory
 * lock: a space's role could take a lock with the same key, but only in its
 * own database and never as a superuser, so it cannot make a dead run look alive.
 */
export async function isRunAlive(admin: pg.ClientBase, run?: number): Promise<boolean> {
  const { rowCount } = await admin.query(
    `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid JOIN pg_roles r ON r.oid = a.usesysid
      WHERE l.locktype = 'advisory' AND l.classid = $1 AND ($2::oid IS NULL OR l.objid = $2) AND l.objid <> 0
        AND l.objsubid = 2 AND l.granted AND r.rolsuper
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [LOCK_CLASS, run ?? null],
  );
  return rowCount! > 0;
}

/** Every registered space, with whether its run is alive. */
export async function listSpaces(admin: pg.ClientBase): Promise<FoundSpace[]> {
  const alive = new Map<number, boolean>();
  const found: FoundSpace[] = [];
  for (const record of await registered(admin)) {
    if (!alive.has(record.run)) alive.set(record.run, await isRunAlive(admin, record.run));
    found.push({ ...record, runAlive: alive.get(record.run)! });
  }
  return found;
}

/** Drops the spaces `rule` picks (half-made ones included: whatever exists of them). Returns their names. */
export async function dropSpacesWhere(admin: pg.ClientBase, server: ServerSettings, rule: DropRule): Promise<string[]> {
  const dropped: string[] = [];
  for (const space of await listSpaces(admin)) {
    if (!rule(space)) continue;
    await dropSpace(admin, server, space.name);
    dropped.push(space.name);
  }
  return dropped;
}
