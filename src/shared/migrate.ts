import { runner } from 'node-pg-migrate';
import type { DatabaseConfig } from './postgres.js';

/** Applies a service's migrations at start-up (production and e2e), as the service's own role. */
export async function migrate(db: DatabaseConfig, dir: string): Promise<void> {
  await runner({
    databaseUrl: { ...db },
    dir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    singleTransaction: true,
    // Several replicas may start at once: wait for the one that migrates.
    advisoryLockMode: 'wait',
    log: () => undefined,
  });
}
