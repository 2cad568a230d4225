/**
 * What the mocha binding needs from mocha's runner. Mocha hands plugins no
 * runner (only reporters get one, and users choose their reporters), so
 * Mocha#run is wrapped, once per process, to see each run's runner: its
 * `fail` events say which tests failed, directly or through one of their
 * hooks, with which error objects; and the runner is what stops a run.
 */
import { readProperty, textOf } from '../common/errors.js';
import { loadTrace } from './tracing.js';

const PATCHED = Symbol.for('pgspace.mochaRunner');
let runner: Mocha.Runner | undefined;
const failures = new WeakMap<Mocha.Runnable, Error[]>();

/** The test a failing runnable belongs to: itself, or the test its beforeEach/afterEach hook ran for. */
function owningTest(runnable: Mocha.Runnable): Mocha.Runnable | undefined {
  if ((runnable as Mocha.Runnable & { type?: string }).type === 'test') return runnable;
  return runnable.ctx?.currentTest ?? undefined;
}

/**
 * Whether mocha can report `value` as a failure. It turns primitives into
 * Errors itself, and reads errors' message and stack; but a value whose
 * inspection throws (an empty null-prototype object has no toString, a Proxy
 * may throw on every trap) breaks its `fail`, inside a promise: the run then
 * stops without a word and exits 0.
 */
function reportable(value: unknown, stringify: (value: unknown) => string): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return true;
  try {
    if (value instanceof Error || typeof (value as { message?: unknown }).message === 'string') {
      void (value as { stack?: unknown }).stack;
      return true;
    }
    stringify(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes every failure mocha reports one it can report: what a test or hook
 * failed with (Runner#fail) and what was thrown outside them (Runner#uncaught,
 * bound when a runner is made, so patched before).
 */
function failWithReportable(MochaClass: typeof Mocha): void {
  const stringify = (MochaClass as unknown as { utils: { stringify(value: unknown): string } }).utils.stringify;
  const reportableOf = (value: unknown): unknown =>
    reportable(value, stringify) ? value : new Error(`threw ${textOf(value)}, which mocha cannot report; throw an Error instead`);
  const runner = MochaClass.Runner.prototype as unknown as { fail(...args: unknown[]): void; _uncaught(err: unknown): void };
  const { fail, _uncaught: uncaught } = runner;
  runner.fail = function (this: unknown, runnable: unknown, err: unknown, ...rest: unknown[]) {
    return fail.call(this, runnable, reportableOf(err), ...rest);
  };
  runner._uncaught = function (this: unknown, err: unknown) {
    return uncaught.call(this, reportableOf(err));
  };
}

/**
 * Starts watching every run in this process, by wrapping `Mocha#run`, and
 * makes any failure value one mocha can report. Idempotent. The class is
 * passed in: only the plugin itself imports mocha.
 */
export function watchRunner(MochaClass: typeof Mocha): void {
  const proto = MochaClass.prototype as Mocha & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  failWithReportable(MochaClass);
  const run = proto.run;
  proto.run = function (this: Mocha, ...args: Parameters<Mocha['run']>) {
    runner = run.apply(this, args);
    runner.on('fail', (runnable: Mocha.Runnable, err: Error) => {
      const test = owningTest(runnable);
      if (test && err) failures.set(test, [...(failures.get(test) ?? []), err]);
    });
    // Subscribed before any test: the plugin's root hook awaits the same load (mocha.ts).
    const watched = runner;
    void loadTrace().then((plugin) => plugin?.traceMochaRunner(watched, failuresOf));
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
 * the stack that follows it. False when the error cannot take it (frozen,
 * a Proxy): the caller says it some other way.
 */
export function addNote(err: unknown, note: string): boolean {
  const message = textOf(readProperty(err, 'message') ?? '');
  const found = readProperty(err, 'stack');
  const stack = typeof found === 'string' ? found : message;
  const at = message && stack.includes(message) ? stack.indexOf(message) + message.length : 0;
  try {
    (err as { stack: string }).stack = `${stack.slice(0, at)}\n\n${note}\n${stack.slice(at)}`;
    return readProperty(err, 'stack') !== found;
  } catch {
    return false;
  }
}
