/**
 * TypeORM migrations, run by the project's typeorm: a `DataSource` whose
 * driver's pool is the template's one connection, and
 * `dataSource.runMigrations()`. Recorded in `migrations` as the app's own
 * `runMigrations()` (or `typeorm migration:run`) records them, so on a space
 * it finds nothing to do.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { jiti } from 'node-pg-migrate';
import { PgspaceError, messageOf } from '../../../common/errors.js';
import type { Migrator, MigratorOptions } from '../../migrator.js';
import { toolMigrator } from '../adapter.js';
import { onePool } from '../one-connection.js';
import { loadTool } from '../tool.js';

/** Options of typeorm(): the DataSource's migration settings, besides the folder. */
export interface TypeormOptions extends MigratorOptions {
  /** As in your DataSource (default `migrations`). */
  migrationsTableName?: string;
  /** As in your DataSource: one transaction for all (the default), one per migration, or none. */
  migrationsTransactionMode?: 'all' | 'each' | 'none';
}

type MigrationClass = (new () => unknown) & { prototype: { up?: (runner: unknown) => Promise<unknown> } };
type TypeormModule = {
  DataSource: new (options: object) => {
    initialize(): Promise<unknown>;
    runMigrations(options?: object): Promise<unknown>;
    destroy(): Promise<void>;
  };
};

const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** The migration classes of `dir`, each `up` noting its file in `track` when it runs. */
async function migrationClasses(dir: string, track: { current?: string }): Promise<MigrationClass[]> {
  const files = (
    await fs.readdir(dir).catch((err: unknown) => {
      throw new PgspaceError('schema', `typeorm(): cannot read the migrations directory ${dir}: ${messageOf(err)}`);
    })
  )
    .filter((f) => CODE.test(f) && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => path.join(dir, f));
  const classes: MigrationClass[] = [];
  for (const file of files) {
    let exported: Record<string, unknown>;
    try {
      exported = (await jiti.import(file)) as Record<string, unknown>;
    } catch (err) {
      throw new PgspaceError('schema', `typeorm: migration ${path.relative(process.cwd(), file)} cannot be loaded: ${messageOf(err)}`, {
        cause: err,
      });
    }
    for (const value of Object.values(exported)) {
      const migration = value as MigrationClass;
      if (typeof migration !== 'function' || typeof migration.prototype?.up !== 'function') continue;
      // A subclass notes the file when it runs, leaving the loaded class as it is (it may be built again).
      const Tracked = class extends (migration as new () => { up(runner: unknown): Promise<unknown> }) {
        override up(runner: unknown) {
          track.current = file;
          return super.up(runner);
        }
      };
      Object.defineProperty(Tracked, 'name', { value: migration.name });
      classes.push(Tracked as unknown as MigrationClass);
    }
  }
  return classes;
}

/**
 * A schema from a folder of TypeORM migration classes (`.ts` or `.js` files,
 * loaded with jiti, so any TypeScript works). The hash covers every file in
 * it and `inputs`.
 *
 *     export default defineConfig({ schema: typeorm('src/migrations') });
 */
export function typeorm(dir = 'src/migrations', options: TypeormOptions = {}): Migrator {
  const absolute = path.resolve(dir);
  return toolMigrator(
    {
      tool: 'typeorm',
      settings: { table: options.migrationsTableName, mode: options.migrationsTransactionMode },
      files: async () => [absolute],
      async migrate(client, track) {
        const { DataSource } = await loadTool<TypeormModule>('typeorm', 'typeorm', 'typeorm', absolute);
        const pool = onePool(client, 'typeorm');
        const dataSource = new DataSource({
          type: 'postgres',
          // TypeORM makes its pool with `new driver.Pool(options)`: here, the one connection.
          driver: {
            Pool: function Pool() {
              return pool;
            },
          },
          migrations: await migrationClasses(absolute, track),
          migrationsTableName: options.migrationsTableName,
          migrationsTransactionMode: options.migrationsTransactionMode ?? 'all',
        });
        await dataSource.initialize();
        try {
          await dataSource.runMigrations({ transaction: options.migrationsTransactionMode ?? 'all' });
        } finally {
          await dataSource.destroy();
        }
      },
    },
    options,
  );
}
