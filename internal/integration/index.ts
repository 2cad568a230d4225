/**
 * pgspace's space helper: `await newSpace(this)` in a mocha test gives it a
 * fresh Postgres role + database. See README.md, "Writing a test".
 */
export { newSpace, type NewSpaceOptions } from './runners/mocha-spaces.js';
export type { Space } from './core/space.js';
export { nodePgMigrate, type Migrator, type NodePgMigrateOptions } from './core/migrator.js';
export { defineConfig, type ProjectConfig } from './core/project-config.js';
export { PgspaceError } from './core/errors.js';
export { traceLogStream } from './trace/logs.js';
