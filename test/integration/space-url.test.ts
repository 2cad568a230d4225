import { PrismaPg } from '@prisma/adapter-pg';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { drizzle } from 'drizzle-orm/node-postgres';
import { sql } from 'drizzle-orm';
import knex from 'knex';
import { Kysely, PostgresDialect, sql as kyselySql } from 'kysely';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { type Space } from '../../internal/integration/index.js';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';

// space.url and space.connection as the clients people use read them: each logs in as the space's
// role, into its database. Before, the embedded server's URL named a unix socket in `?host=`: libpq
// and pg took it, WHATWG URL refused it, and Knex read it as a file name.

const who = `SELECT current_user AS role, current_database() AS db`;

/** What each client says it is logged in as. */
function expectTheSpace(space: Space, row: { role?: unknown; db?: unknown } | undefined): void {
  expect(row).to.deep.equal({ role: space.role, db: space.database });
}

async function psqlOnPath(): Promise<boolean> {
  return promisify(execFile)('psql', ['--version']).then(
    () => true,
    () => false,
  );
}

describe('space.url and space.connection, as clients read them', function () {
  it('is a WHATWG URL naming the role, the password, a host, a port and the database', async function () {
    const space = await newSpace(this);
    const url = new URL(space.url);
    expect(url.protocol).to.equal('postgresql:');
    expect(decodeURIComponent(url.username)).to.equal(space.role);
    expect(decodeURIComponent(url.password)).to.equal(space.password);
    expect(url.hostname).to.not.equal('');
    expect(Number(url.port)).to.equal(space.connection.port);
    expect(url.pathname).to.equal(`/${space.database}`);
    expect(url.search, 'no ?host= a client might not read').to.equal('');
    expect(space.connection).to.deep.equal({
      host: url.hostname,
      port: Number(url.port),
      user: space.role,
      password: space.password,
      database: space.database,
    });
    expect(space.psql).to.equal(`psql '${space.url}'`);
  });

  it('pg: a Client from the URL, and one from the object', async function () {
    const space = await newSpace(this);
    for (const config of [{ connectionString: space.url }, space.connection]) {
      const client = new pg.Client(config);
      await client.connect();
      try {
        expectTheSpace(space, (await client.query(who)).rows[0]);
      } finally {
        await client.end();
      }
    }
  });

  it('Knex: `connection` as the URL, and as the object', async function () {
    const space = await newSpace(this);
    for (const connection of [space.url, { ...space.connection }]) {
      const db = knex({ client: 'pg', connection });
      try {
        expectTheSpace(space, (await db.raw(who)).rows[0]);
      } finally {
        await db.destroy();
      }
    }
  });

  it('Prisma: its driver adapter for pg (how Prisma 7 connects), from the URL', async function () {
    const space = await newSpace(this);
    const adapter = await new PrismaPg({ connectionString: space.url }).connect();
    try {
      const result = await adapter.queryRaw({ sql: who, args: [], argTypes: [] });
      expect(result.columnNames).to.deep.equal(['role', 'db']);
      expect(result.rows).to.deep.equal([[space.role, space.database]]);
    } finally {
      await adapter.dispose();
    }
  });

  it('Drizzle: drizzle(url)', async function () {
    const space = await newSpace(this);
    const db = drizzle(space.url);
    try {
      expectTheSpace(space, (await db.execute<{ role: string; db: string }>(sql.raw(who))).rows[0]);
    } finally {
      await db.$client.end();
    }
  });

  it('TypeORM: a DataSource with `url`, and one with the object', async function () {
    const space = await newSpace(this);
    const { user: username, ...rest } = space.connection;
    for (const options of [{ url: space.url }, { ...rest, username }]) {
      const dataSource = await new DataSource({ type: 'postgres', ...options }).initialize();
      try {
        expectTheSpace(space, ((await dataSource.query(who)) as { role: string; db: string }[])[0]);
      } finally {
        await dataSource.destroy();
      }
    }
  });

  it('Kysely: a PostgresDialect over a pg.Pool from the URL', async function () {
    const space = await newSpace(this);
    const db = new Kysely<object>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: space.url }) }) });
    try {
      expectTheSpace(
        space,
        (await kyselySql<{ role: string; db: string }>`SELECT current_user AS role, current_database() AS db`.execute(db)).rows[0],
      );
    } finally {
      await db.destroy();
    }
  });

  it('psql: the psql line as printed for a kept space', async function () {
    if (!(await psqlOnPath())) this.skip(); // psql is not a dependency: the CI's Debian host and the images have none
    const space = await newSpace(this);
    const { stdout } = await promisify(execFile)('psql', [space.url, '-XAtc', `SELECT current_user || ' ' || current_database()`], {
      timeout: 10_000,
    });
    expect(stdout.trim()).to.equal(`${space.role} ${space.database}`);
  });
});
