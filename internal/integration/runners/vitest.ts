/**
 * pgspace for Vitest. In vitest.config.ts:
 *
 *     test: { globalSetup: ['<this folder>/vitest-setup.ts'] }
 *
 * and in a test: `const space = await newSpace()`.
 */
import { afterAll, beforeEach, expect, onTestFinished } from 'vitest';
import { currentSession } from '../core/session.js';
import type { Space } from '../core/space.js';
import { captureOutput } from '../trace/logs.js';
import { endTrace, startTrace } from '../trace/recorder.js';
import { installCapture } from '../trace/run-trace.js';
import { holdSpace, type NewSpaceOptions } from './test-space.js';

installCapture();

// A worker runs file after file: let the drops of this file's spaces finish before the next.
afterAll(() => currentSession()?.settle());

// Each test of a file that uses pgspace is traced. Its end is registered first, so it runs after the
// space releases registered later (Vitest runs onTestFinished hooks last-registered first).
beforeEach((ctx) => {
  const trace = startTrace(ctx.task.fullName, 'vitest', ctx.task.file?.filepath);
  captureOutput(trace !== undefined);
  ctx.onTestFinished(({ task }) => {
    captureOutput(false);
    const state = task.result?.state === 'fail' ? 'failed' : task.result?.state === 'skip' ? 'skipped' : 'passed';
    endTrace(trace, state, task.result?.errors?.[0]);
  });
});

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
