import fs from 'node:fs/promises';
import path from 'node:path';
import dotenv from 'dotenv';
import { PgspaceError } from '../common/errors.js';

/** The values a `config.d/*.env` template can use, as `{{ name }}`. */
export interface SpaceValues {
  /** Database name (same as the role name). */
  database: string;
  /** Role to log in as. */
  user: string;
  /** The role's password. */
  password: string;
  /** Server host name, or a unix socket directory. */
  host: string;
  /** Server port. */
  port: string;
  /** All of the above as one `postgresql://` URL. */
  url: string;
}

/** One template file from `config.d/`. */
export interface ConfigTemplate {
  /** Key under `space.config`: the file name without `.env`. */
  name: string;
  file: string;
  text: string;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const KNOWN = new Set<string>(['database', 'user', 'password', 'host', 'port', 'url'] satisfies (keyof SpaceValues)[]);

/**
 * Reads every `*.env` template in `dir` and checks each placeholder is one
 * the helper knows, so a typo fails once, up front, naming file and line.
 * A missing `dir` has no templates, unless it is `required` (a test database names its own).
 */
export async function loadConfigTemplates(dir: string, { required = false } = {}): Promise<ConfigTemplate[]> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.env')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (required) throw new PgspaceError('config', `the config directory ${dir} does not exist`);
    return [];
  }
  const templates = await Promise.all(
    names.map(async (n) => ({
      name: n.slice(0, -'.env'.length),
      file: path.join(dir, n),
      text: await fs.readFile(path.join(dir, n), 'utf8'),
    })),
  );
  templates.forEach(checkTemplate);
  return templates;
}

/** Throws a PgspaceError naming file and line for an unknown or unbalanced placeholder. */
export function checkTemplate(t: ConfigTemplate): void {
  t.text.split('\n').forEach((line, i) => {
    const where = `${path.relative(process.cwd(), t.file)}:${i + 1}`;
    for (const [, key] of line.matchAll(PLACEHOLDER)) {
      if (!KNOWN.has(key!)) {
        throw new PgspaceError(
          'config',
          `unknown placeholder {{${key}}} at ${where}; known: ${[...KNOWN].map((k) => `{{${k}}}`).join(' ')}`,
        );
      }
    }
    const rest = line.replace(PLACEHOLDER, '');
    if (rest.includes('{{') || rest.includes('}}')) throw new PgspaceError('config', `unbalanced {{ }} at ${where}`);
  });
}

/** Renders every template for one space and parses it the way the service does (dotenv). */
export function renderConfig(templates: ConfigTemplate[], values: SpaceValues): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const t of templates) {
    const text = t.text.replace(PLACEHOLDER, (_, key: keyof SpaceValues) => values[key]);
    out[t.name] = dotenv.parse(text);
  }
  return out;
}
