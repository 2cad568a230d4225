import { createHash } from 'node:crypto';
import pg from 'pg';
import { PgspaceError, messageOf } from '../common/errors.js';
import { LOCK_CLASS, TEMPLATE_LOCK } from '../server/locks.js';
import type { Migrator } from './migrator.js';
import { likePrefix, OWNER_ROLE, TEMPLATE_PREFIX } from '../common/names.js';
import { guardSql } from './guard.js';
import { TEMPLATES, templateUsed } from '../server/registry.js';
import { clientConfig, type ServerSettings } from '../server/server.js';

const q = pg.escapeIdentifier;

/** Bump when the way templates are built changes, so old ones are not reused. */
const TEMPLATE_FORMAT = 4; // 2: schema public belongs to the owner role, setup hook; 3: the change guard; 4: the reset routine (guard.ts)

/**
 * The template's name: a hash of the migrations, the config templates, the
 * server version and what pgspace installs in it (guard.ts), so any change to
 * them builds a new template.
 */
export async function templateName(admin: pg.ClientBase, migrator: Migrator, configHash: string): Promise<string> {
  const { rows } = await admin.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  const digest = createHash('sha256')
    .update(`${TEMPLATE_FORMAT}\0${guardSql(OWNER_ROLE)}\0${await migrator.hash()}\0${configHash}\0${rows[0]!.v}`)
    .digest('hex');
  return TEMPLATE_PREFIX + digest.slice(0, 16);
}

async function isBuilt(admin: pg.ClientBase, name: string): Promise<boolean> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate AND NOT datallowconn', [name]);
  return rowCount === 1;
}

/**
 * Makes sure the migrated template `name` exists, building it if needed.
 * Concurrent runs and workers serialise on an advisory lock, so it is built
 * once. It is built under a scratch name and becomes `name` (flagged as a
 * template) in one transaction, so a run killed at any instant leaves either
 * a scratch database, which the next build drops, or a finished template.
 *
 * Objects in the template belong to the NOLOGIN role `pgspace_owner`; the
 * template database itself stays owned by the admin (REASSIGN OWNED in a
 * space must never reach it). Spaces' roles are members of the owner role.
 */
export async function ensureTemplate(server: ServerSettings, name: string, migrator: Migrator): Promise<void> {
  const admin = new pg.Client(clientConfig(server));
  admin.on('error', () => undefined); // a lost connection fails the query in progress; that is enough
  await admin.connect();
  try {
    await templateUsed(admin, name);
    if (await isBuilt(admin, name)) return;
    await admin.query(`SET lock_timeout = '120s'`); // another process is building it: wait, but not forever
    await admin.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, TEMPLATE_LOCK]).catch((err: unknown) => {
      throw new PgspaceError('timeout', `waited too long for another run to build the template ${name}: ${messageOf(err)}`);
    });
    if (await isBuilt(admin, name)) return;
    await ensureOwnerRole(admin);
    // A database by that name that is not a template was never finished (or an older format's): rebuild it.
    if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount) await dropTemplate(admin, name);
    const started = performance.now();
    await build(admin, server, name, migrator);
    // Said once per schema version and server: runs sharing the server reuse it from now on.
    process.stderr.write(`pgspace: built template ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await admin.end().catch(() => undefined); // ending the session releases the advisory lock
  }
}

/** Creates the shared NOLOGIN owner role once. Call with the template lock held. */
export async function ensureOwnerRole(admin: pg.ClientBase): Promise<void> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [OWNER_ROLE]);
  if (rowCount === 0) await admin.query(`CREATE ROLE ${q(OWNER_ROLE)} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
}

async function build(admin: pg.ClientBase, server: ServerSettings, name: string, migrator: Migrator): Promise<void> {
  const scratch = `${name}_build`;
  await admin.query(`DROP DATABASE IF EXISTS ${q(scratch)} WITH (FORCE)`); // left by a build that was killed
  // Closed until PUBLIC's CONNECT is gone: on a server that does not seal at login, a space's
  // role (a member of the owner role) must never get into the schema every space is cloned from.
  await admin.query(`CREATE DATABASE ${q(scratch)} TEMPLATE template0 ALLOW_CONNECTIONS false`);
  await admin.query(`REVOKE ALL ON DATABASE ${q(scratch)} FROM PUBLIC; ALTER DATABASE ${q(scratch)} WITH ALLOW_CONNECTIONS true`);
  try {
    const db = new pg.Client(clientConfig(server, scratch));
    await db.connect();
    try {
      await migrator.setup?.(db).catch((err: unknown) => {
        throw new PgspaceError('schema', `the schema's setup (run as ${server.user}) failed: ${messageOf(err)}`, { cause: err });
      });
      // Migrations run as the owner role, the way a service runs them as its own role; it owns
      // schema public too, so a dump's `ALTER SCHEMA public OWNER TO …` and `COMMENT ON SCHEMA` work.
      await db.query(`GRANT CREATE ON DATABASE ${q(scratch)} TO ${q(OWNER_ROLE)}; ALTER SCHEMA public OWNER TO ${q(OWNER_ROLE)}`);
      await db.query(`SET ROLE ${q(OWNER_ROLE)}`);
      await migrator.migrate(db);
      // The guard and reset routine let passing tests' spaces be recycled (guard.ts).
      await db.query('RESET ROLE');
      await db.query(guardSql(OWNER_ROLE));
    } finally {
      await db.end().catch(() => undefined);
    }
    // One implicit transaction: it becomes the finished template all at once, or stays the scratch.
    await admin.query(
      `ALTER DATABASE ${q(scratch)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false; ALTER DATABASE ${q(scratch)} RENAME TO ${q(name)}`,
    );
  } catch (err) {
    await admin.query(`DROP DATABASE IF EXISTS ${q(scratch)} WITH (FORCE)`).catch(() => undefined);
    if (err instanceof PgspaceError) throw err;
    throw new PgspaceError('schema', `building the template ${name} failed: ${messageOf(err)}`, { cause: err });
  }
}

/** Every template database on the server (a cache: one per schema version, dropped by `pgspace clean`). */
export async function listTemplates(admin: pg.ClientBase): Promise<string[]> {
  const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
    likePrefix(TEMPLATE_PREFIX),
  ]);
  return rows.map((r) => r.datname);
}

/** How long a template no run has used is kept on a shared server. */
export const TEMPLATE_GRACE = '7 days';

/**
 * Drops the templates no run has used for TEMPLATE_GRACE (a run notes its
 * templates' use when it starts using them), so a long-lived shared server
 * does not fill up with old schema versions. Runs under the template lock,
 * and only if it is free at once (a build in progress: next time). A template
 * a run starts to clone meanwhile makes DROP DATABASE wait for it. Returns
 * the names dropped.
 */
export async function dropStaleTemplates(admin: pg.ClientBase): Promise<string[]> {
  const { rows: locked } = await admin.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_CLASS, TEMPLATE_LOCK]);
  if (!locked[0]!.ok) return [];
  try {
    // A template seen for the first time (built before this record existed) starts its grace period now.
    await admin.query(
      `INSERT INTO ${TEMPLATES} (name) SELECT datname FROM pg_database WHERE datname LIKE $1 AND datistemplate ON CONFLICT DO NOTHING`,
      [likePrefix(TEMPLATE_PREFIX)],
    );
    const { rows } = await admin.query<{ name: string }>(
      `SELECT t.name FROM ${TEMPLATES} t JOIN pg_database d ON d.datname = t.name WHERE d.datistemplate AND t.used_at < now() - interval '${TEMPLATE_GRACE}'`,
    );
    for (const { name } of rows) {
      await dropTemplate(admin, name);
      await admin.query(`DELETE FROM ${TEMPLATES} WHERE name = $1`, [name]);
    }
    await admin.query(`DELETE FROM ${TEMPLATES} t WHERE NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = t.name)`);
    return rows.map((r) => r.name);
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, TEMPLATE_LOCK]);
  }
}

/**
 * Drops all but `keep` and the `n` most recently built templates: a suite
 * whose tests build throwaway templates must not push out the project's own
 * schemas' (see warm-up.ts), which every run uses.
 */
export async function keepNewestTemplates(admin: pg.ClientBase, n: number, keep: string[] = []): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datistemplate AND datname <> ALL($3) ORDER BY oid DESC OFFSET $2`,
    [likePrefix(TEMPLATE_PREFIX), n, keep],
  );
  for (const { datname } of rows) await dropTemplate(admin, datname);
}

/** Drops a template database (it must stop being a template first). */
export async function dropTemplate(admin: pg.ClientBase, name: string): Promise<void> {
  await admin.query(`ALTER DATABASE ${q(name)} WITH IS_TEMPLATE false`);
  await admin.query(`DROP DATABASE IF EXISTS ${q(name)} WITH (FORCE)`);
}
