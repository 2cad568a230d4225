/**
 * Prisma Migrate's folder (`prisma/migrations/<timestamp>_<name>/migration.sql`),
 * applied the way `prisma migrate deploy` applies it and recorded in
 * `_prisma_migrations` the way it records it, so the app's own
 * `prisma migrate deploy` on a space finds nothing to do.
 *
 * The Prisma CLI needs its engine binaries, downloaded at install time; pgspace
 * does not run it. It follows Prisma's documented format instead: the table's
 * columns, a row per migration with the SHA-256 of its file as `checksum`,
 * `finished_at` and `applied_steps_count = 1` once it ran, in folder name order.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { PgspaceError, messageOf } from '../../../common/errors.js';
import { OWNER_ROLE } from '../../../common/names.js';
import type { Migrator, MigratorOptions } from '../../migrator.js';
import { runScript } from '../../sql-script.js';
import { shown, toolMigrator } from '../adapter.js';

/** The table as Prisma's schema engine creates it on Postgres. */
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** The migrations of `dir`: each folder with a `migration.sql`, in name order (Prisma's). */
async function migrationsIn(dir: string): Promise<{ name: string; file: string }[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
    throw new PgspaceError('schema', `prisma(): cannot read the migrations directory ${dir}: ${messageOf(err)}`);
  });
  const found: { name: string; file: string }[] = [];
  for (const e of entries.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const file = path.join(dir, e.name, 'migration.sql');
    if (
      await fs.stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      found.push({ name: e.name, file });
  }
  return found;
}

/**
 * A schema from Prisma Migrate's migrations folder (default
 * `prisma/migrations`). The hash covers every file in it (and `inputs`).
 *
 *     export default defineConfig({ schema: prisma('prisma/migrations') });
 */
export function prisma(dir = 'prisma/migrations', options: MigratorOptions = {}): Migrator {
  const absolute = path.resolve(dir);
  return toolMigrator(
    {
      tool: 'prisma',
      files: async () => [absolute],
      async migrate(client) {
        await client.query(MIGRATIONS_TABLE);
        for (const { name, file } of await migrationsIn(absolute)) {
          const script = await fs.readFile(file, 'utf8');
          const id = randomUUID();
          const checksum = createHash('sha256').update(script).digest('hex');
          await client.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ($1, $2, $3)`, [id, checksum, name]);
          await runScript(client, script, pg.escapeIdentifier(OWNER_ROLE), shown(file));
          await client.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
        }
      },
    },
    options,
  );
}
