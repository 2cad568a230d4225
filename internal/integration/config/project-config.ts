/**
 * What ties the helper to a project: `pgspace.config.ts` (or `.js`, `.mjs`)
 * in the directory the tests run from.
 *
 *     export default defineConfig({
 *       configDir: 'config.d',                       // per-space config templates (optional)
 *       schema: nodePgMigrate('db/migrations'),      // what newSpace() migrates a space with
 *       schemas: [reporting],                        // others tests name (optional): built before tests start too
 *     });
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { jiti } from 'node-pg-migrate';
import { PgspaceError, messageOf } from '../common/errors.js';
import type { Migrator } from '../templates/migrator.js';

/** A project's pgspace configuration. */
export interface ProjectConfig {
  /** The schema a space starts from when a test names none. */
  schema?: Migrator;
  /**
   * Other schemas tests name (`newSpace(…, { migrator })`): their templates
   * are built before the tests start, like `schema`'s, so no test waits for one.
   */
  schemas?: Migrator[];
  /** Directory of config templates rendered for each space (see config.d/README.md); relative to the config file. */
  configDir?: string;
}

/** Types a pgspace.config file's default export. */
export function defineConfig(config: ProjectConfig): ProjectConfig {
  return config;
}

/** What native import() says of TypeScript it cannot run (no loader, or `.js` specifiers naming `.ts` files). */
const NEEDS_TRANSPILING = new Set([
  'ERR_UNKNOWN_FILE_EXTENSION',
  'ERR_MODULE_NOT_FOUND',
  'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX',
  'ERR_INVALID_TYPESCRIPT_SYNTAX',
]);

const NAMES = ['pgspace.config.ts', 'pgspace.config.mts', 'pgspace.config.js', 'pgspace.config.mjs'];

/** A loaded configuration: the schema, and the config template directory (absolute, or undefined for none). */
export interface LoadedConfig {
  file: string | undefined;
  schema: Migrator | undefined;
  schemas: Migrator[];
  configDir: string | undefined;
}

let loaded: Promise<LoadedConfig> | undefined;

/** The project's configuration, read once per process from the working directory. */
export function projectConfig(): Promise<LoadedConfig> {
  return (loaded ??= load(process.cwd()));
}

async function load(dir: string): Promise<LoadedConfig> {
  const file = NAMES.map((n) => path.join(dir, n)).find((f) => existsSync(f));
  if (!file) {
    const configDir = path.join(dir, 'config.d');
    return { file, schema: undefined, schemas: [], configDir: existsSync(configDir) ? configDir : undefined };
  }
  let module: { default?: ProjectConfig };
  try {
    // The runner's own loader first (tsx, Vitest, Node's type stripping), so the schema is the
    // same object tests import; plain Node cannot load TypeScript, jiti can.
    module = (await import(pathToFileURL(file).href).catch((err: { code?: string }) => {
      if (!NEEDS_TRANSPILING.has(err.code ?? '')) throw err;
      return jiti.import(file);
    })) as { default?: ProjectConfig };
  } catch (err) {
    throw new PgspaceError('config', `cannot load ${path.relative(process.cwd(), file)}: ${messageOf(err)}`, { cause: err });
  }
  const config = module.default ?? {};
  return {
    file,
    schema: config.schema,
    schemas: config.schemas ?? [],
    configDir: config.configDir === undefined ? undefined : path.resolve(path.dirname(file), config.configDir),
  };
}

/** The schema for a test that named none, or a clear error saying how to name one. */
export async function defaultSchema(): Promise<Migrator> {
  const config = await projectConfig();
  if (config.schema) return config.schema;
  throw new PgspaceError(
    'config',
    `no schema to migrate the space with: pass one (newSpace(…, { migrator: nodePgMigrate('db/migrations') })), ` +
      `or set \`schema\` in ${config.file ? path.relative(process.cwd(), config.file) : 'a pgspace.config.ts in ' + process.cwd()}.`,
  );
}
