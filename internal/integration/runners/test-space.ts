/** What every runner binding shares: the options of newSpace, and holding a space until the runner says how its test ended. */
import { PgspaceError } from '../common/errors.js';
import type { Migrator } from '../templates/migrator.js';
import { session, type HeldSpace } from '../session/session.js';
import type { Space } from '../session/space.js';
import { defaultSchema } from '../config/project-config.js';

/** Options for newSpace. */
export interface NewSpaceOptions {
  /** The schema to start from; defaults to `schema` in the project's pgspace.config.ts. */
  migrator?: Migrator;
}

/** The project's schema's template and this process's first ready spaces, before its first test; never fails (its tests say what went wrong). */
export async function warmDefault(): Promise<void> {
  const schema = await defaultSchema().catch(() => undefined);
  if (!schema) return;
  let current: ReturnType<typeof session>;
  try {
    current = session();
  } catch {
    return; // no global setup: newSpace() says so, in the test that asks (a file that asks for none passes)
  }
  await current.warm(schema);
}

/** The schema a space for `options` starts from: the one named, else the project's. */
export async function schemaOf(options: NewSpaceOptions): Promise<Migrator> {
  return options.migrator ?? defaultSchema();
}

/**
 * A test's space, unless `cutoff` says first that the test cannot wait any
 * longer (its timeout is near, or it was stopped): then an error naming the
 * wait, and the space, when it comes, goes back unused.
 */
export async function acquireBefore(migrator: Migrator, title: string, cutoff?: AbortSignal): Promise<HeldSpace> {
  const acquiring = session().acquire(migrator, title);
  if (!cutoff) return acquiring;
  if (cutoff.aborted) throw new PgspaceError('misuse', `newSpace() was called after the test was stopped (${String(cutoff.reason)})`);
  let stop: () => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => {
    stop = () =>
      reject(
        new PgspaceError('gave-up', `newSpace() gave up: ${String(cutoff.reason)} while it waited for ${session().waitingFor(migrator)}`),
      );
    cutoff.addEventListener('abort', stop, { once: true });
  });
  try {
    return await Promise.race([acquiring, stopped]);
  } catch (err) {
    void acquiring.then(
      (held) => session().release([held], title, false),
      () => undefined,
    );
    throw err;
  } finally {
    cutoff.removeEventListener('abort', stop);
  }
}

/**
 * Gives test `title` a space. `whenFinished` must call the function it is
 * given once the test is over, with whether it failed: the space is then
 * dropped, or kept with its psql line printed. `cutoff`: see acquireBefore.
 */
export async function holdSpace(
  title: string,
  options: NewSpaceOptions,
  whenFinished: (release: (failed: boolean) => Promise<void>) => void,
  cutoff?: AbortSignal,
): Promise<Space> {
  const held = await acquireBefore(await schemaOf(options), title, cutoff);
  whenFinished(async (failed) => {
    const { notes, warnings } = await session().release([held], title, failed);
    for (const warning of warnings) process.stderr.write(`\n${warning}\n`);
    if (notes.length > 0) process.stderr.write(`\n${title}:\n${notes.join('\n')}\n`);
  });
  return held.space;
}
