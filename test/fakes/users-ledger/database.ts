/**
 * The fake users service's own database: a database only tests use, with its
 * migrations and config template here under test/, made per test like any
 * space (`newSpace(this, { migrator: usersLedgerDatabase })`) and dropped or
 * kept with it.
 */
import { fileURLToPath } from 'node:url';
import { nodePgMigrate, testDatabase } from '../../../internal/integration/index.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export const usersLedgerDatabase = testDatabase({
  migrator: nodePgMigrate(here('migrations')),
  configDir: here('config.d'),
});
