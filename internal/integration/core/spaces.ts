/** The SQL life of a space: create, tag, keep, drop. Every identifier is quoted. */
import pg from 'pg';
import { randomPassword, scramVerifier } from './credentials.js';
import { PgspaceError, messageOf } from './errors.js';
import { newSpaceName, OWNER_ROLE, readableName } from './names.js';
import { pollUntil } from './poll.js';
import { tagLiteral, type SpaceTag } from './tags.js';

const q = pg.escapeIdentifier;

/** Anything that runs queries as admin: a client, or a pool (each query on any of its clients). */
export type AdminDb = Pick<pg.ClientBase, 'query'>;

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
 * Creates a role and a database cloned from `template`, owned by the role.
 * The role is a plain login (no superuser, createdb, createrole) and a member
 * of the template objects' owner, so it can use every table and sequence;
 * CONNECT is revoked from PUBLIC, so no other space's role can get in.
 */
export async function createSpace(admin: AdminDb, template: string, tag: SpaceTag, strategy: CreateStrategy): Promise<SpaceIdentity> {
  const name = newSpaceName();
  const password = randomPassword();
  const id = q(name);
  const tagSql = tagLiteral(tag);
  await admin.query(
    `CREATE ROLE ${id} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS ` +
      `PASSWORD ${pg.escapeLiteral(scramVerifier(password))} IN ROLE ${q(OWNER_ROLE)}; ` +
      `COMMENT ON ROLE ${id} IS ${tagSql}`,
  );
  try {
    // CREATE DATABASE cannot run in a transaction block, so it is a query of its own.
    await admin.query(`CREATE DATABASE ${id} OWNER ${id} TEMPLATE ${q(template)}${strategy}`);
    await admin.query(`REVOKE ALL ON DATABASE ${id} FROM PUBLIC; COMMENT ON DATABASE ${id} IS ${tagSql}`);
  } catch (err) {
    await dropSpace(admin, name).catch(() => undefined);
    throw new PgspaceError(`creating a space from template ${template} failed: ${messageOf(err)}`, { cause: err });
  }
  return { name, password };
}

/** Records the tag (e.g. the test that now holds the space) on the database. */
export async function tagSpace(admin: AdminDb, name: string, tag: SpaceTag): Promise<void> {
  await admin.query(`COMMENT ON DATABASE ${q(name)} IS ${tagLiteral(tag)}`);
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

/** Drops a space: its database, once nobody is in it, then its role. */
export async function dropSpace(admin: AdminDb, name: string): Promise<void> {
  await emptyDatabase(admin, name);
  await admin.query(`DROP DATABASE IF EXISTS ${q(name)} WITH (FORCE)`);
  await admin.query(`DROP ROLE IF EXISTS ${q(name)}`);
}

/**
 * Keeps a failing test's space: marks it kept (never reaped automatically)
 * and renames it after the test title so it is easy to find. Renaming needs
 * the database to be empty of sessions, so leftovers (e.g. a service pool the
 * test did not close) are disconnected first. Returns the new name; if the
 * rename is impossible the space keeps its old name.
 */
export async function keepSpace(admin: AdminDb, name: string, tag: SpaceTag, title: string): Promise<string> {
  await tagSpace(admin, name, { ...tag, test: title, kept: true });
  const readable = readableName(name, title);
  if (readable === name) return name;
  try {
    await emptyDatabase(admin, name, 0); // the test is over: whoever is still connected goes now
    // One implicit transaction: both names change, or neither. SCRAM secrets survive a rename.
    await admin.query(`ALTER DATABASE ${q(name)} RENAME TO ${q(readable)}; ALTER ROLE ${q(name)} RENAME TO ${q(readable)}`);
    return readable;
  } catch {
    return name;
  }
}
