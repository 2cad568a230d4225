import { expect } from 'chai';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { startCluster, type EmbeddedCluster } from '../../internal/integration/embedded/cluster.js';
import { LOCK_CLASS } from '../../internal/integration/server/locks.js';
import { OWNER_ROLE } from '../../internal/integration/common/names.js';
import { isRunAlive } from '../../internal/integration/spaces/reaper.js';
import { ensureRegistry } from '../../internal/integration/server/registry.js';
import { serverUrl, withAdminClient, type ServerSettings } from '../../internal/integration/server/server.js';
import { createSpace, createStrategy, dropSpace, type SpaceIdentity } from '../../internal/integration/spaces/spaces.js';
import { ensureTemplate } from '../../internal/integration/templates/template.js';
import { runCommand, runMocha } from '../support/run-mocha.js';

// A server a user brings need not seal spaces at login: its pg_hba.conf lets any role try any
// database. There the privilege layer alone must hold every door, and the run must say how to seal.
// (Local trust, as on many developers' servers, makes logins fast: the hardest race to win.)
const OPEN_HBA = `local all all trust
host all all 127.0.0.1/32 scram-sha-256
`;
const EMPTY_SCHEMA = { hash: async () => 'empty', migrate: async () => undefined };
const TEMPLATE = 'pgstpl_unsealed_test';

describe('on a server that does not seal spaces at login', function () {
  this.timeout(120_000);
  let cluster: EmbeddedCluster;
  let server: ServerSettings;
  let admin: pg.Client;
  let strategy: Awaited<ReturnType<typeof createStrategy>>;
  const run = 1_000_000 + Math.floor(Math.random() * 1_000_000); // a run id no live run holds

  before(async function () {
    cluster = await startCluster();
    server = cluster.settings;
    await fs.writeFile(path.join(cluster.dir, 'data', 'pg_hba.conf'), OPEN_HBA); // keeps the file's owner
    admin = new pg.Client({ host: server.host, port: server.port, user: server.user, database: server.database });
    await admin.connect();
    await admin.query('SELECT pg_reload_conf()');
    await ensureRegistry(admin);
    strategy = await createStrategy(admin);
  });
  beforeEach(async function () {
    await ensureTemplate(server, TEMPLATE, EMPTY_SCHEMA); // the spaces:clean test drops it
  });
  after(async function () {
    await admin?.end().catch(() => undefined);
    await cluster?.stop();
  });

  /** A connected client logged in as `space`'s role to `database`. */
  async function loginAs(space: SpaceIdentity, database: string): Promise<pg.Client> {
    const client = new pg.Client({ host: server.host, port: server.port, user: space.name, password: space.password, database });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  it('the run warns at its start and says what to add to pg_hba.conf', async function () {
    const result = await runMocha('test/fixtures/passes.fixture.ts', { PGSPACE_ADMIN_URL: serverUrl(server) });
    expect(result.code, result.output).to.equal(0);
    expect(result.output).to.include('does not seal spaces at login');
    expect(result.output).to.match(/host\s+sameuser\s+all\s+all\s+scram-sha-256/);
  });

  it('lets a polling space into none of 300 spaces another run creates', async function () {
    const attacker = await createSpace(admin, TEMPLATE, run, strategy);
    const lookout = await loginAs(attacker, 'postgres'); // open to PUBLIC on such a server
    const tried = new Set<string>([attacker.name]);
    const refusals = new Map<string, number>();
    const entered: string[] = [];
    let creating = true;
    const created = (async () => {
      try {
        for (let i = 0; i < 300; i++) await createSpace(admin, TEMPLATE, run + 1, strategy);
      } finally {
        creating = false;
      }
    })();
    const tryDoor = async (database: string) => {
      try {
        const client = await loginAs(attacker, database);
        entered.push(database);
        await client.end();
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'other';
        refusals.set(code, (refusals.get(code) ?? 0) + 1);
      }
    };
    // Two logins at each new name the moment it shows, without waiting for them before looking again:
    // against the old CREATE DATABASE-then-REVOKE this got into 16 of 300 (see the README).
    const attempts: Promise<void>[] = [];
    while (creating) {
      const { rows } = await lookout.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'pgs\\_%'`);
      const fresh = rows.map((r) => r.datname).filter((d) => !tried.has(d));
      for (const d of fresh) tried.add(d);
      for (const d of fresh) attempts.push(tryDoor(d), tryDoor(d));
    }
    await Promise.all(attempts);
    await created;
    await lookout.end();
    expect(entered).to.deep.equal([]);
    expect(tried.size - 1, `refusals: ${JSON.stringify([...refusals])}`).to.be.greaterThan(150); // it really raced most of them
  });

  it("is not wedged by a space's large object in postgres, and its drop cannot hang", async function () {
    const space = await createSpace(admin, TEMPLATE, run, strategy);
    const client = await loginAs(space, 'postgres');
    await client.query('SELECT lo_create(0)');
    await client.end();
    await dropSpace(admin, server, space.name);
    const { rowCount } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [space.name]);
    expect(rowCount).to.equal(0);
  });

  it('cannot make a dead run look alive by taking its lock in the admin database', async function () {
    const space = await createSpace(admin, TEMPLATE, run, strategy);
    const client = await loginAs(space, server.database);
    await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, run + 2]);
    expect(await isRunAlive(admin, run + 2)).to.equal(false);
    await client.end();
  });

  it('cannot hide from the reaper or break `npm run spaces:clean` (default privileges in template1)', async function () {
    const space = await createSpace(admin, TEMPLATE, run, strategy);
    const client = await loginAs(space, 'template1');
    await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${pg.escapeIdentifier(OWNER_ROLE)} GRANT SELECT ON TABLES TO PUBLIC`);
    expect(
      await client.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(space.name)} IS '{}'`).catch((e: { code?: string }) => e.code),
    ).to.equal('42501');
    await client.end();
    const clean = await runCommand('npm', ['run', '--silent', 'spaces:clean'], { env: { PGSPACE_ADMIN_URL: serverUrl(server) } });
    expect(clean.code, clean.output).to.equal(0);
    const { rows } = await admin.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM pg_database WHERE datname LIKE 'pgs%') + (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'pgs%') AS n`,
    );
    expect(Number(rows[0]!.n), clean.output).to.equal(0); // every space, the template and pgspace_owner are gone
  });
});
