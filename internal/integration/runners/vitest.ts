/**
 * pgspace for Vitest. In vitest.config.ts:
 *
 *     test: { globalSetup: ['<this folder>/vitest-setup.ts'] }
 *
 * and in a test: `const space = await newSpace()`.
 */
import { afterAll, beforeAll, beforeEach, expect, onTestFinished, TestRunner, type TestContext } from 'vitest';
import { currentSession } from '../session/session.js';
import type { Space } from '../session/space.js';
import type { OpenTrace } from '../trace/plugin.js';
import { holdSpace, warmDefault, type NewSpaceOptions } from './test-space.js';
import { loadTrace, trace } from './tracing.js';
import { pgPatches, requirePatches, vitestPatches } from './patches.js';

requirePatches([...pgPatches(), ...vitestPatches(TestRunner)]);

type Task = TestContext['task'];
type Release = (failed: boolean) => Promise<void>;
/** The tests of this file not yet finished: their trace, their spaces' releases, and when they started (performance.now()). */
const open = new Map<Task, { trace?: OpenTrace; releases: Release[]; started: number }>();

/** newSpace() gives up this long before the test's own timeout, to say what it waited for. */
const TIMEOUT_MARGIN_MS = 250;

// This file's test process loads the trace (when the run traces) and gets its first ready spaces
// before its first test, with a hook timeout of its own.
beforeAll(async () => {
  await loadTrace();
  await warmDefault();
}, 120_000);

/** Releases `task`'s spaces (kept if it failed), then ends its trace. */
async function finish(task: Task): Promise<void> {
  const test = open.get(task);
  if (!test) return;
  open.delete(task);
  trace()?.captureOutput(false);
  const state = task.result?.state === 'fail' ? 'failed' : task.result?.state === 'skip' ? 'skipped' : 'passed';
  for (const release of test.releases) await release(state === 'failed');
  trace()?.endTrace(test.trace, state, task.result?.errors?.[0]);
}

// Each test of a file that uses pgspace is traced, and finished when Vitest says it is.
beforeEach((ctx) => {
  const opened = trace()?.startTrace(ctx.task.fullName, 'vitest', ctx.task.file?.filepath);
  open.set(ctx.task, { trace: opened, releases: [], started: performance.now() });
  trace()?.captureOutput(opened !== undefined);
  ctx.onTestFinished(() => finish(ctx.task));
});

// Vitest skips a test's afterEach and onTestFinished hooks when what it threw breaks its own error
// handling (a Proxy whose traps throw): such tests are finished with their file. Then a worker, which
// runs file after file, lets the drops of this file's spaces finish before the next.
afterAll(async () => {
  for (const task of [...open.keys()]) await finish(task);
  await currentSession()?.settle();
});

/**
 * Gives the running test a fresh space (see Space): dropped when the test
 * passes, kept, with a psql line on stderr, when it fails.
 *
 *     it('saves a training', async () => {
 *       const space = await newSpace();
 *     });
 */
export async function newSpace(options: NewSpaceOptions = {}): Promise<Space> {
  const task = TestRunner.getCurrentTest<Task | undefined>();
  // Vitest's timeout cannot be stretched: newSpace() stops waiting just before it, saying for what.
  const timeout = task?.timeout ?? 0;
  const started = (task && open.get(task)?.started) ?? performance.now();
  const cutoff = new AbortController();
  const timer =
    timeout > 0
      ? setTimeout(
          () => cutoff.abort(`the test's timeout (${timeout} ms) is near`),
          timeout - (performance.now() - started) - TIMEOUT_MARGIN_MS,
        )
      : undefined;
  try {
    return await holdSpace(
      expect.getState().currentTestName ?? 'a vitest test',
      options,
      (release) => {
        const test = task && open.get(task);
        if (test) test.releases.push(release);
        else onTestFinished((ctx) => release(ctx.task.result?.state === 'fail')); // a file this module's beforeEach does not cover
      },
      cutoff.signal,
    );
  } finally {
    clearTimeout(timer);
  }
}

export type { NewSpaceOptions };
