/**
 * The one place this project wires the helper to its own code, the way the
 * Go original's internal/integration knew its config.d and migrations.
 * Copying the helper into another project means editing this file only.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodePgMigrate, type Migrator } from './core/migrator.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where the per-space config templates live. */
export const CONFIG_DIR = path.join(root, 'config.d');

/** Schemas of the services in `src/`: a template is built for each, once per change. */
export const migrators = {
  trainings: nodePgMigrate(path.join(root, 'src/trainings/migrations')),
  users: nodePgMigrate(path.join(root, 'src/users/migrations')),
} satisfies Record<string, Migrator>;

/** What `newSpace(this)` migrates a space with when no migrator is given. */
export const defaultMigrator: Migrator = migrators.trainings;
