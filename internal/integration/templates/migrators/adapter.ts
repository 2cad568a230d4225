/** What every migration tool's adapter shares: its hash, its setup, its errors. */
import path from 'node:path';
import type pg from 'pg';
import { PgspaceError, messageOf } from '../../common/errors.js';
import { fingerprint } from '../fingerprint.js';
import { recordingFailures, type Migrator, type MigratorOptions } from '../migrator.js';
import { errorPlace, showPlace } from '../sql-script.js';

/** An adapter's own part: the files that make the schema, and how to run them. */
export interface ToolMigration {
  /** The adapter's name (`knex`), in messages and in the hash. */
  tool: string;
  /** Every file or directory the tool reads: its migrations, its config file. */
  files(): Promise<string[]>;
  /** The adapter's settings that change what it builds or records (table names, environment): they join the hash. */
  settings?: unknown;
  /**
   * Runs the migrations through `client` (see Migrator.migrate). `failed()` is the text of the first
   * statement that failed, for placing the server's error position; a thrown error is reported as
   * the failure of migration `current()` (a path or name), when the adapter knows which ran.
   */
  migrate(client: pg.Client, track: { current?: string }): Promise<void>;
}

/**
 * A Migrator for `migration`: its hash covers every file of `files` and of
 * `options.inputs`, the adapter's name and `options.setup`'s source; a
 * failure names the migration that ran, and the line of the SQL it failed at.
 */
export function toolMigrator(migration: ToolMigration, options: MigratorOptions = {}): Migrator {
  const inputs = (options.inputs ?? []).map((i) => path.resolve(i));
  return {
    hash: async () =>
      fingerprint(
        process.cwd(),
        [...(await migration.files()), ...inputs],
        `${migration.tool}\0${JSON.stringify(migration.settings ?? null)}\0${options.setup?.toString() ?? ''}`,
      ),
    setup: options.setup,
    async migrate(client) {
      const track: { current?: string } = {};
      const queries = recordingFailures(client);
      try {
        await migration.migrate(client, track);
      } catch (err) {
        if (err instanceof PgspaceError) throw err;
        const which = track.current ? `migration ${shown(track.current)}` : `the ${migration.tool} migrations`;
        const said = serverError(err);
        const at = errorPlace(said, queries.failed());
        const where = at ? ` at line ${at.line}, column ${at.column} of the SQL it ran${showPlace(at)}` : '';
        throw new PgspaceError('schema', `${migration.tool}: ${which} failed: ${messageOf(said)}${where}`, { cause: err });
      } finally {
        queries.restore();
      }
    },
  };
}

/** What Postgres said, under a tool's own wrapping of it (drizzle-orm's "Failed query: …" has it as `cause`). */
function serverError(err: unknown): unknown {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ('severity' in e && 'code' in e) return e;
  }
  return err;
}

/** A path as the user knows it: relative to the working directory when under it. */
export function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return path.isAbsolute(file) && !relative.startsWith('..') ? relative : file;
}
