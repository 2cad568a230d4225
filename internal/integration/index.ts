/**
 * pgspace's space helper, runner-neutral: config, migrators, types, errors.
 * Each runner's newSpace comes from its own entry point: `pgspace/mocha`,
 * `pgspace/vitest`, `pgspace/node-test`, `pgspace/jest`. See README.md.
 */
export type { NewSpaceOptions } from './runners/test-space.js';
export type { Space } from './session/space.js';
export { nodePgMigrate, type Migrator, type MigratorOptions, type NodePgMigrateOptions } from './templates/migrator.js';
export * from './templates/migrators/index.js';
export { testDatabase, type TestDatabaseOptions } from './templates/test-database.js';
export { defineConfig, type ProjectConfig } from './config/project-config.js';
export { PgspaceError, type PgspaceErrorCode } from './common/errors.js';
export { traceLogStream } from './runners/tracing.js';
