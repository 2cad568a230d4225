/**
 * What the mocha binding needs from mocha's runner. Mocha hands plugins no
 * runner (only reporters get one, and users choose their reporters), so
 * Mocha#run is wrapped, once per process, to see each run's runner: its
 * `fail` events say which tests failed, directly or through one of their
 * hooks, with which error objects; and the runner is what stops a run.
 */
import { traceMochaRunner } from './mocha-trace.js';

const PATCHED = Symbol.for('pgspace.mochaRunner');
let runner: Mocha.Runner | undefined;
const failures = new WeakMap<Mocha.Runnable, Error[]>();

/** The test a failing runnable belongs to: itself, or the test its beforeEach/afterEach hook ran for. */
function owningTest(runnable: Mocha.Runnable): Mocha.Runnable | undefined {
  if ((runnable as Mocha.Runnable & { type?: string }).type === 'test') return runnable;
  return runnable.ctx?.currentTest ?? undefined;
}

/** Starts watching every run in this process, by wrapping `Mocha#run`. Idempotent. The class is passed in: only the plugin itself imports mocha. */
export function watchRunner(MochaClass: typeof Mocha): void {
  const proto = MochaClass.prototype as Mocha & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const run = proto.run;
  proto.run = function (this: Mocha, ...args: Parameters<Mocha['run']>) {
    runner = run.apply(this, args);
    runner.on('fail', (runnable: Mocha.Runnable, err: Error) => {
      const test = owningTest(runnable);
      if (test && err) failures.set(test, [...(failures.get(test) ?? []), err]);
    });
    traceMochaRunner(runner, failuresOf);
    return runner;
  };
  proto[PATCHED] = true;
}

/** Whether the runner was seen (if not, the binding falls back on test.state and test.err). */
export function runnerWatched(): boolean {
  return runner !== undefined;
}

/** The errors `test` failed with, its own and its hooks'. */
export function failuresOf(test: Mocha.Runnable): Error[] {
  return failures.get(test) ?? [];
}

/**
 * Stops the run after the test in progress. A parallel run's main process
 * bails the way `--bail` does: the files in progress finish, no more start.
 */
export function stopRun(): void {
  if (!runner) return;
  const parallel = runner as Mocha.Runner & { _state?: string };
  if (parallel.constructor.name === 'ParallelBufferedRunner') {
    try {
      parallel._state = 'BAILING';
    } catch {
      /* already bailing or done */
    }
  } else {
    runner.abort();
  }
}

/**
 * Adds `note` to an error so every reporter prints it, whatever the failure's
 * shape: after the message inside the stack, because with a diff mocha shows
 * only part of the message (for `expect(x, 'why')`, just "why"), but always
 * the stack that follows it.
 */
export function addNote(err: Error, note: string): void {
  const message = String(err.message ?? '');
  const stack = typeof err.stack === 'string' ? err.stack : message;
  const at = message && stack.includes(message) ? stack.indexOf(message) + message.length : 0;
  err.stack = `${stack.slice(0, at)}\n\n${note}\n${stack.slice(at)}`;
}
