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
 * graph, where they outlive a file (one warm pool per worker, as with the
 * other runners), and the sandbox is given just newSpace() (see jest-sandbox/index.js).
 */
import { TestEnvironment } from 'jest-environment-node';
import type { Circus } from '@jest/types';
import { currentSession } from '../session/session.js';
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

/** The running test: its name, its spaces' releases, its trace, and what stops newSpace() waiting. */
interface Running {
  test: Circus.TestEntry;
  title: string;
  releases: Release[];
  trace?: OpenTrace;
  cutoff: AbortController;
  timer?: NodeJS.Timeout;
}

export default class PgspaceEnvironment extends TestEnvironment {
  private running: Running | undefined;
  private readonly testPath: string;
  private testTimeout = 5_000;

  constructor(config: ConstructorParameters<typeof TestEnvironment>[0], context: ConstructorParameters<typeof TestEnvironment>[1]) {
    super(config, context);
    this.testPath = context.testPath;
    this.testTimeout = config.globalConfig.testTimeout ?? this.testTimeout;
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
    if (this.running) await this.finish(this.running, true);
    // A worker runs file after file: let this file's drops and recycling finish before the next.
    await currentSession()?.settle();
    await super.teardown();
  }

  async handleTestEvent(event: Circus.Event): Promise<void> {
    if (event.name === 'test_start') {
      const test = event.test;
      const title = fullName(test);
      const cutoff = new AbortController();
      const timeout = test.timeout ?? this.testTimeout;
      const opened = trace()?.startTrace(title, 'jest', this.testPath);
      trace()?.captureOutput(opened !== undefined);
      this.running = { test, title, releases: [], trace: opened, cutoff };
      if (timeout > 0) {
        this.running.timer = setTimeout(() => cutoff.abort(`the test's timeout (${timeout} ms) is near`), timeout - TIMEOUT_MARGIN_MS);
      }
    } else if (event.name === 'test_done' && this.running?.test === event.test) {
      await this.finish(this.running, event.test.errors.length > 0);
    }
  }

  /** Releases the test's spaces (kept if it failed), then ends its trace. */
  private async finish(running: Running, failed: boolean): Promise<void> {
    this.running = undefined;
    clearTimeout(running.timer);
    running.cutoff.abort('the test is over');
    trace()?.captureOutput(false);
    for (const release of running.releases) await release(failed);
    const error = running.test.errors[0];
    trace()?.endTrace(running.trace, failed ? 'failed' : 'passed', Array.isArray(error) ? error[0] : error);
  }

  private newSpace(options: NewSpaceOptions = {}) {
    const running = this.running;
    if (!running) {
      return Promise.reject(new Error('newSpace() must be called inside a test (or a beforeEach hook); a space per test is the point.'));
    }
    return holdSpace(running.title, options, (release) => running.releases.push(release), running.cutoff.signal);
  }
}
