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
import type { AdminDb } from './server.js';

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
  /** A kept space's password, for its psql line in `pgspace list` (a one-test secret); a ready space's, for whichever process of its run takes it. */
  password?: string | null;
  /** The template it was cloned from (a recycled space keeps it). */
  template?: string | null;
  /** Set while the space is ready: made (or recycled), given to no test, there for any process of its run to take. */
  readyAt?: Date | null;
}

/** Whether the registry is there, columns of this version included (a server older runs set up lacks the ready ones). */
async function hasRegistry(admin: AdminDb): Promise<boolean> {
  const { rows } = await admin.query<{ ok: boolean }>(
    `SELECT to_regclass('${TABLE}') IS NOT NULL AND to_regclass('${TEMPLATES}') IS NOT NULL
        AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('${TABLE}') AND attname = 'ready_at') AS ok`,
  );
  return rows[0]!.ok;
}

/** Creates the registry if this server has none yet, or adds what this version needs to an older one. */
export async function ensureRegistry(admin: AdminDb): Promise<void> {
  if (await hasRegistry(admin)) return;
  await admin.query(
    `BEGIN; SELECT pg_advisory_xact_lock(${REGISTRY_LOCK});
     CREATE SCHEMA IF NOT EXISTS pgspace; REVOKE ALL ON SCHEMA pgspace FROM PUBLIC;
     CREATE TABLE IF NOT EXISTS ${TABLE} (
       name text PRIMARY KEY, run integer NOT NULL, host text NOT NULL, pid integer NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(), test text, kept_at timestamptz, password text);
     ALTER TABLE ${TABLE} ADD COLUMN IF NOT EXISTS template text, ADD COLUMN IF NOT EXISTS ready_at timestamptz,
       ADD COLUMN IF NOT EXISTS lineage jsonb;
     CREATE TABLE IF NOT EXISTS ${TEMPLATES} (name text PRIMARY KEY, used_at timestamptz NOT NULL DEFAULT now());
     COMMIT`,
  );
}

/** The SQL that registers space `name` of run `run`, cloned from `template`, made by this process (for a multi-statement query). */
export function registerSql(name: string, run: number, template: string): string {
  return `INSERT INTO ${TABLE} (name, run, host, pid, template) VALUES (${lit(name)}, ${run}, ${lit(os.hostname())}, ${process.pid}, ${lit(template)})`;
}

/** The SQLSTATE a new space gets when its run already holds its cap of spaces (see claimSql). */
export const CAP_REACHED = 'PGSCP';

/**
 * SQL that refuses a new space of run `run` (SQLSTATE CAP_REACHED) while the
 * run holds `cap` spaces (kept ones aside). The count runs under a per-run
 * lock in the transaction that registers the space, so the processes of one
 * run (parallel workers) never go past the cap together.
 */
export function capSql(run: number, cap: number): string {
  return (
    `DO $$ BEGIN PERFORM pg_advisory_xact_lock(${CAP_LOCK_CLASS}, ${run}); ` +
    `IF (SELECT count(*) FROM ${TABLE} WHERE run = ${run} AND kept_at IS NULL) >= ${cap} THEN ` +
    `RAISE EXCEPTION 'run % holds its cap of % spaces', ${run}, ${cap} USING ERRCODE = '${CAP_REACHED}'; END IF; END $$`
  );
}

/** How many earlier holders a space's lineage names (it counts the others). */
const LINEAGE = 3;

/** The tests that held a space's database before (none: a fresh clone), the latest first, and how many in all. */
export interface Lineage {
  latest: string[];
  count: number;
}

/** A ready space taken over from the registry: who it is and where it came from. */
export interface ReadySpace {
  name: string;
  password: string;
  lineage: Lineage;
}

/**
 * Marks a space ready: any process of its run may now take it, with its
 * password (the registry is the admin's alone), until one does.
 */
export async function markReady(admin: AdminDb, name: string, password: string): Promise<void> {
  await admin.query(`UPDATE ${TABLE} SET ready_at = clock_timestamp(), password = $2, test = NULL WHERE name = $1`, [name, password]);
}

/**
 * Gives ready space `name` to test `test`, unless another process of the
 * run took it meanwhile: whether it did.
 */
export async function takeReady(admin: AdminDb, name: string, test: string): Promise<boolean> {
  const { rowCount } = await admin.query(
    `UPDATE ${TABLE} SET ready_at = NULL, password = NULL, test = $2 WHERE name = $1 AND ready_at IS NOT NULL`,
    [name, test],
  );
  return rowCount === 1;
}

/**
 * Takes over, for this process, one ready space of run `run`: of `template`,
 * or with `others`, of any other template. A space nobody is connected to
 * comes first; one another process keeps connected (warm) only when `warm`
 * (its sessions must then be ended). Undefined when there is none.
 */
export async function adoptReady(
  admin: AdminDb,
  run: number,
  template: string,
  { warm = false, others = false } = {},
): Promise<ReadySpace | undefined> {
  const connected = `EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = s.name)`;
  const { rows } = await admin.query<ReadySpace>(
    `WITH c AS (
       SELECT s.name, s.password, s.lineage FROM ${TABLE} s
        WHERE s.run = $1 AND s.template ${others ? '<>' : '='} $2 AND s.ready_at IS NOT NULL ${warm ? '' : `AND NOT ${connected}`}
        ORDER BY ${connected}, s.ready_at LIMIT 1 FOR UPDATE OF s SKIP LOCKED)
     UPDATE ${TABLE} s SET ready_at = NULL, password = NULL, host = $3, pid = $4 FROM c WHERE s.name = c.name
     RETURNING c.name, c.password, coalesce(c.lineage, '{"latest": [], "count": 0}') AS lineage`,
    [run, template, os.hostname(), process.pid],
  );
  return rows[0];
}

/** What a run's spaces are doing, for a test that found it at its cap: the tests holding them, and the rest. */
export interface Holdings {
  /** Tests holding spaces, with how many each, most first. */
  tests: { title: string; spaces: number }[];
  ready: number;
  /** Being made, recycled or dropped. */
  busy: number;
}

/** What run `run`'s spaces (kept ones aside) are doing now. */
export async function holdings(admin: AdminDb, run: number): Promise<Holdings> {
  const { rows } = await admin.query<{ title: string | null; ready: boolean; n: number }>(
    `SELECT test AS title, ready_at IS NOT NULL AS ready, count(*)::int AS n FROM ${TABLE}
      WHERE run = $1 AND kept_at IS NULL GROUP BY 1, 2 ORDER BY 3 DESC, 1`,
    [run],
  );
  return {
    tests: rows.filter((r) => r.title !== null).map((r) => ({ title: r.title!, spaces: r.n })),
    ready: rows.filter((r) => r.title === null && r.ready).reduce((n, r) => n + r.n, 0),
    busy: rows.filter((r) => r.title === null && !r.ready).reduce((n, r) => n + r.n, 0),
  };
}

/** The SQL that marks a space kept for `test` and renames its row (for the transaction that renames the space). */
export function keepSql(name: string, newName: string, test: string, password: string): string {
  return `UPDATE ${TABLE} SET name = ${lit(newName)}, test = ${lit(test)}, kept_at = now(), password = ${lit(password)} WHERE name = ${lit(name)}`;
}

/** The spaces run `run` kept, oldest first. */
export async function keptBy(admin: AdminDb, run: number): Promise<string[]> {
  const { rows } = await admin.query<{ name: string }>(
    `SELECT name FROM ${TABLE} WHERE run = $1 AND kept_at IS NOT NULL ORDER BY kept_at, name`,
    [run],
  );
  return rows.map((r) => r.name);
}

/** Notes that a run uses template `name` now. */
export async function templateUsed(admin: AdminDb, name: string): Promise<void> {
  if (!(await hasRegistry(admin))) return;
  await admin.query(`INSERT INTO ${TEMPLATES} (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET used_at = now()`, [name]);
}

/** The lineage of a space after test `test` held it. */
export function nextLineage(before: Lineage, test: string): Lineage {
  return { latest: [test, ...before.latest].slice(0, LINEAGE), count: before.count + 1 };
}

/** SQL that gives a recycled space's row back to no test, with its new lineage. */
export function reissueSql(name: string, lineage: Lineage): string {
  return `UPDATE ${TABLE} SET test = NULL, lineage = ${lit(JSON.stringify(lineage))} WHERE name = ${lit(name)}`;
}

/** Removes a space's row (once its database and role are gone). */
export async function forget(admin: AdminDb, name: string): Promise<void> {
  await admin.query(`DELETE FROM ${TABLE} WHERE name = $1`, [name]);
}

/** Every registered space; none if the server has no registry. */
export async function registered(admin: AdminDb): Promise<SpaceRecord[]> {
  if (!(await hasRegistry(admin))) return [];
  const result = await admin.query<SpaceRecord>(
    `SELECT name, run, host, pid, created_at AS "createdAt", test, kept_at AS "keptAt", password, template, ready_at AS "readyAt" FROM ${TABLE} ORDER BY name`,
  );
  return result.rows;
}
