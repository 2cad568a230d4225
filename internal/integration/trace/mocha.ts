/**
 * Mocha's events into test traces (trace/recorder.ts): a test's trace opens
 * at its first beforeEach hook (or its body) and closes once its afterEach
 * hooks are done, with each hook and the body as timed steps. Printed output
 * is captured only while a hook or body runs, not while reporters print.
 * A failing before/after-all hook gets a trace of its own, so it is listed.
 */
import { messageOf } from '../common/errors.js';
import { captureOutput } from './logs.js';
import { endTrace, startTrace, type OpenTrace } from './recorder.js';

type Hook = Mocha.Hook & { type?: string };

/** The test a beforeEach/afterEach hook runs for; undefined for before/after-all hooks. */
function testOfEachHook(hook: Hook): Mocha.Test | undefined {
  return /^"(before|after) each"/.test(hook.title) ? hook.ctx?.currentTest : undefined;
}

/** Follows one runner's events. The main process of a parallel run traces nothing: its workers do. */
export function traceMochaRunner(runner: Mocha.Runner, failuresOf: (test: Mocha.Runnable) => Error[]): void {
  if (runner.constructor.name === 'ParallelBufferedRunner') return;
  let open: { test: Mocha.Test; trace: OpenTrace | undefined } | undefined;
  let step: ((more?: { error?: string }) => void) | undefined;

  const close = (): void => {
    if (!open) return;
    const { test, trace } = open;
    open = undefined;
    const errors = failuresOf(test);
    const state = errors.length > 0 || test.state === 'failed' ? 'failed' : test.isPending() ? 'skipped' : 'passed';
    endTrace(trace, state, errors[0]);
  };
  const traceOf = (test: Mocha.Test): OpenTrace | undefined => {
    if (open?.test !== test) {
      close();
      open = { test, trace: startTrace(test.fullTitle(), 'mocha', test.file) };
    }
    return open.trace;
  };
  /** Starts a step of the open test (dropping one never ended), capturing output while it runs. */
  const stepStarts = (text: string | undefined): void => {
    step = text === undefined ? undefined : open?.trace?.begin('step', text);
    captureOutput(step !== undefined);
  };
  const stepEnds = (error?: Error): void => {
    captureOutput(false);
    step?.(error ? { error: messageOf(error) } : {});
    step = undefined;
  };

  // Mocha says 'test' before the test's beforeEach hooks and nothing when its body starts: the body
  // is taken to start when 'test' or the end of a beforeEach hook is said. Listeners are prepended,
  // so capture stops before a reporter prints about the test.
  runner.prependListener('test', (test: Mocha.Test) => {
    traceOf(test);
    stepStarts('test body');
  });
  runner.prependListener('hook', (hook: Hook) => {
    const test = testOfEachHook(hook);
    if (test) traceOf(test);
    else close();
    stepStarts(test ? hook.title.replace(/ for ".*"$/s, '') : undefined);
  });
  runner.prependListener('hook end', (hook: Hook) => {
    stepEnds();
    if (/^"before each"/.test(hook.title)) stepStarts('test body');
  });
  runner.prependListener('pass', () => stepEnds());
  runner.prependListener('pending', (test: Mocha.Test) => {
    traceOf(test);
    stepStarts(undefined);
  });
  runner.prependListener('fail', (runnable: Mocha.Runnable, err: Error) => {
    stepEnds(err);
    const hook = runnable as Hook;
    if (hook.type === 'hook' && !testOfEachHook(hook)) {
      close();
      endTrace(startTrace(hook.fullTitle(), 'mocha', hook.file), 'failed', err);
    }
  });
  runner.prependListener('suite end', close);
  runner.prependListener('end', close);
}
