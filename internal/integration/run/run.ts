/**
 * One test run, from the process that owns it (mocha's main process): find or
 * start the server, hold the run's lock, reap what dead runs left, build the
 * templates, and at the end clean up everything that is not kept.
 *
 * The lock connection doubles as the run's heartbeat: if it is lost, the
 * server died (or restarted, or someone ended our session), and the run is
 * broken with one message that says what happened (run-health.ts).
 */
import { randomInt } from 'node:crypto';
import dotenv from 'dotenv';
import pg from 'pg';
import { reapClusters, startCluster, type EmbeddedCluster } from '../embedded/cluster.js';
import { describeCluster } from '../embedded/diagnosis.js';
import { extrasOf } from '../embedded/seed.js';
import { messageOf } from '../common/errors.js';
import { loadConfigTemplates } from '../config/config-templates.js';
import { dropStaleTemplates, keepNewestTemplates, TEMPLATE_GRACE } from '../templates/template.js';
import { projectTemplates } from './warm-up.js';
import { projectConfig } from '../config/project-config.js';
import { LOCK_CLASS } from '../server/locks.js';
import { pollUntil, withDeadline } from '../common/poll.js';
import { abandoned, dropSpacesWhere, listSpaces } from '../spaces/reaper.js';
import { ensureRegistry } from '../server/registry.js';
import { sealWarning } from '../server/seal-check.js';
import { capFromEnv } from '../spaces/space-cap.js';
import { breakRun, brokenMessage, holdHeartbeat, runBroken } from '../session/run-health.js';
import { ADMIN_URL_VAR, configuredServer, connectAdmin, serverUrl, type ServerSettings } from '../server/server.js';
import { closeSession, RUN_ID_VAR } from '../session/session.js';

/** A run in progress; pass it back to finishRun. */
export interface Run {
  id: number;
  server: ServerSettings;
  /** Holds the run's advisory lock for as long as the run lives. */
  lock: pg.Client;
  cluster?: EmbeddedCluster;
  /** Set while finishRun closes the lock, so its end is not taken for the server's. */
  closing?: boolean;
  /** Set when the lock connection was lost. */
  lost?: boolean;
}

/** How the run ended: a line about kept spaces, and anything that went wrong (the run then fails). */
export interface RunEnd {
  summary?: string;
  problems: string[];
}

/** Templates a seed keeps (the newest): older schema versions are dropped rather than carried on forever. */
const SEED_TEMPLATES = 8;
/** Deadlines of the steps that end a run: none may hang it. */
const END_DEADLINE_MS = { session: 30_000, drops: 30_000, lock: 5_000, cluster: 15_000 };

function say(line: string): void {
  process.stderr.write(`pgspace: ${line}\n`);
}

/** Loads `.env` (the environment wins) and resolves the server: configured, or a fresh embedded one. */
async function resolveServer(): Promise<{ server: ServerSettings; cluster?: EmbeddedCluster }> {
  dotenv.config({ quiet: true });
  const configured = configuredServer();
  if (configured) return { server: configured };
  for (const line of await reapClusters()) say(line);
  const cluster = await startCluster();
  if (cluster.seedRefused) say(`the last run's cluster was not used, ${cluster.seedRefused}: this run starts from a fresh one`);
  say(`embedded ${cluster.version} on ${cluster.place}${cluster.seeded ? ", with the last run's templates" : ''}`);
  return { server: cluster.settings, cluster };
}

async function takeRunLock(lock: pg.Client): Promise<number> {
  for (;;) {
    const id = randomInt(1, 2 ** 31 - 1);
    const { rows } = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_CLASS, id]);
    if (rows[0]!.ok) return id;
  }
}

/** The one message for a server lost mid-run: what, where, and (embedded) its log and the likely cause. */
async function describeLoss(run: Run, err: unknown): Promise<string> {
  const where = `${run.server.host}:${run.server.port}`;
  if (!run.cluster) {
    return (
      `pgspace: lost the run's connection to Postgres at ${where} (${messageOf(err)}): the server stopped, crashed or restarted, ` +
      "or someone ended the run's session. Its log is on that server.\n  The run stops here."
    );
  }
  const cluster = run.cluster;
  // Let the postmaster finish dying, so its exit and last log lines are there to read.
  await pollUntil('the server to exit', () => (cluster.exit() ? true : undefined), { timeoutMs: 1_000 }).catch(() => undefined);
  return (
    `pgspace: the embedded Postgres died during the run (${messageOf(err)}); it was on ${cluster.place}, port ${run.server.port}.\n` +
    `  ${await describeCluster(cluster.dir, cluster.exit())}\n  The run stops here.`
  );
}

function watchLock(run: Run): void {
  const onLost = (err: unknown) => {
    if (run.lost || run.closing) return;
    run.lost = true;
    breakRun(describeLoss(run, err));
  };
  holdHeartbeat();
  run.lock.on('error', onLost);
  run.lock.on('end', () => onLost(new Error('the connection was closed')));
}

/**
 * Starts a run: config.d checked, server, lock, reaping; then publishes the
 * server and run id in the environment for this process and the workers it
 * forks. (The templates and first spaces come next, in warm-up.ts.)
 */
export async function startRun(): Promise<Run> {
  const { configDir } = await projectConfig(); // a broken config file or template fails the run once, up front
  if (configDir) await loadConfigTemplates(configDir);
  capFromEnv(); // so does a malformed PGSPACE_MAX_SPACES
  const { server, cluster } = await resolveServer();
  let lock: pg.Client | undefined;
  try {
    lock = await connectAdmin(server);
    const run: Run = { id: await takeRunLock(lock), server, lock, cluster };
    watchLock(run);
    await ensureRegistry(lock);
    if (!cluster) {
      const warning = await sealWarning(lock, server);
      if (warning) process.stderr.write(`${warning}\n`);
    }
    await dropSpacesWhere(lock, server, abandoned);
    const stale = await dropStaleTemplates(lock);
    if (stale.length > 0) say(`dropped ${stale.length} template(s) no run had used for ${TEMPLATE_GRACE}: ${stale.join(', ')}`);
    process.env[ADMIN_URL_VAR] = serverUrl(server);
    process.env[RUN_ID_VAR] = String(run.id);
    return run;
  } catch (err) {
    await closeSession().catch(() => undefined);
    await lock?.end().catch(() => undefined);
    await cluster?.stop();
    throw err;
  }
}

/** Runs one step of the end of a run, within its deadline; a failure is noted, never thrown. */
async function step<T>(problems: string[], what: string, ms: number, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await withDeadline(work(), ms, what);
  } catch (err) {
    problems.push(`${what} failed: ${messageOf(err)}`);
    return undefined;
  }
}

/**
 * Ends a run: drops its remaining spaces (from crashed workers, or left by
 * tests that never finished) except kept ones, releases the lock, and stops
 * the embedded server unless a kept space lives on it. Never throws and never
 * hangs: every step has a deadline, and what went wrong is returned.
 */
export async function finishRun(run: Run): Promise<RunEnd> {
  const problems: string[] = [];
  const broken = runBroken();
  // What broke the run is read from the server's log: let that finish before the cluster is deleted.
  if (broken) await step(problems, 'describing what broke the run', END_DEADLINE_MS.lock, () => brokenMessage()!);
  await step(problems, "closing the helper's connections", END_DEADLINE_MS.session, closeSession);
  let kept: string[] = [];
  if (!broken) {
    await step(problems, "dropping the run's spaces", END_DEADLINE_MS.drops, () =>
      dropSpacesWhere(run.lock, run.server, (s) => s.run === run.id && !s.keptAt),
    );
    kept =
      (await step(problems, 'listing kept spaces', END_DEADLINE_MS.drops, () => listSpaces(run.lock)))
        ?.filter((s) => s.run === run.id)
        .map((s) => s.name) ?? [];
  }
  // An embedded cluster that ends cleanly is the next run's seed, templates and all, unless it holds
  // what a fresh cluster would not (see embedded/seed.ts).
  let seed = !!run.cluster && !broken && kept.length === 0 && problems.length === 0;
  if (seed) {
    const extras = await step(problems, 'looking for server-wide state', END_DEADLINE_MS.lock, () => extrasOf(run.server, run.lock));
    if (extras?.length) {
      seed = false;
      say(
        `no seed for the next run: this cluster holds what a fresh one lacks (${extras.join(', ')}), made by a schema's setup or a test; the next run starts fresh, as CI does`,
      );
    }
  }
  if (seed)
    await step(problems, 'trimming the templates', END_DEADLINE_MS.drops, () =>
      keepNewestTemplates(run.lock, SEED_TEMPLATES, projectTemplates()),
    );
  run.closing = true;
  if (!run.lost) await step(problems, "closing the run's lock connection", END_DEADLINE_MS.lock, () => run.lock.end());
  // A server that died or stopped answering never acknowledges the end: drop the socket.
  (run.lock as pg.Client & { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  if (run.cluster && (broken || kept.length === 0)) {
    await step(problems, 'stopping the embedded Postgres', END_DEADLINE_MS.cluster, () => run.cluster!.stop(seed && problems.length === 0));
  } else if (run.cluster) {
    await step(problems, 'recording the kept spaces', END_DEADLINE_MS.lock, () => run.cluster!.markKept(kept));
  }
  if (kept.length === 0) return { problems };
  const where = run.cluster
    ? `on the embedded Postgres at ${run.server.host} (port ${run.server.port}), left running until the next test run or \`npx pgspace clean\``
    : `on ${run.server.host}:${run.server.port}; \`npx pgspace clean\` drops them`;
  return { summary: `pgspace: ${kept.length} space(s) kept for failing tests ${where}: ${kept.join(', ')}`, problems };
}

/**
 * Gives up a run at once, synchronously, when its process exits (or is
 * signalled) before the run's end: the embedded server is stopped and
 * deleted, so nothing is left running; on a configured server the run's lock
 * goes with the process, and the next run drops its spaces. Says what it did.
 */
export function abandonRun(run: Run): string {
  run.closing = true;
  if (!run.cluster) return `its spaces on ${run.server.host}:${run.server.port} are dropped by the next run`;
  try {
    run.cluster.stopNow();
    return 'stopped the embedded Postgres';
  } catch (err) {
    return `could not stop the embedded Postgres (${messageOf(err)}); the next run will`;
  }
}
