/**
 * Who made which space, for which test, kept where spaces cannot reach it: a
 * table in the admin's database, in a schema PUBLIC has no rights on (and, on
 * a sealed server, space roles cannot even log in to that database). So a
 * space can neither hide from the reaper (as it could by rewriting a COMMENT
 * on its own database) nor read other spaces' tests, hosts or pids.
 *
 * A space's row is written in the same transaction as its role, before its
 * database exists: whatever a run is killed in the middle of, the next run
 * finds it here.
 */
import os from 'node:os';
import pg from 'pg';
import { CAP_LOCK_CLASS } from './locks.js';
import type { AdminDb } from './spaces.js';

const lit = pg.escapeLiteral;
const TABLE = 'pgspace.spaces';
/** When each template was last used by a run (see dropStaleTemplates in template.ts). */
export const TEMPLATES = 'pgspace.templates';
/** Serialises creating the registry (the one-key advisory form, apart from the run and template locks). */
const REGISTRY_LOCK = 0x7067737072656769n; // "pgspregi"

/** One space's row. */
export interface SpaceRecord {
  name: string;
  /** The test run that created it (held as an advisory lock while the run lives, see reaper.ts). */
  run: number;
  /** Host and pid of the process that created it, for people reading the list. */
  host: string;
  pid: number;
  createdAt: Date;
  /** Full title of the test that holds it, once one does. */
  test?: string | null;
  /** Set when a failing test's space is kept for debugging: never reaped automatically. */
  keptAt?: Date | null;
  /** A kept space's password, for its psql line in `npm run spaces` (a one-test secret). */
  password?: string | null;
}

async function hasRegistry(admin: AdminDb): Promise<boolean> {
  const { rows } = await admin.query<{ ok: boolean }>(`SELECT to_regclass('${TABLE}') IS NOT NULL AND to_regclass('${TEMPLATES}') IS NOT NULL AS ok`);
  return rows[0]!.ok;
}

/** Creates the registry if this server has none yet. */
export async function ensureRegistry(admin: AdminDb): Promise<void> {
  if (await hasRegistry(admin)) return;
  await admin.query(
    `BEGIN; SELECT pg_advisory_xact_lock(${REGISTRY_LOCK});
     CREATE SCHEMA IF NOT EXISTS pgspace; REVOKE ALL ON SCHEMA pgspace FROM PUBLIC;
     CREATE TABLE IF NOT EXISTS ${TABLE} (
       name text PRIMARY KEY, run integer NOT NULL, host text NOT NULL, pid integer NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(), test text, kept_at timestamptz, password text);
     CREATE TABLE IF NOT EXISTS ${TEMPLATES} (name text PRIMARY KEY, used_at timestamptz NOT NULL DEFAULT now());
     COMMIT`,
  );
}

/** The SQL that registers space `name` of run `run`, made by this process (for a multi-statement query). */
export function registerSql(name: string, run: number): string {
  return `INSERT INTO ${TABLE} (name, run, host, pid) VALUES (${lit(name)}, ${run}, ${lit(os.hostname())}, ${process.pid})`;
}

/** The SQLSTATE a new space gets when its run already holds its cap of spaces (see claimSql). */
export const CAP_REACHED = 'PGSCP';

/**
 * SQL that refuses a new space of run `run` (SQLSTATE CAP_REACHED) while the
 * run holds `cap` spaces (kept ones aside). The count runs under a per-run
 * lock in the transaction that registers the space, so the processes of one
 * run (parallel workers) never go past the cap together.
 */
export function claimSql(run: number, cap: number): string {
  return (
    `DO $$ BEGIN PERFORM pg_advisory_xact_lock(${CAP_LOCK_CLASS}, ${run}); ` +
    `IF (SELECT count(*) FROM ${TABLE} WHERE run = ${run} AND kept_at IS NULL) >= ${cap} THEN ` +
    `RAISE EXCEPTION 'run % holds its cap of % spaces', ${run}, ${cap} USING ERRCODE = '${CAP_REACHED}'; END IF; END $$`
  );
}

/** Records the test that now holds the space. */
export async function recordTest(admin: AdminDb, name: string, test: string): Promise<void> {
  await admin.query(`UPDATE ${TABLE} SET test = $2 WHERE name = $1`, [name, test]);
}

/** The SQL that marks a space kept for `test` and renames its row (for the transaction that renames the space). */
export function keepSql(name: string, newName: string, test: string, password: string): string {
  return `UPDATE ${TABLE} SET name = ${lit(newName)}, test = ${lit(test)}, kept_at = now(), password = ${lit(password)} WHERE name = ${lit(name)}`;
}

/** Removes a space's row (once its database and role are gone). */
/** The spaces run `run` kept, oldest first. */
export async function keptBy(admin: AdminDb, run: number): Promise<string[]> {
  const { rows } = await admin.query<{ name: string }>(`SELECT name FROM ${TABLE} WHERE run = $1 AND kept_at IS NOT NULL ORDER BY kept_at, name`, [run]);
  return rows.map((r) => r.name);
}

/** Notes that a run uses template `name` now. */
export async function templateUsed(admin: AdminDb, name: string): Promise<void> {
  if (!(await hasRegistry(admin))) return;
  await admin.query(`INSERT INTO ${TEMPLATES} (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET used_at = now()`, [name]);
}

/** SQL that moves a recycled space's row to its new name, with no test yet. */
export function reissueSql(name: string, newName: string): string {
  return `UPDATE ${TABLE} SET name = ${lit(newName)}, test = NULL WHERE name = ${lit(name)}`;
}

export async function forget(admin: AdminDb, name: string): Promise<void> {
  await admin.query(`DELETE FROM ${TABLE} WHERE name = $1`, [name]);
}

/** Every registered space; none if the server has no registry. */
export async function registered(admin: AdminDb): Promise<SpaceRecord[]> {
  if (!(await hasRegistry(admin))) return [];
  const result = await admin.query<SpaceRecord>(
    `SELECT name, run, host, pid, created_at AS "createdAt", test, kept_at AS "keptAt", password FROM ${TABLE} ORDER BY name`,
  );
  return result.rows;
}
