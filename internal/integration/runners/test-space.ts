/** What every runner binding shares: the options of newSpace, and holding a space until the runner says how its test ended. */
import type { Migrator } from '../core/migrator.js';
import { session } from '../core/session.js';
import type { Space } from '../core/space.js';
import { defaultSchema } from '../core/project-config.js';

/** Options for newSpace. */
export interface NewSpaceOptions {
  /** The schema to start from; defaults to `schema` in the project's pgspace.config.ts. */
  migrator?: Migrator;
}

/** The schema a space for `options` starts from: the one named, else the project's. */
export async function schemaOf(options: NewSpaceOptions): Promise<Migrator> {
  return options.migrator ?? defaultSchema();
}

/**
 * Gives test `title` a space. `whenFinished` must call the function it is
 * given once the test is over, with whether it failed: the space is then
 * dropped, or kept with its psql line printed.
 */
export async function holdSpace(
  title: string,
  options: NewSpaceOptions,
  whenFinished: (release: (failed: boolean) => Promise<void>) => void,
): Promise<Space> {
  const held = await session().acquire(await schemaOf(options), title);
  whenFinished(async (failed) => {
    const { notes, warnings } = await session().release([held], title, failed);
    for (const warning of warnings) process.stderr.write(`\n${warning}\n`);
    if (notes.length > 0) process.stderr.write(`\n${title}:\n${notes.join('\n')}\n`);
  });
  return held.space;
}
