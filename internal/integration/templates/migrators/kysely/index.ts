/**
 * Kysely migrations, run by the project's kysely: its `Migrator` with a
 * `FileMigrationProvider` over the folder, on a `PostgresDialect` whose pool
 * is the template's one connection. Recorded in `kysely_migration` as the
 * app's own `migrateToLatest()` records them, so on a space it finds nothing
 * to do.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PgspaceError, messageOf } from '../../../common/errors.js';
import type { Migrator, MigratorOptions } from '../../migrator.js';
import { toolMigrator } from '../adapter.js';
import { onePool } from '../one-connection.js';
import { loadTool } from '../tool.js';

/** Options of kysely(): the Migrator's own, besides the folder. */
export interface KyselyOptions extends MigratorOptions {
  migrationTableName?: string;
  migrationLockTableName?: string;
  migrationTableSchema?: string;
  allowUnorderedMigrations?: boolean;
}

type Result = { migrationName: string; status: 'Success' | 'Error' | 'NotExecuted' };
type KyselyModule = {
  Kysely: new (config: { dialect: unknown }) => { destroy(): Promise<void> };
  PostgresDialect: new (config: { pool: unknown }) => unknown;
};
type MigrationModule = {
  Migrator: new (props: object) => { migrateToLatest(): Promise<{ error?: unknown; results?: Result[] }> };
  FileMigrationProvider: new (props: { fs: unknown; path: unknown; migrationFolder: string }) => unknown;
};

/** Kysely's migrator: in `kysely/migration` since 0.29, in `kysely` itself before. */
async function migrationModule(from: string): Promise<MigrationModule> {
  const root = await loadTool<Partial<MigrationModule>>('kysely', 'kysely', 'kysely', from);
  if (root.Migrator && root.FileMigrationProvider) return root as MigrationModule;
  return loadTool<MigrationModule>('kysely', 'kysely', 'kysely/migration', from);
}

/**
 * A schema from a folder of Kysely migrations (`.ts`, `.js`, `.mjs` files
 * exporting `up`), loaded as `FileMigrationProvider` loads them (`import()`:
 * TypeScript through Node's type stripping, so erasable syntax only). The
 * hash covers every file in it and `inputs`.
 *
 *     export default defineConfig({ schema: kysely('src/migrations') });
 */
export function kysely(dir = 'migrations', options: KyselyOptions = {}): Migrator {
  const absolute = path.resolve(dir);
  const { inputs, setup, ...settings } = options;
  return toolMigrator(
    {
      tool: 'kysely',
      settings,
      files: async () => [absolute],
      async migrate(client, track) {
        const k = await loadTool<KyselyModule>('kysely', 'kysely', 'kysely', absolute);
        const { Migrator, FileMigrationProvider } = await migrationModule(absolute);
        const db = new k.Kysely({ dialect: new k.PostgresDialect({ pool: onePool(client, 'kysely') }) });
        try {
          const provider = new FileMigrationProvider({ fs, path, migrationFolder: absolute });
          const { error, results } = await new Migrator({ db, provider, ...settings }).migrateToLatest();
          if (error === undefined) return;
          const failed = results?.find((r) => r.status === 'Error')?.migrationName;
          if (failed) track.current = failed;
          // Kysely answers an error instead of throwing it.
          throw error instanceof Error ? error : new PgspaceError('schema', `kysely: the migrations failed: ${messageOf(error)}`);
        } finally {
          await db.destroy();
        }
      },
    },
    { inputs, setup },
  );
}
