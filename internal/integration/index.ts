/**
 * pgspace's space helper: `await newSpace(this)` in a mocha test gives it a
 * fresh Postgres role + database. See README.md, "Writing a test".
 */
export { newSpace, type NewSpaceOptions } from './tests.js';
export type { Space } from './space.js';
export { nodePgMigrate, type Migrator } from './migrator.js';
export { migrators } from './project.js';
export { PgspaceError } from './errors.js';
