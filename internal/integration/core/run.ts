/**
 * One test run, from the process that owns it (mocha's main process): find or
 * start the server, hold the run's lock, reap what dead runs left, build the
 * templates, and at the end clean up everything that is not kept.
 */
import { randomInt } from 'node:crypto';
import dotenv from 'dotenv';
import pg from 'pg';
import { reapAbandonedClusters, startCluster, type EmbeddedCluster } from '../embedded/cluster.js';
import { LOCK_CLASS } from './locks.js';
import { migrators } from '../project.js';
import { abandoned, dropSpacesWhere, listSpaces } from './reaper.js';
import { ADMIN_URL_VAR, configuredServer, connectAdmin, serverUrl, type ServerSettings } from './server.js';
import { closeSession, RUN_ID_VAR, session } from './session.js';

/** A run in progress; pass it back to finishRun. */
export interface Run {
  id: number;
  server: ServerSettings;
  /** Holds the run's advisory lock for as long as the run lives. */
  lock: pg.Client;
  cluster?: EmbeddedCluster;
}

/** Loads `.env` (the environment wins) and resolves the server: configured, or a fresh embedded one. */
async function resolveServer(): Promise<{ server: ServerSettings; cluster?: EmbeddedCluster }> {
  dotenv.config({ quiet: true });
  const configured = configuredServer();
  if (configured) return { server: configured };
  await reapAbandonedClusters();
  const cluster = await startCluster();
  return { server: cluster.settings, cluster };
}

async function takeRunLock(lock: pg.Client): Promise<number> {
  for (;;) {
    const id = randomInt(1, 2 ** 31 - 1);
    const { rows } = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_CLASS, id]);
    if (rows[0]!.ok) return id;
  }
}

/**
 * Starts a run: server, lock, reaping, templates; then publishes the server
 * and run id in the environment for this process and the workers it forks.
 */
export async function startRun(): Promise<Run> {
  const { server, cluster } = await resolveServer();
  let lock: pg.Client | undefined;
  try {
    lock = await connectAdmin(server);
    const id = await takeRunLock(lock);
    await dropSpacesWhere(lock, abandoned);
    process.env[ADMIN_URL_VAR] = serverUrl(server);
    process.env[RUN_ID_VAR] = String(id);
    // Build every schema's template now, so a broken migration or config
    // template fails the run once, clearly, instead of every test.
    await Promise.all(Object.values(migrators).map((m) => session().template(m)));
    return { id, server, lock, cluster };
  } catch (err) {
    await closeSession().catch(() => undefined);
    await lock?.end().catch(() => undefined);
    await cluster?.stop();
    throw err;
  }
}

/**
 * Ends a run: drops its remaining spaces (from crashed workers, or left by
 * tests that never finished) except kept ones, releases the lock, and stops
 * the embedded server unless a kept space lives on it. Returns a summary line
 * for people, or undefined when there is nothing to say.
 */
export async function finishRun(run: Run): Promise<string | undefined> {
  await closeSession();
  await dropSpacesWhere(run.lock, (tag) => tag.run === run.id && !tag.kept);
  const kept = (await listSpaces(run.lock)).filter((s) => s.tag.run === run.id);
  await run.lock.end();
  if (kept.length === 0) {
    await run.cluster?.stop();
    return undefined;
  }
  const where = run.cluster
    ? `on the embedded Postgres at ${run.server.host} (port ${run.server.port}), left running until the next test run or \`npm run spaces:clean\``
    : `on ${run.server.host}:${run.server.port}; \`npm run spaces:clean\` drops them`;
  return `pgspace: ${kept.length} space(s) kept for failing tests ${where}: ${kept.map((s) => s.name).join(', ')}`;
}
