/**
 * Knex migrations, run by the project's knex (3.3 or later: it takes the
 * template's one connection through `connectionPool`) with
 * `knex.migrate.latest()`, recorded in `knex_migrations` as the app's own
 * `knex migrate:latest` records them, so on a space it finds nothing to do.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { jiti } from 'node-pg-migrate';
import { PgspaceError, messageOf } from '../../../common/errors.js';
import type { Migrator, MigratorOptions } from '../../migrator.js';
import { toolMigrator } from '../adapter.js';
import { onePool } from '../one-connection.js';
import { loadTool } from '../tool.js';

/** Options of knex(). */
export interface KnexOptions extends MigratorOptions {
  /**
   * Which of a knexfile's environments to use. Without it: NODE_ENV's, else
   * `development` (test runners set NODE_ENV=test, and a knexfile often has
   * no `test`: its migrations are the same in every environment).
   */
  environment?: string;
}

/** The part of a knex config that says where migrations are and how they run. */
type MigrationsConfig = { directory?: string | string[]; [setting: string]: unknown };
type KnexConfig = { migrations?: MigrationsConfig; [setting: string]: unknown };
type KnexFactory = (config: object) => { migrate: { latest(): Promise<unknown> }; destroy(): Promise<void> };

/** The config a knexfile gives for the first of `environments` it has (a knexfile may hold one config, or one per environment). */
async function knexfileConfig(file: string, environments: string[]): Promise<KnexConfig> {
  let exported: unknown;
  try {
    exported = await jiti.import(file, { default: true });
    if (typeof exported === 'function') exported = await (exported as () => unknown)();
  } catch (err) {
    throw new PgspaceError('schema', `knex(): cannot load ${file}: ${messageOf(err)}`, { cause: err });
  }
  const all = (exported ?? {}) as Record<string, unknown>;
  const single = 'client' in all || 'migrations' in all || 'connection' in all;
  const config = single ? all : environments.map((e) => all[e]).find((c) => c && typeof c === 'object');
  if (!config || typeof config !== 'object') {
    const wanted = environments.map((e) => `\`${e}\``).join(' or ');
    throw new PgspaceError(
      'schema',
      `knex(): ${file} has no ${wanted} environment (it has ${Object.keys(all).join(', ') || 'none'}); pass { environment }`,
    );
  }
  return config as KnexConfig;
}

/**
 * A schema from Knex migrations: a directory of them, or a knexfile whose
 * `migrations` settings (directory, tableName, schemaName, loadExtensions…)
 * say where they are (relative to the knexfile, as the knex CLI reads them).
 * The hash covers the knexfile, every file in its migration directories,
 * and `inputs`.
 *
 *     export default defineConfig({ schema: knex('knexfile.ts') });   // or knex('db/migrations')
 */
export function knex(dirOrKnexfile = 'knexfile.js', options: KnexOptions = {}): Migrator {
  const target = path.resolve(dirOrKnexfile);
  const environments = options.environment ? [options.environment] : [...new Set([process.env.NODE_ENV || 'development', 'development'])];
  /** Where the migrations are, read afresh each time: the knexfile may have changed. */
  const read = async (): Promise<{ migrations: MigrationsConfig; directories: string[]; knexfile?: string }> => {
    if (!(existsSync(target) && statSync(target).isFile())) return { migrations: { directory: [target] }, directories: [target] };
    const migrations = (await knexfileConfig(target, environments)).migrations ?? {};
    const listed = migrations.directory ?? './migrations';
    const directories = (Array.isArray(listed) ? listed : [listed]).map((d) => path.resolve(path.dirname(target), d));
    return { migrations: { ...migrations, directory: directories }, directories, knexfile: target };
  };
  return toolMigrator(
    {
      tool: 'knex',
      settings: { environments },
      files: async () => {
        const { directories, knexfile } = await read();
        return knexfile ? [knexfile, ...directories] : directories;
      },
      async migrate(client, track) {
        const { migrations, directories } = await read();
        const factory = await loadTool<{ default?: KnexFactory } & KnexFactory>('knex', 'knex', 'knex', directories[0]!);
        const knex = factory.default ?? factory;
        const warn = (message: unknown) => {
          const file = /^migration file "(.+)" failed$/.exec(String(message))?.[1];
          if (file) track.current = directories.map((d) => path.join(d, file)).find((f) => existsSync(f)) ?? file;
        };
        const db = knex({
          client: 'pg',
          connectionPool: onePool(client, 'knex'),
          migrations,
          log: { warn, error: warn, deprecate: () => undefined },
        });
        try {
          await db.migrate.latest();
        } finally {
          await db.destroy();
        }
      },
    },
    options,
  );
}
