/**
 * The mocha plugin, loaded by `.mocharc.json` (`require`). Tests import
 * newSpace from here (`pgspace/mocha`).
 * Global setup/teardown run once in mocha's main process: they own the run
 * (server, lock, templates). The root hooks run in every process that runs
 * tests, including parallel workers: they drop or keep each test's spaces.
 *
 * SHARD=i/n runs one shard of the files (mocha-shard.ts).
 *
 * Exit status is the truth: whatever breaks the run (the server dies, its
 * disk fills, the end of the run fails) makes the process exit non-zero,
 * with one message saying what happened, and nothing here can hang.
 */
import Mocha from 'mocha';
import { exitWhenIdle } from '../run/exit-status.js';
import { closeSession, currentSession } from '../session/session.js';
import { releaseSpaces } from './mocha-spaces.js';
import { warmDefault } from './test-space.js';
import { stopRun, watchRunner } from './mocha-runner.js';
import { shardMocha } from './mocha-shard.js';
import { beginRun, endRun, failOnBrokenRun } from './run-hooks.js';
import { loadTrace } from './tracing.js';
import { mochaPatches, pgPatches, requirePatches } from './patches.js';

requirePatches([...pgPatches(), ...mochaPatches(Mocha)]);
shardMocha(Mocha);
watchRunner(Mocha);
failOnBrokenRun(stopRun);

/** Starts the run before any test file loads (see run-hooks.ts). */
export async function mochaGlobalSetup(): Promise<void> {
  await beginRun('mocha');
}

/**
 * Ends the run after every test and worker is done. Never rejects (mocha
 * would then never set an exit code) and never hangs: exitWhenIdle ends a
 * process something holds open.
 */
export async function mochaGlobalTeardown(): Promise<void> {
  await endRun();
  exitWhenIdle();
}

/** Root hooks: the first ready spaces before the first test (per file in a parallel worker); every test's spaces released right after it. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000); // its own: no test's timeout pays for it
    await loadTrace(); // before any test: it follows their events (mocha-runner.ts)
    await warmDefault();
  },
  async afterEach(this: Mocha.Context) {
    await releaseSpaces(this.currentTest);
  },
  async afterAll() {
    // A parallel worker runs one file after another: keep its warm spaces for
    // the next file, just finish the drops (the run's teardown drops what a
    // worker leaves). A serial run ends here: close everything so the process
    // can exit (mocha does not force it, and open pools would hold it).
    if (process.env.MOCHA_WORKER_ID !== undefined) await currentSession()?.settle();
    else await closeSession();
  },
};

export { newSpace, type NewSpaceOptions } from './mocha-spaces.js';
