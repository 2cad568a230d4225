/** The composition root: wires config, adapters and the app into a fastify server. */
import type { FastifyInstance } from 'fastify';
import { newHttpServer, type LoggerOption } from '../shared/http-server.js';
import { createPool } from '../shared/postgres.js';
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
}

/**
 * Builds the trainings service. Nothing listens yet: production calls
 * `listen()`, tests call `inject()`. Closing the server closes its pool.
 */
export function buildTrainingsService(config: TrainingsConfig, overrides: TrainingsOverrides = {}): FastifyInstance {
  const pool = createPool(config.db);
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
  server.addHook('onClose', () => pool.end());
  return server;
}
