/**
 * A database only tests use: a fake third party's own schema, say, with its
 * migrations and config templates under `test/`. Its spaces are made,
 * rendered, kept and dropped like any other; only its schema and its config
 * templates are its own.
 */
import type { Migrator } from './migrator.js';

/** What a test database is made of. */
export interface TestDatabaseOptions {
  /** Its schema: any migrator (`nodePgMigrate(dir)`, `sqlFiles`-style, your own). */
  migrator: Migrator;
  /**
   * Its config templates (`*.env`, the placeholders of config.d), rendered
   * for each of its spaces into `space.config.<file name>`; the project's
   * config.d is not rendered for it. Must exist.
   */
  configDir: string;
}

/**
 * Declares a test database, once per file (the object is the schema's key):
 *
 *     const ledger = testDatabase({ migrator: nodePgMigrate(here('migrations')), configDir: here('config.d') });
 *     const space = await newSpace(this, { migrator: ledger });   // space.config['ledger'] from here('config.d/ledger.env')
 */
export function testDatabase({ migrator, configDir }: TestDatabaseOptions): Migrator {
  const setup = migrator.setup?.bind(migrator);
  return {
    hash: () => migrator.hash(),
    migrate: (client) => migrator.migrate(client),
    ...(setup && { setup }),
    configDir,
  };
}
