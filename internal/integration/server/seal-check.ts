/**
 * Whether a server seals spaces at login (pg_hba.conf `sameuser`), found by
 * trying: a throwaway role attempts to log in to the admin's database the way
 * a space would. The embedded and compose servers are sealed by their
 * configuration; on a server the user brings, an unsealed one gets a warning
 * saying what to add (spaces still cannot reach each other's databases, see
 * spaces.ts, but could reach any database open to PUBLIC).
 */
import pg from 'pg';
import { randomPassword, scramVerifier } from '../common/credentials.js';
import { SPACE_PREFIX, randomSuffix } from '../common/names.js';
import type { ServerSettings } from './server.js';

/** Undefined when sealed; otherwise the warning to print. */
export async function sealWarning(admin: pg.ClientBase, server: ServerSettings): Promise<string | undefined> {
  const role = `${SPACE_PREFIX}probe_${randomSuffix()}`;
  const password = randomPassword();
  await admin.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN PASSWORD ${pg.escapeLiteral(scramVerifier(password))}`);
  const probe = new pg.Client({
    host: server.host,
    port: server.port,
    user: role,
    password,
    database: server.database,
    connectionTimeoutMillis: 5_000,
  });
  probe.on('error', () => undefined);
  let loggedIn = false;
  try {
    await probe.connect();
    loggedIn = true;
  } catch {
    /* refused: sealed (or not even allowed to try), which is what we want */
  } finally {
    await probe.end().catch(() => undefined);
    await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
  }
  if (!loggedIn) return undefined;
  return (
    `pgspace: warning: Postgres at ${server.host}:${server.port} does not seal spaces at login: a space's role could log in to ` +
    `"${server.database}" (and any database open to PUBLIC). Spaces still cannot connect to each other's databases. ` +
    `To seal them, put these lines first in the server's pg_hba.conf, then run SELECT pg_reload_conf():\n` +
    `    host  all       ${server.user}  all  scram-sha-256\n` +
    `    host  sameuser  all${' '.repeat(Math.max(1, server.user.length - 1))}all  scram-sha-256`
  );
}
