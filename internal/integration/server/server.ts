import pg from 'pg';
import { parse } from 'pg-connection-string';
import { setTimeout as delay } from 'node:timers/promises';
import { PgspaceError, messageOf } from '../common/errors.js';

/** Where a Postgres server is and who to log in as. `host` may be a unix socket directory. */
export interface ServerSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Anything that runs queries as admin: a client, or a pool (each query on any of its clients). */
export type AdminDb = Pick<pg.ClientBase, 'query'>;

/** The environment variable that points the helper at an existing server (superuser URL). */
export const ADMIN_URL_VAR = 'PGSPACE_ADMIN_URL';

/**
 * The admin server the user configured, or undefined for the embedded default.
 * `PGSPACE_ADMIN_URL` wins; otherwise `PGHOST` (with PGPORT, PGUSER,
 * PGPASSWORD, PGDATABASE) selects a server the libpq way.
 */
export function configuredServer(env: NodeJS.ProcessEnv = process.env): ServerSettings | undefined {
  const url = env[ADMIN_URL_VAR];
  if (url) return parseServerUrl(url);
  if (!env.PGHOST) return undefined;
  return {
    host: env.PGHOST,
    port: Number(env.PGPORT ?? 5432),
    user: env.PGUSER ?? 'postgres',
    password: env.PGPASSWORD ?? '',
    database: env.PGDATABASE ?? 'postgres',
  };
}

/** Parses a `postgresql://` URL (a socket directory goes in `?host=`). */
export function parseServerUrl(url: string): ServerSettings {
  let parsed;
  try {
    parsed = parse(url);
  } catch (err) {
    throw new PgspaceError('config', `${ADMIN_URL_VAR} is not a valid postgresql:// URL: ${messageOf(err)}`);
  }
  const port = Number(parsed.port ?? 5432);
  if (!parsed.host || !Number.isInteger(port)) {
    throw new PgspaceError('config', `${ADMIN_URL_VAR} must name a host and a port, got ${JSON.stringify(url)}`);
  }
  return {
    host: parsed.host,
    port,
    user: parsed.user || 'postgres',
    password: parsed.password ?? '',
    database: parsed.database || 'postgres',
  };
}

/** The inverse of parseServerUrl; the password is percent-encoded. */
export function serverUrl(s: ServerSettings): string {
  const auth = encodeURIComponent(s.user) + (s.password ? `:${encodeURIComponent(s.password)}` : '');
  const db = encodeURIComponent(s.database);
  if (s.host.startsWith('/')) {
    return `postgresql://${auth}@/${db}?host=${encodeURIComponent(s.host)}&port=${s.port}`;
  }
  return `postgresql://${auth}@${s.host}:${s.port}/${db}`;
}

/** `pg` client options for these settings, with a bounded connect time. */
export function clientConfig(s: ServerSettings, database = s.database): pg.ClientConfig {
  return {
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    database,
    connectionTimeoutMillis: 5_000,
    application_name: 'pgspace',
  };
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOENT', 'ETIMEDOUT']);

/**
 * Connects as admin and checks the role may create roles and databases.
 * Fails within `deadlineMs` with an error that names host and port; retries
 * only while the server says it is still starting up.
 */
export async function connectAdmin(s: ServerSettings, deadlineMs = 10_000): Promise<pg.Client> {
  const where = `${s.host}:${s.port}`;
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const client = new pg.Client({ ...clientConfig(s), connectionTimeoutMillis: Math.max(1, Math.min(5_000, deadline - Date.now())) });
    try {
      await client.connect();
      await assertSuperuser(client, s);
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      const code = (err as { code?: string }).code ?? '';
      if (code === '57P03' && Date.now() < deadline) {
        await delay(50); // "the database system is starting up": poll again until the deadline
        continue;
      }
      if (err instanceof PgspaceError) throw err;
      if (UNREACHABLE.has(code) || /timeout/i.test(messageOf(err))) {
        throw new PgspaceError(
          'unreachable',
          `cannot reach Postgres at ${where} (${code || messageOf(err)}). ` +
            `Start that server, or unset ${ADMIN_URL_VAR} and PGHOST to use the embedded one.`,
          { cause: err },
        );
      }
      throw new PgspaceError('login', `cannot log in to Postgres at ${where} as ${s.user}: ${messageOf(err)}`, { cause: err });
    }
  }
}

/** Runs `fn` with a checked admin connection (see connectAdmin), closed afterwards. */
export async function withAdminClient<T>(s: ServerSettings, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = await connectAdmin(s);
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

async function assertSuperuser(client: pg.Client, s: ServerSettings): Promise<void> {
  const { rows } = await client.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
  if (!rows[0]?.rolsuper) {
    throw new PgspaceError('login', `${s.user} at ${s.host}:${s.port} is not a superuser; pgspace needs one to create roles and databases`);
  }
}
