/**
 * pgspace's space helper: `await newSpace(this)` in a mocha test gives it a
 * fresh Postgres role + database. See README.md, "Writing a test".
 */
export { newSpace, type NewSpaceOptions } from './runners/mocha-spaces.js';
export type { Space } from './session/space.js';
export { nodePgMigrate, type Migrator, type MigratorOptions, type NodePgMigrateOptions } from './templates/migrator.js';
export * from './templates/migrators/index.js';
export { defineConfig, type ProjectConfig } from './config/project-config.js';
export { PgspaceError, type PgspaceErrorCode } from './common/errors.js';
export { traceLogStream } from './runners/tracing.js';
