/** The SQL life of a space: create, tag, keep, drop. Every identifier is quoted. */
import pg from 'pg';
import { randomPassword, scramVerifier } from './credentials.js';
import { PgspaceError, messageOf } from './errors.js';
import { newSpaceName, OWNER_ROLE, readableName } from './names.js';
import { pollUntil } from './poll.js';
import { tagLiteral, type SpaceTag } from './tags.js';

const q = pg.escapeIdentifier;

/** How to run `CREATE DATABASE`, chosen per server. */
export type CreateStrategy = '' | ' STRATEGY FILE_COPY';

/**
 * FILE_COPY clones a template about twice as fast as WAL_LOG, but forces
 * checkpoints: cheap with fsync off (a test server), slow on a durable disk.
 * So use it exactly when the server is tuned for tests.
 */
export async function createStrategy(admin: pg.ClientBase): Promise<CreateStrategy> {
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
export async function createSpace(admin: pg.ClientBase, template: string, tag: SpaceTag, strategy: CreateStrategy): Promise<SpaceIdentity> {
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
export async function tagSpace(admin: pg.ClientBase, name: string, tag: SpaceTag): Promise<void> {
  await admin.query(`COMMENT ON DATABASE ${q(name)} IS ${tagLiteral(tag)}`);
}

/** Drops a space: its database (disconnecting anyone still in it), then its role. */
export async function dropSpace(admin: pg.ClientBase, name: string): Promise<void> {
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
export async function keepSpace(admin: pg.ClientBase, name: string, tag: SpaceTag, title: string): Promise<string> {
  await tagSpace(admin, name, { ...tag, test: title, kept: true });
  const readable = readableName(name, title);
  if (readable === name) return name;
  try {
    await pollUntil(
      `sessions in ${name} to end`,
      async () => {
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
          [name],
        );
        return rows[0]!.n === 0 ? true : undefined;
      },
      { timeoutMs: 5_000 },
    );
    // One implicit transaction: both names change, or neither. SCRAM secrets survive a rename.
    await admin.query(`ALTER DATABASE ${q(name)} RENAME TO ${q(readable)}; ALTER ROLE ${q(name)} RENAME TO ${q(readable)}`);
    return readable;
  } catch {
    return name;
  }
}
