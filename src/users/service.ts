/** The composition root of the users service. */
import type { FastifyInstance } from 'fastify';
import { newHttpServer, type LoggerOption } from '../shared/http-server.js';
import { createPool, databaseFrom, type Database } from '../shared/postgres.js';
import type { UsersConfig } from './config.js';
import { postgresUsersRepository } from './adapters/postgres-users.js';
import { usersHttp } from './ports/http.js';

/**
 * Builds the users service; closing it closes its own pool. `database`, when
 * given, is where its queries go instead (see TrainingsOverrides.database).
 */
export function buildUsersService(
  config: UsersConfig,
  { logger = false as LoggerOption, database }: { logger?: LoggerOption; database?: () => Database } = {},
): FastifyInstance {
  const own = database ? undefined : createPool(config.db);
  const pool = database ? databaseFrom(database) : own!;
  const server = newHttpServer(logger);
  server.get('/health', { logLevel: 'warn' }, async () => {
    await pool.query('SELECT 1');
    return { status: 'ok' };
  });
  usersHttp(server, postgresUsersRepository(pool));
  server.addHook('onClose', async () => own?.end());
  return server;
}
