import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runner, jiti, type MigrationBuilder } from 'node-pg-migrate';
import type pg from 'pg';
import { PgspaceError, messageOf } from './errors.js';

/**
 * Puts a schema into a database. The helper migrates a template database once
 * per distinct `hash()` and clones it for every space, so `hash` must change
 * whenever the resulting schema would (e.g. a hash of the migration files).
 */
export interface Migrator {
  /** A stable fingerprint of everything that determines the schema. */
  hash(): Promise<string>;
  /** Applies the schema through `client` (already connected to the database to migrate). */
  migrate(client: pg.Client): Promise<void>;
}

type MigrationAction = (pgm: MigrationBuilder, done?: () => void) => Promise<void> | void;

const MIGRATION_FILE = /\.(ts|js|mjs|cjs)$/;

async function migrationFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    throw new PgspaceError(`cannot read the migrations directory ${dir}: ${messageOf(err)}`);
  }
  return names.filter((n) => MIGRATION_FILE.test(n) && !n.endsWith('.d.ts')).sort();
}

/**
 * A Migrator for a directory of node-pg-migrate migrations. The hash covers
 * file names and contents; a failing migration is reported with its file.
 */
export function nodePgMigrate(dir: string): Migrator {
  const absolute = path.resolve(dir);
  return {
    async hash() {
      const digest = createHash('sha256');
      for (const name of await migrationFiles(absolute)) {
        digest.update(name).update('\0').update(await fs.readFile(path.join(absolute, name))).update('\0');
      }
      return digest.digest('hex');
    },
    async migrate(client) {
      // node-pg-migrate builds a file's SQL, then runs it, before moving to the
      // next file; recording the file whose `up` ran last names the culprit
      // of both JS errors and SQL errors.
      let current = '';
      const loader = async (filePaths: string[]) =>
        Promise.all(
          filePaths.map(async (filePath) => {
            const file = path.relative(process.cwd(), filePath);
            const actions = (await jiti.import(filePath).catch((err: unknown) => {
              throw new PgspaceError(`migration ${file} cannot be loaded: ${messageOf(err)}`, { cause: err });
            })) as { up: MigrationAction };
            const up = actions.up;
            if (typeof up !== 'function') {
              throw new PgspaceError(`migration ${file} does not export an \`up\` function`);
            }
            // Same arity as the original: node-pg-migrate treats 2-argument `up`s as callback style.
            const tracked =
              up.length === 2
                ? (pgm: MigrationBuilder, done?: () => void) => ((current = filePath), up(pgm, done))
                : (pgm: MigrationBuilder) => ((current = filePath), up(pgm));
            return { id: filePath, filePaths: [filePath], actions: { ...actions, up: tracked } };
          }),
        );
      try {
        await runner({
          dbClient: client,
          dir: absolute,
          direction: 'up',
          migrationsTable: 'pgmigrations',
          singleTransaction: true,
          checkOrder: true,
          noLock: true, // the template is built under the helper's own lock
          migrationLoaderStrategies: [{ extensions: ['.ts', '.js', '.mjs', '.cjs'], loader }],
          log: () => undefined,
        });
      } catch (err) {
        if (err instanceof PgspaceError) throw err;
        const file = current ? path.relative(process.cwd(), current) : dir;
        throw new PgspaceError(`migration ${file} failed: ${messageOf(err)}`, { cause: err });
      }
    },
  };
}
