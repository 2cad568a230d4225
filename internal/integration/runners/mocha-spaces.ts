/** Binds spaces to mocha tests: given out by newSpace(), dropped or kept after the test. */
import { PgspaceError } from '../common/errors.js';
import { session, type HeldSpace } from '../session/session.js';
import type { Space } from '../session/space.js';
import { addNote, failuresOf, runnerWatched } from './mocha-runner.js';
import { schemaOf, type NewSpaceOptions } from './test-space.js';

const held = new Map<Mocha.Runnable, HeldSpace[]>();

/** How much longer than its timeout a test may spend waiting for a space before mocha stops it. */
const WAIT_LIMIT_MS = 180_000;

export type { NewSpaceOptions };

function owningTest(ctx: Mocha.Context | undefined): Mocha.Runnable {
  const runnable = ctx?.test as (Mocha.Runnable & { type?: 'test' | 'hook' }) | undefined;
  if (runnable?.type === 'test') return runnable;
  if (runnable && ctx?.currentTest && runnable.title.startsWith('"before each"')) return ctx.currentTest;
  throw new PgspaceError(
    'misuse',
    "newSpace(this) must be called inside a test or a beforeEach hook (with `function () {}`, not an arrow, so `this` is mocha's context); " +
      'a space per test is the point.',
  );
}

/**
 * Gives the calling test a space: a role and database in its template's state,
 * with a pool logged in as that role and config.d rendered for it. After the
 * test it is dropped, or, if the test failed, kept and shown in the failure.
 * What it waits for (a template only this test's schema needs, the run's cap)
 * is kept out of the test's timeout.
 *
 *     it('saves a training', async function () {
 *       const space = await newSpace(this);
 *       await space.pool.query('...');
 *     });
 */
export async function newSpace(ctx: Mocha.Context, options: NewSpaceOptions = {}): Promise<Space> {
  const test = owningTest(ctx);
  const spaces = held.get(test) ?? [];
  held.set(test, spaces);
  const timeout = ctx.timeout();
  const started = performance.now();
  // While it waits: the helper's own deadlines (a template another run builds: 120 s), and a last resort.
  if (timeout > 0) ctx.timeout(timeout + WAIT_LIMIT_MS);
  try {
    const h = await session().acquire(await schemaOf(options), test.fullTitle());
    spaces.push(h);
    return h.space;
  } finally {
    // The whole timeout again from here, and the run's duration check allows for the wait.
    if (timeout > 0) ctx.timeout(timeout + Math.ceil(performance.now() - started));
  }
}

/** Whether the test passed (or was skipped) and none of its hooks failed. */
function passed(test: Mocha.Runnable): boolean {
  return (test.state === 'passed' || test.isPending()) && failuresOf(test).length === 0;
}

/**
 * Releases the spaces `test` holds: drops them (in the background) if it
 * passed or was skipped, warning about connections it left open; otherwise
 * keeps them and adds their names and psql lines to its failure.
 */
export async function releaseSpaces(test: Mocha.Runnable | undefined): Promise<void> {
  const spaces = test && held.get(test);
  if (!test || !spaces) return;
  held.delete(test);
  const { notes, warnings } = await session().release(spaces, test.fullTitle(), !passed(test));
  for (const warning of warnings) process.stderr.write(`\n${warning}\n`);
  if (notes.length > 0) attachToFailure(test, notes.join('\n'));
}

function attachToFailure(test: Mocha.Runnable, note: string): void {
  const errors = runnerWatched() ? failuresOf(test) : [(test as Mocha.Runnable & { err?: Error }).err].filter((e): e is Error => !!e);
  const noted = errors.map((err) => addNote(err, note));
  if (!noted.includes(true)) process.stderr.write(`\n${test.fullTitle()}: ${note}\n`);
}
