/** The users service's settings, read from env-style variables (see config.d/users.env). */
import { envReader } from '../shared/env.js';
import type { DatabaseConfig } from '../shared/postgres.js';

/** Everything the users service needs to run. */
export interface UsersConfig {
  http: { host: string; port: number };
  db: DatabaseConfig;
}

/** Reads USERS_* variables; throws a ConfigError listing every problem. */
export function loadUsersConfig(env: Readonly<Record<string, string | undefined>>): UsersConfig {
  const read = envReader(env);
  const config: UsersConfig = {
    http: { host: read.string('USERS_HTTP_HOST', '0.0.0.0'), port: read.int('USERS_HTTP_PORT', 8080) },
    db: read.database('USERS'),
  };
  read.done();
  return config;
}
