/** A Migrator made of one SQL text, for tests that need a small schema of their own. */
import { createHash } from 'node:crypto';
import type { Migrator } from '../../internal/integration/index.js';

/** Migrates with `sql` (as the owner role); its hash is the text's, so editing it builds a new template. */
export function sqlMigrator(sql: string): Migrator {
  return {
    hash: async () => createHash('sha256').update(sql).digest('hex'),
    migrate: async (client) => {
      await client.query(sql);
    },
  };
}
