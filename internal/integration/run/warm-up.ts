/**
 * The run's warm-up, in its global setup, before any test starts: the
 * templates of the project's schemas and the first ready spaces of its
 * default one, so that no test pays for them inside its own timeout
 * (Vitest's is 5 s; on a busy build agent a template alone can take longer).
 * The spaces are left ready in the registry for whichever test process of
 * the run comes first; this process keeps nothing. A schema that fails to
 * build is left for its tests to report, as it would be without the warm-up.
 */
import { projectConfig } from '../config/project-config.js';
import { closeSession, POOL_SIZE, session } from '../session/session.js';

/** The templates of the project's schemas, as the warm-up found or built them. */
const built: string[] = [];

/** The templates of the project's schemas (once the warm-up has run): a seed carries them whatever else it drops. */
export function projectTemplates(): string[] {
  return [...built];
}

/** After this long the run says what it is waiting for, and again every SAY_EVERY_MS. */
const SLOW_MS = 2_000;
const SAY_EVERY_MS = 10_000;

/** Builds the templates and makes the first spaces (see the module comment); says so when it takes long. */
export async function warmUp(): Promise<void> {
  const { schema, schemas } = await projectConfig();
  const all = [...new Set([...(schema ? [schema] : []), ...schemas])];
  if (all.length === 0) return;
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  let said = false;
  const say = () => {
    said = true;
    process.stderr.write(
      `pgspace: getting the run ready before its tests start (${seconds()} s so far): the templates of ${all.length} schema(s), then the first spaces\n`,
    );
  };
  let every: NodeJS.Timeout | undefined;
  const slow = setTimeout(() => {
    say();
    every = setInterval(say, SAY_EVERY_MS);
  }, SLOW_MS);
  try {
    const s = session();
    await Promise.all(
      all.map((m) =>
        s.template(m).then(
          (name) => built.push(name),
          () => undefined,
        ),
      ),
    );
    if (schema) await s.warm(schema, POOL_SIZE);
  } finally {
    clearTimeout(slow);
    clearInterval(every);
    await closeSession().catch(() => undefined);
  }
  if (said) process.stderr.write(`pgspace: the run is ready after ${seconds()} s\n`);
}
