/**
 * pgspace for Vitest. In vitest.config.ts:
 *
 *     test: { globalSetup: ['<this folder>/vitest-setup.ts'] }
 *
 * and in a test: `const space = await newSpace()`.
 */
import { afterAll, expect, onTestFinished } from 'vitest';
import { currentSession } from '../core/session.js';
import type { Space } from '../core/space.js';
import { holdSpace, type NewSpaceOptions } from './test-space.js';

// A worker runs file after file: let the drops of this file's spaces finish before the next.
afterAll(() => currentSession()?.settle());

/**
 * Gives the running test a fresh space (see Space): dropped when the test
 * passes, kept, with a psql line on stderr, when it fails.
 *
 *     it('saves a training', async () => {
 *       const space = await newSpace();
 *     });
 */
export function newSpace(options: NewSpaceOptions = {}): Promise<Space> {
  const title = expect.getState().currentTestName ?? 'a vitest test';
  return holdSpace(title, options, (release) => onTestFinished((ctx) => release(ctx.task.result?.state === 'fail')));
}

export type { NewSpaceOptions };
