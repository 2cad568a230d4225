/**
 * A fake of the users service for the trainings service's tests, backed by a
 * ledger in its own test database (database.ts) instead of memory: a real
 * HTTP server on 127.0.0.1, answering `POST /users/:id/balance` as the users
 * API documents (200, 404 charging a user never topped up, 409 below zero).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { errorBody } from '../../../src/shared/http-errors.js';

/** The running fake: where it answers, and how to stop it. */
export interface UsersLedger {
  url: string;
  close(): Promise<void>;
}

/** Starts the fake on the database `config` names (its rendered `users-ledger.env`). */
export async function startUsersLedger(config: Readonly<Record<string, string>>): Promise<UsersLedger> {
  const url = config.LEDGER_DATABASE_URL;
  if (!url) throw new Error('users-ledger.env renders no LEDGER_DATABASE_URL');
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const app: FastifyInstance = Fastify();
  app.post<{ Params: { id: string }; Body: { change: number } }>('/users/:id/balance', async (request, reply) => {
    const { id } = request.params;
    const { change } = request.body;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [id]);
      const { rows } = await client.query<{ entries: number; balance: number }>(
        'SELECT count(*)::int AS entries, coalesce(sum(change), 0)::int AS balance FROM ledger WHERE user_id = $1',
        [id],
      );
      const { entries, balance } = rows[0]!;
      if (entries === 0 && change <= 0) return reply.status(404).send(errorBody('user-not-found', `user ${id} was never topped up`));
      if (balance + change < 0) return reply.status(409).send(errorBody('insufficient-balance', `user ${id} has ${balance}`));
      await client.query('INSERT INTO ledger (user_id, change) VALUES ($1, $2)', [id, change]);
      await client.query('COMMIT');
      return { id, balance: balance + change };
    } finally {
      await client.query('ROLLBACK').catch(() => undefined); // after COMMIT: a warning, nothing else
      client.release();
    }
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    async close() {
      await app.close();
      await pool.end();
    },
  };
}
