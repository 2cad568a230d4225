/** The trainings service's settings, read from env-style variables (see config.d/trainings.env). */
import { envReader } from '../shared/env.js';
import type { DatabaseConfig } from '../shared/postgres.js';

/** Everything the trainings service needs to run. */
export interface TrainingsConfig {
  http: { host: string; port: number };
  db: DatabaseConfig;
  usersServiceUrl: string;
  /** How long a call to the users service may take before the request fails with 502. */
  usersTimeoutMs: number;
}

/** Reads TRAININGS_* variables; throws a ConfigError listing every problem. */
export function loadTrainingsConfig(env: Readonly<Record<string, string | undefined>>): TrainingsConfig {
  const read = envReader(env);
  const config: TrainingsConfig = {
    http: { host: read.string('TRAININGS_HTTP_HOST', '0.0.0.0'), port: read.int('TRAININGS_HTTP_PORT', 8080) },
    db: read.database('TRAININGS'),
    usersServiceUrl: read.string('TRAININGS_USERS_URL'),
    usersTimeoutMs: read.int('TRAININGS_USERS_TIMEOUT_MS', 3_000),
  };
  read.done();
  return config;
}
