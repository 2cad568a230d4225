/** An admin connection to the run's server, for tests that inspect what the helper did. */
import type pg from 'pg';
import { ADMIN_URL_VAR, parseServerUrl, withAdminClient, type ServerSettings } from '../../internal/integration/core/server.js';

/** The server this test run uses (set up by the pgspace mocha plugin). */
export function runServer(): ServerSettings {
  return parseServerUrl(process.env[ADMIN_URL_VAR]!);
}

/** Runs `fn` with a superuser client on the run's server. */
export function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  return withAdminClient(runServer(), fn);
}

/** Which of `names` still exist as a database or a role. */
export function existing(names: string[]): Promise<string[]> {
  return withAdmin(async (admin) => {
    const { rows } = await admin.query<{ name: string }>(
      `SELECT datname AS name FROM pg_database WHERE datname = ANY($1)
       UNION SELECT rolname FROM pg_roles WHERE rolname = ANY($1)`,
      [names],
    );
    return rows.map((r) => r.name);
  });
}
