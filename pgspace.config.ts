/**
 * What ties the space helper to this project (see the README, "A schema of your own"):
 * the schemas of the services in src/, and the config templates rendered for each space.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, nodePgMigrate } from './internal/integration/index.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** A template is built for each schema a test uses, once per change of its files. */
export const migrators = {
  trainings: nodePgMigrate(here('src/trainings/migrations')),
  users: nodePgMigrate(here('src/users/migrations')),
};

export default defineConfig({
  schema: migrators.trainings,
  schemas: [migrators.users], // built before the tests start too
  configDir: 'config.d',
});
