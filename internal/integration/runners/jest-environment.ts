/**
 * pgspace for Jest: the test environment. In jest.config:
 *
 *     testEnvironment: 'pgspace/jest-environment',
 *     globalSetup: 'pgspace/jest-setup',
 *     globalTeardown: 'pgspace/jest-teardown',
 *
 * and in a test: `const space = await newSpace()` from 'pgspace/jest'.
 *
 * Jest runs each test file in a sandbox of its own, with its own copies of
 * the modules it loads; it tells only the environment how a test ended
 * (circus's events). So the spaces are held here, in the worker's own module
 * graph, and the sandbox is given just newSpace() (see jest-sandbox/index.js).
 */
import { TestEnvironment } from 'jest-environment-node';
import type { Circus } from '@jest/types';
import { closeSession } from '../session/session.js';
import { PgspaceError, messageOf } from '../common/errors.js';
import { failRun } from '../run/exit-status.js';
import type { OpenTrace } from '../trace/plugin.js';
import { holdSpace, warmDefault, type NewSpaceOptions } from './test-space.js';
import { loadTrace, trace } from './tracing.js';
import { pgPatches, requirePatches } from './patches.js';
import { JEST_GLOBAL, type JestBinding } from './jest-binding.js';

requirePatches(pgPatches());

type Release = (failed: boolean) => Promise<void>;

/** newSpace() gives up this long before the test's own timeout, to say what it waited for. */
const TIMEOUT_MARGIN_MS = 250;

/** `describe` names and the test's, as Jest prints them. */
function fullName(test: Circus.TestEntry): string {
  const names: string[] = [];
  for (let block: Circus.DescribeBlock | Circus.TestEntry | undefined = test; block; block = block.parent) {
    if (block.name !== 'ROOT_DESCRIBE_BLOCK') names.unshift(block.name);
  }
  return names.join(' ');
}

/** A running test: its name, its spaces' releases, its trace, and what stops newSpace() waiting. */
interface Running {
  test: Circus.TestEntry;
  title: string;
  releases: Release[];
  trace?: OpenTrace;
  cutoff: AbortController;
  timer?: NodeJS.Timeout;
}

export default class PgspaceEnvironment extends TestEnvironment {
  /** Tests started and not done: one, unless test.concurrent runs several at once. */
  private readonly running = new Map<Circus.TestEntry, Running>();
  private readonly testPath: string;

  constructor(config: ConstructorParameters<typeof TestEnvironment>[0], context: ConstructorParameters<typeof TestEnvironment>[1]) {
    super(config, context);
    this.testPath = context.testPath;
    const binding: JestBinding = { newSpace: (options) => this.newSpace(options) };
    this.global[JEST_GLOBAL] = binding;
  }

  override async setup(): Promise<void> {
    await super.setup();
    // The file's first test must not pay for the trace or the first ready spaces.
    await loadTrace();
    await warmDefault();
  }

  override async teardown(): Promise<void> {
    try {
      for (const running of [...this.running.values()]) await this.finish(running, true);
      // A worker must be able to exit when Jest is done with it: this file's spaces are released
      // (the drops finished) and its pools closed; the next file of the worker warms its own.
      await closeSession();
    } catch (err) {
      failRun();
      process.stderr.write(`\npgspace: ${messageOf(err)}\n`);
    } finally {
      await super.teardown();
    }
  }

  async handleTestEvent(event: Circus.Event, state: Circus.State): Promise<void> {
    // test_started, not test_start: a skipped or todo test gets the one but not the other, nor test_done.
    if (event.name === 'test_started') {
      const test = event.test;
      const title = fullName(test);
      const opened = trace()?.startTrace(title, 'jest', this.testPath);
      trace()?.captureOutput(opened !== undefined);
      this.running.set(test, { test, title, releases: [], trace: opened, cutoff: new AbortController() });
    } else if (event.name === 'hook_start' || event.name === 'test_fn_start') {
      // Circus gives each beforeEach/afterEach hook and the test's body a timeout of its own.
      const running =
        event.name === 'test_fn_start' ? this.running.get(event.test) : this.running.size === 1 ? [...this.running.values()][0] : undefined;
      const timeout = (event.name === 'test_fn_start' ? event.test.timeout : event.hook.timeout) || state.testTimeout;
      if (running) this.arm(running, timeout);
    } else if (event.name === 'test_done') {
      const running = this.running.get(event.test);
      if (running) await this.finish(running, event.test.errors.length > 0);
    }
  }

  /** newSpace() stops waiting just before `timeout` (ms) is over, saying for what (a timeout too short for the margin: at it). */
  private arm(running: Running, timeout: number): void {
    clearTimeout(running.timer);
    if (timeout <= 0 || running.cutoff.signal.aborted) return;
    const at = timeout > 2 * TIMEOUT_MARGIN_MS ? timeout - TIMEOUT_MARGIN_MS : timeout;
    running.timer = setTimeout(() => running.cutoff.abort(`the test's timeout (${timeout} ms) is near`), at);
  }

  /** Releases the test's spaces (kept if it failed), then ends its trace; what goes wrong fails the test, not the file. */
  private async finish(running: Running, failed: boolean): Promise<void> {
    this.running.delete(running.test);
    clearTimeout(running.timer);
    running.cutoff.abort('the test is over');
    if (this.running.size === 0) trace()?.captureOutput(false);
    for (const release of running.releases.splice(0)) {
      await release(failed).catch((err: unknown) => void running.test.errors.push(err as Circus.Exception));
    }
    const error = running.test.errors[0];
    trace()?.endTrace(running.trace, failed ? 'failed' : 'passed', Array.isArray(error) ? error[0] : error);
  }

  private newSpace(options: NewSpaceOptions = {}) {
    if (this.running.size !== 1) {
      return Promise.reject(
        new PgspaceError(
          'misuse',
          this.running.size === 0
            ? 'newSpace() must be called inside a test, a beforeEach or an afterEach hook (not beforeAll, afterAll or a describe body): a space per test is the point.'
            : 'newSpace() cannot tell which of the tests running at once (test.concurrent) asks: give those tests no space, or run them one at a time.',
        ),
      );
    }
    const running = [...this.running.values()][0]!;
    return holdSpace(
      running.title,
      options,
      (release) => {
        // A space that came after its test ended goes back at once.
        if (this.running.has(running.test)) running.releases.push(release);
        else void release(false).catch(() => undefined);
      },
      running.cutoff.signal,
    );
  }
}
