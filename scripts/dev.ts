/**
 * `npm run dev`: both services on this machine, restarted when a file under
 * src/ changes, each on its own database (`trainings`, `users`: the roles and
 * names the production compose file gives them), kept between runs.
 *
 * Postgres is the server `.env` or the environment names (PGSPACE_ADMIN_URL,
 * as `make local.infra` writes it), else this checkout's development cluster
 * (see internal/integration/embedded/dev-cluster.ts), which test runs never
 * touch. Migrations run as each service starts, as in production.
 *
 *   npm run dev                 # trainings on 127.0.0.1:8080, users on 127.0.0.1:8081 (TRAININGS_HTTP_PORT, USERS_HTTP_PORT)
 *   npm run dev -- --reset      # first drops both databases: a fresh start
 *
 * Ctrl-C (or SIGTERM) stops the services and the development cluster; a
 * service whose runner is killed outright exits with it (dev-exit-with-parent.mjs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import pg from 'pg';
import { messageOf } from '../internal/integration/common/errors.js';
import { pollUntil, withDeadline } from '../internal/integration/common/poll.js';
import { startDevCluster, type DevCluster } from '../internal/integration/embedded/dev-cluster.js';
import { configuredServer, connectAdmin, type ServerSettings } from '../internal/integration/server/server.js';
import { progressLine } from './progress-line.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const q = pg.escapeIdentifier;
/** How long a service may take to answer /health after it starts (its migrations included). */
const START_DEADLINE_MS = 60_000;
/** How long a service may take to stop on SIGTERM before it is killed. */
const STOP_DEADLINE_MS = 5_000;

/** One service as this runner runs it. */
interface Service {
  name: 'users' | 'trainings';
  port: number;
  env: Record<string, string>;
  child?: ChildProcess;
}

function say(line: string): void {
  process.stdout.write(`dev: ${line}\n`);
}

/** Creates the service's role and database unless they exist (after dropping them, with `reset`). The password is the name: a local value. */
async function ensureDatabase(admin: pg.Client, name: string, reset: boolean): Promise<void> {
  if (reset) {
    await admin.query(`DROP DATABASE IF EXISTS ${q(name)} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${q(name)}`);
  }
  if (!(await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount) {
    await admin.query(`CREATE ROLE ${q(name)} LOGIN PASSWORD ${pg.escapeLiteral(name)}`);
  }
  if (!(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount) {
    await admin.query(`CREATE DATABASE ${q(name)} OWNER ${q(name)}`);
  }
}

/** The variables a service reads (see config.d), for its database on `server` reached over TCP. */
function serviceEnv(prefix: string, server: ServerSettings, name: string, port: number): Record<string, string> {
  const host = server.host.startsWith('/') ? '127.0.0.1' : server.host; // the embedded cluster listens there too
  return {
    [`${prefix}_DB_HOST`]: host,
    [`${prefix}_DB_PORT`]: String(server.port),
    [`${prefix}_DB_NAME`]: name,
    [`${prefix}_DB_USER`]: name,
    [`${prefix}_DB_PASSWORD`]: name,
    [`${prefix}_HTTP_HOST`]: '127.0.0.1',
    [`${prefix}_HTTP_PORT`]: String(port),
  };
}

/** Whether `host` is this machine: a loopback address, localhost or a unix socket directory. */
function isLoopback(host: string): boolean {
  return host.startsWith('/') || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Starts a service's process; its output is passed on, each line prefixed with its name. */
function start(service: Service): void {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './scripts/dev-exit-with-parent.mjs', `src/${service.name}/main.ts`],
    { cwd: root, env: { ...process.env, ...service.env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) process.stdout.write(`[${service.name}] ${line}\n`);
    });
  }
  child.on('exit', (code, signal) => {
    if (service.child === child && !stopping)
      say(`${service.name} exited (${signal ?? `code ${code}`}); it starts again when a file under src/ changes`);
  });
  service.child = child;
}

/** Stops a service's process: SIGTERM, then SIGKILL after STOP_DEADLINE_MS. */
async function stop(service: Service): Promise<void> {
  const child = service.child;
  service.child = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await withDeadline(exited, STOP_DEADLINE_MS, `${service.name} to stop`).catch(() => child.kill('SIGKILL'));
}

/** Waits until the service answers GET /health, failing early if its process ends. */
async function healthy(service: Service): Promise<void> {
  await pollUntil(
    `${service.name} to answer http://127.0.0.1:${service.port}/health`,
    async () => {
      const child = service.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error(`${service.name} exited before it answered`);
      const res = await fetch(`http://127.0.0.1:${service.port}/health`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    { timeoutMs: START_DEADLINE_MS, intervalMs: 100 },
  );
}

/** The services a change under src/ restarts: its own service, or both for shared code. */
function affected(services: Service[], file: string): Service[] {
  const own = services.find((s) => file.startsWith(`${s.name}${path.sep}`));
  return own ? [own] : services;
}

let stopping = false;

/** Starts everything; an exit code when it could not, undefined once it runs (until a signal). */
async function main(): Promise<number | undefined> {
  const args = process.argv.slice(2);
  const reset = args.includes('--reset');
  if (args.some((a) => a !== '--reset')) {
    console.error('usage: npm run dev [-- --reset]');
    return 2;
  }
  dotenv.config({ path: path.join(root, '.env'), quiet: true });
  const progress = progressLine('dev');
  let cluster: DevCluster | undefined;
  let clusterStart: Promise<DevCluster> | undefined;
  const services: Service[] = [];
  const shutdown = async (): Promise<void> => {
    stopping = true;
    progress.done();
    await Promise.all(services.map(stop));
    // A signal while the cluster starts: let it finish starting, then stop it (it is detached: it would outlive us).
    await (cluster ?? (await clusterStart?.catch(() => undefined)))?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopping) return; // a second Ctrl-C while it stops: it is stopping already
      say(`${signal}: stopping`);
      void shutdown().then(
        () => process.exit(0),
        (err: unknown) => (console.error(`dev: stopping failed: ${messageOf(err)}`), process.exit(1)),
      );
    });
  }
  let ready = '';
  try {
    // Only a server named on purpose (PGSPACE_ADMIN_URL: make local.infra's .env), never one PGHOST happens to name.
    let server = process.env.PGSPACE_ADMIN_URL ? configuredServer() : undefined;
    if (server && reset && !isLoopback(server.host)) {
      console.error(`dev: --reset drops the databases trainings and users; it is refused on ${server.host}, which is not this machine`);
      return 2;
    }
    if (!server) {
      clusterStart = startDevCluster({ reset, onStep: (what) => progress.step(`the development Postgres: ${what}`) });
      cluster = await clusterStart;
      server = cluster.settings;
    }
    progress.step('the databases trainings and users');
    const admin = await connectAdmin(server);
    try {
      for (const name of ['users', 'trainings']) await ensureDatabase(admin, name, reset && !cluster);
    } finally {
      await admin.end();
    }
    const usersPort = Number(process.env.USERS_HTTP_PORT || 8081);
    const trainingsPort = Number(process.env.TRAININGS_HTTP_PORT || 8080);
    services.push(
      { name: 'users', port: usersPort, env: serviceEnv('USERS', server, 'users', usersPort) },
      {
        name: 'trainings',
        port: trainingsPort,
        env: { ...serviceEnv('TRAININGS', server, 'trainings', trainingsPort), TRAININGS_USERS_URL: `http://127.0.0.1:${usersPort}` },
      },
    );
    progress.step('starting the services (migrations run as they start)');
    services.forEach(start);
    await Promise.all(services.map(healthy));
    ready = progress.done();
  } catch (err) {
    if (stopping) return 0; // a signal came while it started
    console.error(`dev: could not start: ${messageOf(err)}`);
    if (cluster) console.error(`dev: to start over from empty databases: npm run dev -- --reset`);
    await shutdown();
    return 1;
  }
  const where = cluster ? `the development Postgres (${cluster.version}, data in ${cluster.dir})` : `the server PGSPACE_ADMIN_URL names`;
  say(`ready after ${ready} s: trainings http://127.0.0.1:${services[1]!.port}  users http://127.0.0.1:${services[0]!.port}`);
  say(`databases trainings and users on ${where}, kept between runs (npm run dev -- --reset starts over)`);
  say('restarts a service when a file under src/ changes; Ctrl-C stops');
  watchSources(services);
  return undefined;
}

/** Restarts the services a change under src/ affects, once the burst of changes is over. */
function watchSources(services: Service[]): void {
  const changed = new Set<Service>();
  let timer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> = Promise.resolve();
  const restart = () => {
    const due = [...changed];
    changed.clear();
    restarting = restarting.then(async () => {
      if (stopping) return;
      say(`restarting ${due.map((s) => s.name).join(' and ')}`);
      await Promise.all(due.map(stop));
      if (stopping) return;
      due.forEach(start);
      await Promise.all(
        due.map((s) =>
          healthy(s).then(
            () => say(`${s.name} is back on http://127.0.0.1:${s.port}`),
            (err: unknown) => say(`${s.name} did not come back: ${messageOf(err)}`),
          ),
        ),
      );
    });
  };
  watch(path.join(root, 'src'), { recursive: true }, (_event, file) => {
    if (!file) return;
    for (const s of affected(services, file)) changed.add(s);
    clearTimeout(timer);
    timer = setTimeout(restart, 100); // an editor's save is several events
  });
}

void main().then((code) => {
  if (code !== undefined) process.exit(code);
});
