/**
 * drizzle-kit's migrations folder, run by drizzle-orm's own migrator (the
 * project's drizzle-orm, in the version its app migrates with): the
 * `0000_name.sql` files with `meta/_journal.json` that drizzle-orm 0.x reads,
 * or the folder per migration (`20250101120000_name/migration.sql`) that
 * drizzle-orm 1.x reads. Statements are split at `--> statement-breakpoint`,
 * and recorded in `drizzle.__drizzle_migrations`, exactly as the app's own
 * `migrate()` would, so on a space it finds nothing to do.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { Migrator, MigratorOptions } from '../../migrator.js';
import { toolMigrator } from '../adapter.js';
import { loadTool } from '../tool.js';

/** Options of drizzle(): drizzle-orm's `migrate()` config, besides the folder. */
export interface DrizzleOptions extends MigratorOptions {
  /** As in drizzle.config.ts: `migrations.table` (default `__drizzle_migrations`). */
  migrationsTable?: string;
  /** As in drizzle.config.ts: `migrations.schema` (default `drizzle`). */
  migrationsSchema?: string;
}

type DrizzleFactory = { drizzle(config: { client: pg.Client }): unknown };
type DrizzleMigrate = {
  migrate(db: unknown, config: { migrationsFolder: string; migrationsTable?: string; migrationsSchema?: string }): Promise<unknown>;
};

/** The SQL files of the folder, to say which one a failing statement came from. */
async function sqlFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.sql'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort(); // migration order, so a statement two files share is put on the first that ran it
}

/**
 * A schema from drizzle-kit's output folder (`out` in drizzle.config.ts,
 * default `drizzle`). The hash covers every file in it (the journal and
 * snapshots too) and `inputs`.
 *
 *     export default defineConfig({ schema: drizzle('drizzle') });
 */
export function drizzle(dir = 'drizzle', options: DrizzleOptions = {}): Migrator {
  const absolute = path.resolve(dir);
  return toolMigrator(
    {
      tool: 'drizzle',
      settings: { table: options.migrationsTable, schema: options.migrationsSchema },
      files: async () => [absolute],
      async migrate(client, track) {
        const { drizzle: connect } = await loadTool<DrizzleFactory>('drizzle', 'drizzle-orm', 'drizzle-orm/node-postgres', absolute);
        const { migrate } = await loadTool<DrizzleMigrate>('drizzle', 'drizzle-orm', 'drizzle-orm/node-postgres/migrator', absolute);
        // drizzle-orm runs every statement of every file in one transaction, and says not which file
        // failed: the statement that failed says it (see adapter.ts, which records it).
        const query = client.query;
        const files = await sqlFiles(absolute);
        const texts = new Map(await Promise.all(files.map(async (f) => [f, await fs.readFile(f, 'utf8')] as const)));
        client.query = function (this: pg.Client, ...args: unknown[]) {
          const first = args[0] as string | { text?: unknown } | undefined;
          const text = typeof first === 'string' ? first : typeof first?.text === 'string' ? first.text : '';
          const from = text.trim() ? files.find((f) => texts.get(f)!.includes(text.trim())) : undefined;
          if (from) track.current = from;
          return (query as (...a: unknown[]) => unknown).apply(this, args);
        } as typeof client.query;
        try {
          await migrate(connect({ client }), {
            migrationsFolder: absolute,
            migrationsTable: options.migrationsTable,
            migrationsSchema: options.migrationsSchema,
          });
        } finally {
          client.query = query;
        }
      },
    },
    options,
  );
}
