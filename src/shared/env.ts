/** Reading a service's settings from environment-style key/value pairs (dotenv in production, config.d in tests). */

import type { DatabaseConfig } from './postgres.js';

/** A configuration problem, listing every missing or malformed variable at once. */
export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A reader over `env` that collects problems instead of throwing at the
 * first; call `done()` to throw them all together.
 */
export function envReader(env: Env) {
  const problems: string[] = [];
  return {
    string(name: string, fallback?: string): string {
      const value = env[name] ?? fallback;
      // Empty counts as missing, unless empty is the default (e.g. no password).
      if (value === undefined || (value === '' && fallback === undefined)) problems.push(`${name} is required`);
      return value ?? '';
    },
    int(name: string, fallback?: number): number {
      const raw = env[name];
      if (raw === undefined || raw === '') {
        if (fallback === undefined) problems.push(`${name} is required`);
        return fallback ?? 0;
      }
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0) problems.push(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
      return value;
    },
    /** `<PREFIX>_DB_HOST`, `_DB_PORT` (5432), `_DB_NAME`, `_DB_USER`, `_DB_PASSWORD` (may be empty). */
    database(prefix: string): DatabaseConfig {
      return {
        host: this.string(`${prefix}_DB_HOST`),
        port: this.int(`${prefix}_DB_PORT`, 5432),
        database: this.string(`${prefix}_DB_NAME`),
        user: this.string(`${prefix}_DB_USER`),
        password: this.string(`${prefix}_DB_PASSWORD`, ''),
      };
    },
    done(): void {
      if (problems.length > 0) throw new ConfigError(problems);
    },
  };
}
