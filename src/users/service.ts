/** The composition root of the users service. */
import type { FastifyInstance } from 'fastify';
import { newHttpServer, type LoggerOption } from '../shared/http-server.js';
import { createPool } from '../shared/postgres.js';
import type { UsersConfig } from './config.js';
import { postgresUsersRepository } from './adapters/postgres-users.js';
import { usersHttp } from './ports/http.js';

/** Builds the users service; closing it closes its pool. */
export function buildUsersService(config: UsersConfig, { logger = false as LoggerOption } = {}): FastifyInstance {
  const pool = createPool(config.db);
  const server = newHttpServer(logger);
  server.get('/health', { logLevel: 'warn' }, async () => {
    await pool.query('SELECT 1');
    return { status: 'ok' };
  });
  usersHttp(server, postgresUsersRepository(pool));
  server.addHook('onClose', () => pool.end());
  return server;
}
