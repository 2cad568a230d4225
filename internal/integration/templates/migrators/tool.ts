/** Loading a migration tool the project has, as the project's own code would find it. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PgspaceError, messageOf } from '../../common/errors.js';

/** Where `specifier` resolves from directory `dir`, or undefined. */
function resolveFrom(dir: string, specifier: string): string | undefined {
  try {
    return createRequire(path.join(path.resolve(dir), 'noop.js')).resolve(specifier);
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND') return undefined;
    throw new PgspaceError('schema', `cannot load ${specifier} from ${dir}: ${messageOf(err)}`, { cause: err }); // there, but not loadable
  }
}

/**
 * Module `specifier` (e.g. `knex`, `drizzle-orm/node-postgres`) of package
 * `pkg`, as found from `from` (the migrations' directory: the project that
 * has them has the tool, in the version its app migrates with), else from
 * the working directory. pgspace itself depends on none of them.
 */
export async function loadTool<T>(adapter: string, pkg: string, specifier: string, from: string): Promise<T> {
  const resolved = resolveFrom(from, specifier) ?? resolveFrom(process.cwd(), specifier);
  if (!resolved) {
    throw new PgspaceError(
      'schema',
      `${adapter}() runs the migrations with ${pkg}, which neither ${from} nor ${process.cwd()} can find: npm install -D ${pkg}`,
    );
  }
  const loaded = (await import(pathToFileURL(resolved).href)) as { default?: unknown };
  // A CommonJS build's names, where Node could not read them off the file (under Jest's module loading, it cannot).
  const exported = typeof loaded.default === 'object' || typeof loaded.default === 'function' ? loaded.default : undefined;
  return { ...(exported as object | undefined), ...loaded } as T;
}
