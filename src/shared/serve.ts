/** The production start-up both services share: config from the environment, migrations, then HTTP until a signal. */
import dotenv from 'dotenv';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { migrate } from './migrate.js';
import type { DatabaseConfig } from './postgres.js';

/** What serve() needs to know about a service's config. */
export interface ServedConfig {
  http: { host: string; port: number };
  db: DatabaseConfig;
}

/** Loads `.env` (the environment wins), migrates `migrations` as the service's role, and listens until SIGTERM/SIGINT. */
export async function serve<C extends ServedConfig>(
  loadConfig: (env: NodeJS.ProcessEnv) => C,
  build: (config: C) => FastifyInstance,
  migrations: URL,
): Promise<void> {
  dotenv.config({ quiet: true });
  const config = loadConfig(process.env);
  await migrate(config.db, fileURLToPath(migrations));
  const server = build(config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void server.close().then(() => process.exit(0)));
  }
  await server.listen(config.http);
}
