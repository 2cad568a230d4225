import fs from 'node:fs/promises';
import path from 'node:path';
import { runner, jiti, type MigrationBuilder } from 'node-pg-migrate';
import pg from 'pg';
import { PgspaceError, messageOf } from '../common/errors.js';
import { OWNER_ROLE } from '../common/names.js';
import { fingerprint } from './fingerprint.js';
import { errorPlace, runScript, showPlace } from './sql-script.js';

/**
 * Puts a schema into a database: what every schema (`nodePgMigrate`, `prisma`, `drizzle`, `knex`,
 * `kysely`, `typeorm`, or your own) is. The helper builds a template database once per distinct
 * `hash()` and server, runs `setup` then `migrate` in it, and clones it for every space.
 *
 * - `hash()` must change whenever the schema would: hash every file the migrations are made of or
 *   read (see `fingerprint`). A file left out means a stale template on a server that keeps them.
 * - `setup(admin)`, optional, runs first, as the admin (a superuser), in the template database:
 *   for what only a superuser may do (`CREATE EXTENSION pg_stat_statements`, roles the schema's
 *   GRANTs name). Its source text should join the hash.
 * - `migrate(client)` runs the migrations through `client`: one connection, already open, to the
 *   template database, acting as `pgspace_owner`, the NOLOGIN role that owns every object (each
 *   space's role is a member). That role cannot log in, so a tool that wants a URL, its own
 *   connection or a pool is handed this one connection instead: the adapters in
 *   `templates/migrators/` show how (Knex's `connectionPool`, Kysely's `PostgresDialect` pool,
 *   TypeORM's `driver`, Drizzle's `drizzle({ client })`). Do not end it, and do not `RESET ROLE`.
 *   Throw to fail the build: nothing is left behind, and every test of the schema fails with the
 *   message (a `PgspaceError` is shown as it is, anything else after "migration … failed:").
 */
export interface Migrator {
  /** A stable fingerprint of everything that determines the schema. */
  hash(): Promise<string>;
  /** Runs first, as the admin (a superuser), in the template database. */
  setup?(admin: pg.Client): Promise<void>;
  /** Applies the schema through `client`: one connection to the template database, as the owner role. */
  migrate(client: pg.Client): Promise<void>;
  /** The config templates rendered for this schema's spaces; default: the project's `configDir`. See testDatabase(). */
  readonly configDir?: string;
}

/** What every adapter takes besides where its migrations are. */
export interface MigratorOptions {
  /**
   * Other files or directories the migrations read (e.g. `readFileSync(...)` in a migration):
   * their contents join the hash, so changing one rebuilds the template.
   */
  inputs?: string[];
  /** See Migrator.setup; its source text joins the hash. */
  setup?: (admin: pg.Client) => Promise<void>;
}

/** Options of nodePgMigrate. */
export type NodePgMigrateOptions = MigratorOptions;

type MigrationAction = (pgm: MigrationBuilder, done?: () => void) => Promise<void> | void;

async function readDir(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    throw new PgspaceError('schema', `cannot read the migrations directory ${dir}: ${messageOf(err)}`);
  }
}

/** Sends every query through `client` and remembers the text of the first that failed (to place a SQL error's `position`). */
export function recordingFailures(client: pg.Client): { failed: () => string; restore: () => void } {
  const query = client.query;
  let failed = '';
  client.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    const result = (query as (...a: unknown[]) => unknown).apply(this, args);
    // A side branch only: the caller still gets (and handles) the rejection.
    if (result instanceof Promise) result.catch(() => void (failed ||= text));
    return result;
  } as typeof client.query;
  return { failed: () => failed, restore: () => void (client.query = query) };
}

/**
 * A Migrator for a directory of node-pg-migrate migrations: `.ts`/`.js` files,
 * and `.sql` files (node-pg-migrate's `-- Up Migration` format, or a plain
 * script such as a pg_dump, see sql-script.ts). The hash covers every file in
 * the directory and in `options.inputs`. A failing migration is reported with
 * its file, and the line and column when the server gives a position.
 */
export function nodePgMigrate(dir: string, options: NodePgMigrateOptions = {}): Migrator {
  const absolute = path.resolve(dir);
  const inputs = (options.inputs ?? []).map((i) => path.resolve(i));
  return {
    async hash() {
      await readDir(absolute);
      return fingerprint(absolute, [absolute, ...inputs], options.setup?.toString());
    },
    setup: options.setup,
    async migrate(client) {
      // node-pg-migrate builds a file's SQL, then runs it, before moving to the
      // next file; recording the file whose `up` ran last names the culprit
      // of both JS errors and SQL errors.
      let current = '';
      const codeLoader = async (filePaths: string[]) =>
        Promise.all(
          filePaths.map(async (filePath) => {
            const file = path.relative(process.cwd(), filePath);
            const actions = (await jiti.import(filePath).catch((err: unknown) => {
              throw new PgspaceError('schema', `migration ${file} cannot be loaded: ${messageOf(err)}`, { cause: err });
            })) as { up: MigrationAction };
            const up = actions.up;
            if (typeof up !== 'function') {
              throw new PgspaceError('schema', `migration ${file} does not export an \`up\` function`);
            }
            // Same arity as the original: node-pg-migrate treats 2-argument `up`s as callback style.
            const tracked =
              up.length === 2
                ? (pgm: MigrationBuilder, done?: () => void) => ((current = filePath), up(pgm, done))
                : (pgm: MigrationBuilder) => ((current = filePath), up(pgm));
            return { id: filePath, filePaths: [filePath], actions: { ...actions, up: tracked } };
          }),
        );
      const sqlLoader = async (filePaths: string[]) =>
        filePaths.map((filePath) => ({
          id: filePath,
          filePaths: [filePath],
          actions: {
            up: async () => {
              current = filePath;
              const script = upPart(await fs.readFile(filePath, 'utf8'));
              await runScript(client, script, pg.escapeIdentifier(OWNER_ROLE), path.relative(process.cwd(), filePath));
              await client.query('SET search_path TO DEFAULT'); // pg_dump empties it for the session
            },
            down: false as const,
          },
        }));
      const queries = recordingFailures(client);
      try {
        await runner({
          dbClient: client,
          dir: absolute,
          direction: 'up',
          migrationsTable: 'pgmigrations',
          singleTransaction: true,
          checkOrder: true,
          noLock: true, // the template is built under the helper's own lock
          migrationLoaderStrategies: [
            { extensions: ['.ts', '.js', '.mjs', '.cjs'], loader: codeLoader },
            { extensions: ['.sql'], loader: sqlLoader },
          ],
          log: () => undefined,
        });
      } catch (err) {
        if (err instanceof PgspaceError) throw err;
        const file = current ? path.relative(process.cwd(), current) : dir;
        const at = errorPlace(err, queries.failed());
        const where = at ? ` at line ${at.line}, column ${at.column} of the SQL it ran${showPlace(at)}` : '';
        throw new PgspaceError('schema', `migration ${file} failed: ${messageOf(err)}${where}`, { cause: err });
      } finally {
        queries.restore();
      }
    },
  };
}

/** The part of a node-pg-migrate `.sql` migration before `-- Down Migration` (the whole file if it has no markers). */
function upPart(content: string): string {
  const down = content.search(/^\s*--[\s-]*down\s+migration/im);
  const up = content.search(/^\s*--[\s-]*up\s+migration/im);
  if (down < 0) return content;
  // Blank out the down part instead of cutting it, so line numbers stay the file's.
  const blank = (text: string) => text.replace(/[^\n]/g, '');
  return down > up ? content.slice(0, down) + blank(content.slice(down)) : blank(content.slice(0, up)) + content.slice(up);
}
