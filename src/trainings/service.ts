/** The composition root: wires config, adapters and the app into a fastify server. */
import type { FastifyInstance } from 'fastify';
import { newHttpServer, type LoggerOption } from '../shared/http-server.js';
import { createPool, databaseFrom, type Database } from '../shared/postgres.js';
import type { TrainingsConfig } from './config.js';
import type { Clock, UsersService } from './app/ports.js';
import { trainingsApp } from './app/trainings-app.js';
import { postgresTrainingsRepository } from './adapters/postgres-repository.js';
import { usersHttpClient } from './adapters/users-http-client.js';
import { trainingsHttp } from './ports/http.js';

/** Replaceable collaborators; tests pass a fixed clock. */
export interface TrainingsOverrides {
  clock?: Clock;
  users?: UsersService;
  logger?: LoggerOption;
  /**
   * Where the service's queries go, asked at each one, instead of a pool of
   * its own on `config.db` (which it would close with the server): a test file
   * that builds the service once points it at each test's space.
   */
  database?: () => Database;
}

/**
 * Builds the trainings service. Nothing listens yet: production calls
 * `listen()`, tests call `inject()`. Closing the server closes its own pool.
 */
export function buildTrainingsService(config: TrainingsConfig, overrides: TrainingsOverrides = {}): FastifyInstance {
  const own = overrides.database ? undefined : createPool(config.db);
  const pool = overrides.database ? databaseFrom(overrides.database) : own!;
  const app = trainingsApp({
    repository: postgresTrainingsRepository(pool),
    users: overrides.users ?? usersHttpClient(config.usersServiceUrl, config.usersTimeoutMs),
    clock: overrides.clock ?? { now: () => new Date() },
  });
  const server = newHttpServer(overrides.logger ?? false);
  server.get('/health', { logLevel: 'warn' }, async () => {
    await pool.query('SELECT 1');
    return { status: 'ok' };
  });
  trainingsHttp(server, app);
  server.addHook('onClose', async () => own?.end());
  return server;
}
