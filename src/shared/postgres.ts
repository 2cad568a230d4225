import pg from 'pg';

/** How a service reaches its database. */
export interface DatabaseConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** What a service's adapters need of their database: queries, and a client for a transaction. */
export interface Database {
  query: pg.Pool['query'];
  connect(): Promise<pg.PoolClient>;
}

/**
 * The service's database, wherever `source` points at the moment of each
 * query: a test file that builds its service once gives every test its own
 * database this way (`database: () => space.pool`, see the README's
 * component tests), where production hands the service one pool.
 */
export function databaseFrom(source: () => Database): Database {
  return {
    query: ((...args: Parameters<pg.Pool['query']>) => source().query(...args)) as pg.Pool['query'],
    connect: () => source().connect(),
  };
}

/** A connection pool for a service's database. */
export function createPool(db: DatabaseConfig, max = 10): pg.Pool {
  const pool = new pg.Pool({ ...db, max, connectionTimeoutMillis: 5_000 });
  // An idle connection the server closed must not crash the service; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `work` in a transaction on one pooled client: COMMIT if it resolves, ROLLBACK if it throws. */
export async function inTransaction<T>(pool: Database, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
