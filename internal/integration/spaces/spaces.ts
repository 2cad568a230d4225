/**
 * The SQL life of a space: create, keep, drop. Every identifier is quoted.
 *
 * Sealed: a space's role can log in to its own database only. On a server
 * whose pg_hba.conf says `sameuser` (the embedded one, the compose one) that
 * holds at authentication, before any privilege; everywhere, the database is
 * created closed (ALLOW_CONNECTIONS false) and opened in the transaction that
 * revokes PUBLIC's CONNECT and grants the role its own, so nobody can slip in
 * between. The database belongs to the admin, so its role cannot grant the
 * database to anyone else or rewrite anything about it.
 */
import pg from 'pg';
import { randomPassword, scramVerifier } from '../common/credentials.js';
import { PgspaceError, messageOf } from '../common/errors.js';
import { newSpaceName, OWNER_ROLE, readableName } from '../common/names.js';
import { pollUntil } from '../common/poll.js';
import { capSql, forget, keepSql, registerSql } from '../server/registry.js';
import { withAdminClient, type AdminDb, type ServerSettings } from '../server/server.js';

const q = pg.escapeIdentifier;

/** How to run `CREATE DATABASE`, chosen per server. */
export type CreateStrategy = '' | ' STRATEGY FILE_COPY';

/**
 * FILE_COPY clones a template about twice as fast as WAL_LOG, but forces
 * checkpoints: cheap with fsync off (a test server), slow on a durable disk.
 * So use it exactly when the server is tuned for tests.
 */
export async function createStrategy(admin: AdminDb): Promise<CreateStrategy> {
  const { rows } = await admin.query<{ v: string; fsync: string }>(
    `SELECT current_setting('server_version_num') AS v, current_setting('fsync') AS fsync`,
  );
  return Number(rows[0]!.v) >= 150000 && rows[0]!.fsync === 'off' ? ' STRATEGY FILE_COPY' : '';
}

/** A space's name and credentials (name = role = database). */
export interface SpaceIdentity {
  name: string;
  password: string;
}

/**
 * The one place a space's role is written: a plain login (no superuser,
 * createdb, createrole, replication or RLS bypass) with a cheap SCRAM verifier
 * (credentials.ts), a member of the template objects' owner so it can use every
 * table and sequence. For a multi-statement query.
 */
export function roleSql(id: SpaceIdentity): string {
  return (
    `CREATE ROLE ${q(id.name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS ` +
    `PASSWORD ${pg.escapeLiteral(scramVerifier(id.password))} IN ROLE ${q(OWNER_ROLE)}`
  );
}

/** What a space's role may do with its database: connect, create temporary objects and schemas; no grant option. */
export function databaseGrantSql(name: string): string {
  return `GRANT CONNECT, TEMPORARY, CREATE ON DATABASE ${q(name)} TO ${q(name)}`;
}

/**
 * Creates a role (roleSql) and a database cloned from `template`, for run
 * `run`; the role may connect to, create in and make temporary tables in its
 * database, nothing else.
 * Fails with SQLSTATE CAP_REACHED (registry.ts), having made nothing, when
 * the run already holds `cap` spaces.
 */
export async function createSpace(
  admin: AdminDb,
  template: string,
  run: number,
  strategy: CreateStrategy,
  cap = Infinity,
): Promise<SpaceIdentity> {
  const space = { name: newSpaceName(), password: randomPassword() };
  const id = q(space.name);
  // Registered in the role's own transaction: whatever exists of a space, the reaper can find.
  await admin.query(`${Number.isFinite(cap) ? `${capSql(run, cap)}; ` : ''}${registerSql(space.name, run, template)}; ${roleSql(space)}`);
  try {
    // CREATE DATABASE cannot run in a transaction block, so it is a query of its own, and closed.
    await admin.query(`CREATE DATABASE ${id} TEMPLATE ${q(template)}${strategy} ALLOW_CONNECTIONS false`);
    await admin.query(
      `REVOKE ALL ON DATABASE ${id} FROM PUBLIC; ${databaseGrantSql(space.name)}; ALTER DATABASE ${id} WITH ALLOW_CONNECTIONS true`,
    );
  } catch (err) {
    throw new PgspaceError('space', `creating a space from template ${template} failed: ${messageOf(err)}`, { cause: err });
  }
  return space;
}

/**
 * Waits until no session is connected to database `name`, terminating the
 * ones still there after `graceMs` (e.g. a pool the test never closed).
 * Why not just DROP ... WITH (FORCE): when it finds sessions it polls them
 * every 100 ms, so even a session that is already leaving costs 100 ms.
 */
export async function emptyDatabase(admin: AdminDb, name: string, graceMs = 1_000): Promise<void> {
  const start = Date.now();
  await pollUntil(
    `sessions in ${name} to end`,
    async () => {
      const terminate = Date.now() - start >= graceMs;
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(${terminate ? 'pg_terminate_backend(pid)' : '*'})::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [name],
      );
      return rows[0]!.n === 0 ? true : undefined;
    },
    { timeoutMs: graceMs + 5_000, intervalMs: 2 },
  );
}

/**
 * Drops a role, whatever it left elsewhere. A space's role can own or be
 * granted things in databases other than its own (a large object, a grant
 * from another space, default privileges), and DROP ROLE refuses while any
 * remain: those databases are found in pg_shdepend and cleared with DROP
 * OWNED there, then the role is dropped.
 */
export async function dropRole(admin: AdminDb, server: ServerSettings, role: string): Promise<void> {
  try {
    await admin.query(`DROP ROLE IF EXISTS ${q(role)}`);
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '2BP01') throw err; // dependent objects
  }
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid
      WHERE s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND d.datallowconn`,
    [role],
  );
  for (const database of new Set([server.database, ...rows.map((r) => r.datname)])) {
    await withAdminClient({ ...server, database }, (db) => db.query(`DROP OWNED BY ${q(role)}`));
  }
  await admin.query(`DROP ROLE IF EXISTS ${q(role)}`);
}

/** Drops a space: its database, once nobody is in it, then its role, then its row. */
export async function dropSpace(admin: AdminDb, server: ServerSettings, name: string): Promise<void> {
  await emptyDatabase(admin, name);
  await admin.query(`DROP DATABASE IF EXISTS ${q(name)} WITH (FORCE)`);
  await dropRole(admin, server, name);
  await forget(admin, name);
}

/**
 * Keeps a failing test's space: marks it kept (never reaped automatically)
 * and renames it after the test title so it is easy to find. Renaming needs
 * the database to be empty of sessions, so leftovers (e.g. a service pool the
 * test did not close) are disconnected first. Returns the new name.
 */
export async function keepSpace(admin: AdminDb, id: SpaceIdentity, title: string): Promise<string> {
  const readable = readableName(id.name, title);
  await emptyDatabase(admin, id.name, 0); // the test is over: whoever is still connected goes now
  // One implicit transaction: names and row change together, or not at all. SCRAM secrets survive a rename.
  const rename =
    readable === id.name
      ? ''
      : `ALTER DATABASE ${q(id.name)} RENAME TO ${q(readable)}; ALTER ROLE ${q(id.name)} RENAME TO ${q(readable)}; `;
  await admin.query(`${rename}${keepSql(id.name, readable, title, id.password)}`);
  return readable;
}
