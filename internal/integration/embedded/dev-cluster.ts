/**
 * An embedded Postgres for running the code by hand (`npm run dev`), not for
 * tests: one per checkout, its data kept between starts. It lives in
 * `$TMPDIR/pgspace-<uid>/dev-<16 hex>`, a name test runs never list
 * (cluster.ts's CLUSTER_NAME, seed.ts's SEED_NAME), so neither a run's
 * reaping nor `pgspace clean` touches it, and it costs a test run nothing.
 *
 * The same binaries, initdb, sealed pg_hba.conf and start-up as a test
 * cluster; durability off as well (a crash of the machine may cost the data,
 * a crash of a process does not), autovacuum on (the data lives on). The
 * directory's record names the process using it: a second user is refused,
 * and a server a killed process left running is stopped and started again.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PgspaceError } from '../common/errors.js';
import type { ServerSettings } from '../server/server.js';
import { binaries } from './binaries.js';
import { clusterSettings, dataDirOf, initdb, sealCluster, startServer, stopServer, TEST_SERVER_SETTINGS } from './cluster.js';
import { serverUser } from './os-user.js';
import { checkoutOf, currentOwner, ownerAlive, readRecord, writeRecord } from './record.js';
import { userRoot } from './user-root.js';

/** A started development cluster. */
export interface DevCluster {
  dir: string;
  /** How the admin (postgres, trust over the socket) reaches it. */
  settings: ServerSettings;
  /** "PostgreSQL 17.10". */
  version: string;
  /** Whether initdb ran for this start (the first start, or one after a reset). */
  created: boolean;
  /** Stops the server; the data stays for the next start. */
  stop(): Promise<void>;
}

/** The development cluster's directory for `checkout`. */
export async function devClusterDir(checkout = checkoutOf()): Promise<string> {
  const key = createHash('sha256').update(`dev\0${checkout}`).digest('hex').slice(0, 16);
  return path.join(await userRoot(os.tmpdir()), `dev-${key}`);
}

/**
 * Starts this checkout's development cluster: initdb on the first start (or
 * with `reset`, after deleting its data), else the server on the data the
 * last start left. Refused while another process uses it. `onStep` hears
 * of each step as it begins (for a progress line).
 */
export async function startDevCluster({ reset = false, onStep = (_what: string) => undefined as void } = {}): Promise<DevCluster> {
  const dir = await devClusterDir();
  const record = await readRecord(dir);
  if (record && record.owner.pid !== process.pid && ownerAlive(record.owner)) {
    throw new PgspaceError('embedded', `the development Postgres of this checkout is in use by process ${record.owner.pid} (${dir})`);
  }
  await stopServer(dir); // one a killed process left running
  if (reset) await fs.rm(dir, { recursive: true, force: true });
  const user = serverUser();
  const created = !existsSync(dataDirOf(dir));
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeRecord(dir, { owner: currentOwner(), createdAt: record?.createdAt ?? new Date().toISOString() });
  if (user) await fs.chown(dir, user.uid, user.gid);
  const bin = await binaries(user);
  if (created) {
    onStep('first start: initdb');
    await fs.rm(dataDirOf(dir), { recursive: true, force: true });
    await initdb(bin, dir, user).catch(async (err: unknown) => {
      await fs.rm(dataDirOf(dir), { recursive: true, force: true }); // the next start runs initdb again
      throw err;
    });
    await sealCluster(dir, user);
  }
  onStep(created ? 'first start: starting Postgres' : 'starting Postgres');
  const { port } = await startServer(bin, dir, user, { ...TEST_SERVER_SETTINGS, autovacuum: 'on', max_connections: '100' });
  return {
    dir,
    settings: clusterSettings(dir, port),
    version: bin.version,
    created,
    stop: () => stopServer(dir).then(() => undefined),
  };
}
