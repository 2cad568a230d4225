/**
 * pgspace for `node:test`. Run with the global setup (Node 24+):
 *
 *     node --test --test-global-setup=<this folder>/node-test-setup.ts …
 *
 * and in a test: `const space = await newSpace(t)`.
 */
import { after, afterEach, before, beforeEach, type TestContext } from 'node:test';
import { messageOf } from '../common/errors.js';
import { closeSession } from '../session/session.js';
import type { Space } from '../session/space.js';
import type { OpenTrace } from '../trace/plugin.js';
import { holdSpace, warmDefault, type NewSpaceOptions } from './test-space.js';
import { loadTrace, trace } from './tracing.js';
import { pgPatches, requirePatches } from './patches.js';

requirePatches(pgPatches());

// This file's process loads the trace (when the run traces) and gets its first ready spaces before
// its first test, with a timeout of its own.
before(
  async () => {
    await loadTrace();
    await warmDefault();
  },
  { timeout: 120_000 },
);

// Each test file runs in a process of its own: close its pools at the end, or they keep it alive.
after(() => closeSession());

// Each test of a file that uses pgspace is traced, and its spaces are released in its afterEach, before
// the trace ends (t.after hooks would run after afterEach).
type EndedContext = { passed?: boolean; error?: Error & { code?: string; cause?: unknown } };
type Release = (failed: boolean) => Promise<void>;
const tests = new WeakMap<object, { trace?: OpenTrace; releases: Release[] }>();
beforeEach((t) => {
  const opened = trace()?.startTrace(t.fullName, 'node-test', t.filePath);
  tests.set(t, { trace: opened, releases: [] });
  trace()?.captureOutput(opened !== undefined);
});
afterEach(async (t) => {
  trace()?.captureOutput(false);
  const test = tests.get(t);
  tests.delete(t);
  const { passed, error } = t as EndedContext;
  for (const release of test?.releases ?? []) await release(passed === false);
  // node:test wraps what the test threw in ERR_TEST_FAILURE; the page shows what was thrown.
  trace()?.endTrace(
    test?.trace,
    passed === false ? 'failed' : 'passed',
    error?.code === 'ERR_TEST_FAILURE' && error.cause ? error.cause : error,
  );
});

/**
 * Gives test `t` a fresh space (see Space): dropped when the test passes,
 * kept, with a psql line on stderr, when it fails.
 *
 *     test('saves a training', async (t) => {
 *       const space = await newSpace(t);
 *     });
 */
export async function newSpace(t: TestContext, options: NewSpaceOptions = {}): Promise<Space> {
  // node:test tells no test its timeout; it aborts the test's signal when it is over, and reports that
  // itself: newSpace() says on stderr what it was waiting for then.
  const cutoff = new AbortController();
  const stop = () => cutoff.abort('the test was stopped (its timeout, or the run ending)');
  t.signal.addEventListener('abort', stop, { once: true });
  try {
    return await holdSpace(
      t.fullName,
      options,
      (release) => {
        const test = tests.get(t);
        // `passed` is set before after-hooks run (Node 22+), though @types/node lists it for suites only.
        if (test) test.releases.push(release);
        else t.after((ctx) => release(!(ctx as TestContext & { passed: boolean }).passed));
      },
      cutoff.signal,
    );
  } catch (err) {
    if (cutoff.signal.aborted) process.stderr.write(`\n${t.fullName}: ${messageOf(err)}\n`);
    throw err;
  } finally {
    t.signal.removeEventListener('abort', stop);
  }
}

export type { NewSpaceOptions };
