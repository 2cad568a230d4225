/**
 * The mocha plugin, loaded by `.mocharc.json` (`require`).
 * Global setup/teardown run once in mocha's main process: they own the run
 * (server, lock, templates). The root hooks run in every process that runs
 * tests, including parallel workers: they drop or keep each test's spaces.
 *
 * Exit status is the truth: whatever breaks the run (the server dies, its
 * disk fills, the end of the run fails) makes the process exit non-zero,
 * with one message saying what happened, and nothing here can hang.
 */
import { PgspaceError } from '../core/errors.js';
import { exitWhenIdle, failRun } from '../core/exit-status.js';
import { onRunBroken } from '../core/run-health.js';
import { finishRun, startRun, type Run } from '../core/run.js';
import { closeSession, currentSession } from '../core/session.js';
import { releaseSpaces } from './mocha-spaces.js';
import { stopRun, watchRunner } from './mocha-runner.js';

let run: Run | undefined;
/** Mocha calls the hooks once per `--require` of this file, and `.mocharc.json` already has one: act once. */
let setUp = false;
let tornDown = false;

watchRunner();
onRunBroken((message) => {
  failRun();
  stopRun();
  void message.then((m) => process.stderr.write(`\n${m}\n\n`));
});

/**
 * Starts the run before any test file loads. A setup problem the user can fix
 * (unreachable server, broken migration or template) ends the run with its
 * message alone: mocha would otherwise print it as an unhandled rejection.
 */
export async function mochaGlobalSetup(): Promise<void> {
  if (setUp) return;
  setUp = true;
  try {
    run = await startRun();
  } catch (err) {
    if (!(err instanceof PgspaceError)) throw err;
    process.stderr.write(`\n${err.stack}\n\n`);
    process.exit(1);
  }
}

/**
 * Ends the run after every test and worker is done. Never rejects (mocha
 * would then never set an exit code) and never hangs: finishRun has a
 * deadline on every step, and exitWhenIdle ends a process something holds open.
 */
export async function mochaGlobalTeardown(): Promise<void> {
  if (tornDown) return;
  tornDown = true;
  const ending = run;
  run = undefined;
  if (ending) {
    const { summary, problems } = await finishRun(ending);
    if (summary) process.stderr.write(`\n${summary}\n`);
    if (problems.length > 0) {
      failRun();
      process.stderr.write(`\npgspace: the end of the run went wrong, so the run fails:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    }
  }
  exitWhenIdle();
}

/** Root hooks: every test's spaces are released right after it. */
export const mochaHooks = {
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
