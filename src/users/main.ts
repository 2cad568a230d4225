/** Production entry point: migrate, then serve until SIGTERM/SIGINT. */
import dotenv from 'dotenv';
import { fileURLToPath } from 'node:url';
import { migrate } from '../shared/migrate.js';
import { loadUsersConfig } from './config.js';
import { buildUsersService } from './service.js';

dotenv.config({ quiet: true });
const config = loadUsersConfig(process.env);
await migrate(config.db, fileURLToPath(new URL('./migrations', import.meta.url)));
const server = buildUsersService(config, { logger: true });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
await server.listen(config.http);
