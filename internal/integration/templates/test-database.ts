/**
 * A database only tests use: a fake third party's own schema, say, with its
 * migrations and config templates under `test/`. Its spaces are made,
 * rendered, kept and dropped like any other; only its schema and its config
 * templates are its own.
 */
import path from 'node:path';
import type { Migrator } from './migrator.js';

/** Per migrator and config directory: the test database declared for them (see testDatabase). */
const declared = new WeakMap<Migrator, Map<string, Migrator>>();

/** What a test database is made of. */
export interface TestDatabaseOptions {
  /** Its schema: any migrator (`nodePgMigrate(dir)`, `knex(...)`, `prisma(...)`, your own). */
  migrator: Migrator;
  /**
   * Its config templates (`*.env`, the placeholders of config.d), rendered
   * for each of its spaces into `space.config.<file name>`; the project's
   * config.d is not rendered for it. Must exist.
   */
  configDir: string;
}

/**
 * Declares a test database. The same migrator and directory give the same
 * object (a session keys its templates and warm pools by it), wherever and
 * however often it is declared:
 *
 *     const ledger = testDatabase({ migrator: nodePgMigrate(here('migrations')), configDir: here('config.d') });
 *     const space = await newSpace(this, { migrator: ledger });   // space.config['ledger'] from here('config.d/ledger.env')
 */
export function testDatabase({ migrator, configDir }: TestDatabaseOptions): Migrator {
  const dir = path.resolve(configDir);
  const byDir = declared.get(migrator) ?? new Map<string, Migrator>();
  declared.set(migrator, byDir);
  let database = byDir.get(dir);
  if (!database) {
    const setup = migrator.setup?.bind(migrator);
    database = { hash: () => migrator.hash(), migrate: (client) => migrator.migrate(client), ...(setup && { setup }), configDir: dir };
    byDir.set(dir, database);
  }
  return database;
}
