/**
 * `pgspace list`: the spaces on the configured server, or on every embedded
 * cluster still up on this machine, with their tests.
 * `pgspace clean`: drops every space no live run holds (kept ones too),
 * stops embedded clusters no live run owns, and deletes what pgspace left
 * on disk for this checkout (the next run's seed, of any binaries version;
 * the trace parts of runs interrupted before they wrote their page); says
 * how much that freed.
 */
import { lstatSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import dotenv from 'dotenv';
import pg from 'pg';
import { clusterSettings, listClusters, stopCluster, type FoundCluster } from '../embedded/cluster.js';
import { clusterRoots } from '../embedded/data-place.js';
import { checkoutOf } from '../embedded/record.js';
import { seedsOf } from '../embedded/seed.js';
import { orphanedParts } from '../trace/dir.js';
import { messageOf } from '../common/errors.js';
import { OWNER_ROLE } from '../common/names.js';
import { dropSpacesWhere, isRunAlive, listSpaces } from '../spaces/reaper.js';
import { configuredServer, withAdminClient, type ServerSettings } from '../server/server.js';
import { spaceFacts } from '../session/space.js';
import { dropRole } from '../spaces/spaces.js';
import { dropTemplate, listTemplates } from '../templates/template.js';

function age(at: Date): string {
  const s = Math.round((Date.now() - at.getTime()) / 1000);
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

async function list(admin: pg.Client, server: ServerSettings, where: string): Promise<void> {
  const spaces = await listSpaces(admin);
  console.log(`${where}: ${spaces.length} space(s)`);
  for (const s of spaces) {
    const state = s.keptAt ? `kept ${age(s.keptAt)} ago` : s.runAlive ? 'live' : 'abandoned';
    console.log(`  ${s.name}  ${state}  run ${s.run}  ${s.test ?? '(not yet given to a test)'}`);
    if (s.keptAt && s.password) console.log(`    ${spaceFacts(server, { name: s.name, password: s.password }, []).psql}`);
  }
}

async function clean(admin: pg.Client, server: ServerSettings, where: string): Promise<void> {
  const dropped = await dropSpacesWhere(admin, server, (s) => !s.runAlive); // kept ones too
  // Templates are a cache shared by runs: only drop them when no run is using the server.
  const templates = (await isRunAlive(admin)) ? [] : await listTemplates(admin);
  for (const t of templates) await dropTemplate(admin, t);
  if (templates.length > 0) await dropRole(admin, server, OWNER_ROLE);
  console.log(`${where}: dropped ${dropped.length} space(s) and ${templates.length} template(s)`);
}

/** Bytes the files under `target` take (0 when it is gone). */
function sizeOf(target: string): number {
  try {
    const stat = lstatSync(target);
    if (!stat.isDirectory()) return stat.size;
    return readdirSync(target).reduce((n, name) => n + sizeOf(path.join(target, name)), 0);
  } catch {
    return 0;
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MB`;
}

/** Deletes this checkout's seeds and orphaned trace parts; the bytes freed. */
async function cleanDisk(checkout: string): Promise<number> {
  let freed = 0;
  for (const seed of (await Promise.all(clusterRoots().map((root) => seedsOf(root, checkout)))).flat()) {
    const bytes = sizeOf(seed);
    await fs.rm(seed, { recursive: true, force: true });
    freed += bytes;
    console.log(`the next run's seed ${seed} (${megabytes(bytes)}): deleted`);
  }
  const parts = orphanedParts();
  if (parts.length > 0) {
    const bytes = parts.reduce((n, p) => n + sizeOf(p), 0);
    for (const p of parts) await fs.rm(p, { recursive: true, force: true });
    freed += bytes;
    console.log(`trace parts of ${parts.length} interrupted run(s) in ${path.dirname(parts[0]!)} (${megabytes(bytes)}): deleted`);
  }
  return freed;
}

async function main(command: string | undefined): Promise<void> {
  dotenv.config({ quiet: true });
  const checkout = checkoutOf();
  let freed = 0;
  const configured = configuredServer();
  if (configured) {
    const where = `${configured.host}:${configured.port}`;
    await withAdminClient(configured, (admin) => (command === 'list' ? list(admin, configured, where) : clean(admin, configured, where)));
  }
  const clusters = configured ? [] : await listClusters();
  if (!configured && clusters.length === 0)
    console.log('no embedded Postgres clusters on this machine (and no PGSPACE_ADMIN_URL configured)');
  for (const c of clusters) {
    const ours = c.record?.owner.checkout === checkout;
    const where = `embedded cluster ${c.dir} (${describe(c, ours)})`;
    if (command === 'clean' && (c.state === 'abandoned' || (c.state === 'kept' && ours))) {
      const bytes = sizeOf(c.dir);
      await stopCluster(c.dir);
      freed += bytes;
      console.log(`${where}: stopped and deleted`);
      continue;
    }
    if (command === 'clean' && c.state === 'kept') {
      console.log(`${where}: left alone; run \`npx pgspace clean\` in that checkout`);
      continue;
    }
    if (command === 'list' && c.record?.port) {
      const server = clusterSettings(c.dir, c.record.port);
      await withAdminClient(server, (admin) => list(admin, server, where));
    } else if (command === 'list') console.log(`${where}: not running`);
  }
  if (command !== 'clean') return;
  freed += await cleanDisk(checkout);
  console.log(`pgspace clean: freed ${megabytes(freed)} on disk${configured ? " here (the server's own disk aside)" : ''}`);
}

function describe(c: FoundCluster, ours: boolean): string {
  const checkout = ours ? 'this checkout' : c.record?.owner.checkout;
  switch (c.state) {
    case 'running':
      return `its test run, pid ${c.record!.owner.pid} in ${checkout}, is still going`;
    case 'kept':
      return `kept for debugging by a run in ${checkout}`;
    case 'young':
      return 'being created';
    default:
      return 'left by a run that died';
  }
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(`pgspace: ${messageOf(err)}`);
  process.exitCode = 1;
});
