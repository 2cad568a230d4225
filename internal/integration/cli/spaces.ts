/**
 * `npm run spaces`: list the spaces on the configured server, or on every
 * embedded cluster still up on this machine, with their tests.
 * `npm run spaces:clean`: drop every space no live run holds (kept ones too),
 * and stop embedded clusters no live run owns.
 */
import dotenv from 'dotenv';
import pg from 'pg';
import { clusterSettings, listClusters, stopCluster, type FoundCluster } from '../embedded/cluster.js';
import { checkoutOf } from '../embedded/record.js';
import { messageOf } from '../core/errors.js';
import { OWNER_ROLE } from '../core/names.js';
import { dropSpacesWhere, isRunAlive, listSpaces } from '../core/reaper.js';
import { configuredServer, withAdminClient, type ServerSettings } from '../core/server.js';
import { spaceFacts } from '../core/space.js';
import { dropRole } from '../core/spaces.js';
import { dropTemplate, listTemplates } from '../core/template.js';

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

async function main(command: string | undefined): Promise<void> {
  if (command !== 'list' && command !== 'clean') throw new Error('usage: pgspace list|clean|trace');
  dotenv.config({ quiet: true });
  const configured = configuredServer();
  if (configured) {
    const where = `${configured.host}:${configured.port}`;
    await withAdminClient(configured, (admin) => (command === 'list' ? list(admin, configured, where) : clean(admin, configured, where)));
    return;
  }
  const clusters = await listClusters();
  if (clusters.length === 0) console.log('no embedded Postgres clusters on this machine (and no PGSPACE_ADMIN_URL configured)');
  const checkout = checkoutOf();
  for (const c of clusters) {
    const ours = c.record?.owner.checkout === checkout;
    const where = `embedded cluster ${c.dir} (${describe(c, ours)})`;
    if (command === 'clean' && (c.state === 'abandoned' || (c.state === 'kept' && ours))) {
      await stopCluster(c.dir);
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
    }
    else if (command === 'list') console.log(`${where}: not running`);
  }
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
