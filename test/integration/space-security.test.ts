import { expect } from 'chai';
import pg from 'pg';
import { type Space } from '../../internal/integration/index.js';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { LOCK_CLASS } from '../../internal/integration/server/locks.js';
import { isRunAlive } from '../../internal/integration/spaces/reaper.js';
import { sealWarning } from '../../internal/integration/server/seal-check.js';
import { dropSpace } from '../../internal/integration/spaces/spaces.js';
import { existing, runServer, withAdmin } from '../support/admin.js';

// Each door a test's code could try from inside its space (logged in as the
// space's role, with space.url), the way an attacker would. Every one must be shut.

/** Logs in as `space`'s role to `database`; resolves to the SQLSTATE it was refused with, or 'connected'. */
async function loginAs(space: Space, database: string): Promise<string> {
  const client = new pg.Client({ host: space.host, port: space.port, user: space.role, password: space.password, database });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return 'connected';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The SQLSTATE `sql` fails with when run in the space, or 'ok'. */
async function attempt(space: Space, sql: string): Promise<string> {
  try {
    await space.pool.query(sql);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('a space is sealed: doors tried from inside it', function () {
  // The embedded and compose servers seal spaces at login (pg_hba.conf `sameuser`); a server
  // a user brings may not, and then the run warns, and only the login doors below differ.
  let sealed = false;
  before(async function () {
    sealed = (await withAdmin((admin) => sealWarning(admin, runServer()))) === undefined;
  });

  it("cannot log in to another space's database", async function () {
    const [mine, theirs] = [await newSpace(this), await newSpace(this)];
    // 28000: refused at login by pg_hba.conf; 42501: by privilege, where the server is not sealed.
    expect(await loginAs(mine, theirs.database)).to.equal(sealed ? '28000' : '42501');
  });

  it('cannot log in to postgres, template1 or a template (on a sealed server)', async function () {
    if (!sealed) this.skip(); // the run printed a warning saying how to seal this server
    const space = await newSpace(this);
    const { rows } = await withAdmin((admin) =>
      admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'pgstpl%' LIMIT 1`),
    );
    for (const database of ['postgres', 'template1', rows[0]!.datname]) {
      expect(await loginAs(space, database), database).to.equal('28000');
    }
  });

  it('cannot open its database to others, comment on it, rename it or take it over', async function () {
    const [space, other] = [await newSpace(this), await newSpace(this)];
    const db = pg.escapeIdentifier(space.database);
    // Refused, or (holding CONNECT without grant option) a warning and nothing granted: either way, nothing changes.
    expect(await attempt(space, `GRANT CONNECT ON DATABASE ${db} TO PUBLIC`)).to.be.oneOf(['ok', '42501']);
    expect(await attempt(space, `GRANT ALL ON DATABASE ${db} TO ${pg.escapeIdentifier(other.role)}`)).to.be.oneOf(['ok', '42501']);
    const { rows } = await space.pool.query<{ grantee: string }>(
      `SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS grantee
         FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database()`,
    );
    expect(rows.map((r) => r.grantee)).to.have.members([space.role, runServer().user]);
    expect(await loginAs(other, space.database)).to.equal(sealed ? '28000' : '42501');
    expect(await attempt(space, `COMMENT ON DATABASE ${db} IS 'not mine'`)).to.equal('42501');
    expect(await attempt(space, `ALTER DATABASE ${db} RENAME TO x`)).to.equal('42501');
    expect(await attempt(space, `ALTER DATABASE ${db} OWNER TO ${pg.escapeIdentifier(space.role)}`)).to.equal('42501');
  });

  it('cannot gain privileges', async function () {
    const space = await newSpace(this);
    const role = pg.escapeIdentifier(space.role);
    const doors: Array<[string, string]> = [
      ['CREATE ROLE intruder', '42501'],
      ['CREATE DATABASE intruder', '42501'],
      [`ALTER ROLE ${role} SUPERUSER`, '42501'],
      [`ALTER ROLE ${role} CREATEDB`, '42501'],
      ['SET ROLE postgres', '42501'],
      [`GRANT pgspace_owner TO ${role}`, '42501'],
      ['ALTER SYSTEM SET fsync = on', '42501'],
      [`COPY (SELECT 1) TO PROGRAM 'true'`, '42501'],
      [`SELECT pg_read_file('postgresql.conf')`, '42501'],
      ['SELECT count(*) FROM pg_authid', '42501'],
      ['CREATE EXTENSION dblink', '42501'],
    ];
    for (const [sql, code] of doors) expect(await attempt(space, sql), sql).to.equal(code);
  });

  it("cannot stop the helper's own sessions", async function () {
    const space = await newSpace(this);
    await withAdmin(async (admin) => {
      const { rows } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(await attempt(space, `SELECT pg_terminate_backend(${rows[0]!.pid})`)).to.equal('42501');
      await admin.query('SELECT 1'); // still connected
    });
  });

  it("sees no other space's test title, host or pid", async function () {
    const space = await newSpace(this);
    const { rows } = await space.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'pgs%' AND shobj_description(oid, 'pg_database') IS NOT NULL`,
    );
    expect(rows[0]!.n).to.equal(0);
    expect(await attempt(space, 'SELECT * FROM pgspace.spaces')).to.equal('42P01'); // the registry is not in its database
    const activity = await space.pool.query<{ query: string | null }>(
      `SELECT query FROM pg_stat_activity WHERE usename <> current_user AND backend_type = 'client backend'`,
    );
    for (const row of activity.rows) expect(row.query ?? '<insufficient privilege>').to.equal('<insufficient privilege>');
  });

  it("cannot make a dead run look alive with pgspace's advisory lock", async function () {
    const space = await newSpace(this);
    const deadRun = 2_000_000_000 - Math.floor(Math.random() * 1_000_000);
    const client = await space.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, deadRun]);
      expect(await withAdmin((admin) => isRunAlive(admin, deadRun))).to.equal(false);
    } finally {
      client.release();
    }
  });

  it("cannot wedge another space's drop by granting it things", async function () {
    const [space, other] = [await newSpace(this), await newSpace(this)];
    const them = pg.escapeIdentifier(other.role);
    await space.pool.query(`GRANT SELECT ON hours TO ${them}`);
    await space.pool.query(`ALTER DEFAULT PRIVILEGES FOR ROLE pgspace_owner GRANT SELECT ON TABLES TO ${them}`);
    await other.pool.end();
    await withAdmin((admin) => dropSpace(admin, runServer(), other.name));
    expect(await existing([other.name])).to.deep.equal([]);
    const { rows } = await space.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM hours`); // the granting space still works
    expect(rows[0]!.n).to.equal(0);
  });

  it("cannot run pgspace's reset routine, read the template's recorded rows or use its superuser helpers", async function () {
    const space = await newSpace(this);
    // reset() runs as the admin: it refuses while the caller can log in, that is, before pgspace ends the test.
    expect(await attempt(space, 'SELECT pgspace_guard.reset()')).to.equal('42501');
    for (const sql of [
      'SELECT * FROM pgspace_guard.state',
      `UPDATE pgspace_guard.state SET checks = 'SELECT ARRAY[]::text[]'`,
      'SELECT pgspace_guard.objects()',
      'SELECT pgspace_guard.prepare()',
    ]) {
      expect(await attempt(space, sql), sql).to.equal('42501');
    }
    // The copies of the template's rows (pgmigrations' here) are visible by name only.
    const seeds = await space.pool.query<{ name: string }>(
      `SELECT oid::regclass::text AS name FROM pg_class WHERE relname LIKE 'seed\\_%' AND relnamespace = 'pgspace_guard'::regnamespace`,
    );
    expect(seeds.rows).to.have.length(1);
    expect(await attempt(space, `SELECT * FROM ${seeds.rows[0]!.name}`)).to.equal('42501');
    expect(await attempt(space, 'SELECT pgspace_guard.blocker()')).to.equal('ok'); // read-only: whether the template recycles
  });
});
