/**
 * The run's start and end, as every runner's global setup and teardown call
 * them (in the runner's main process). Each acts once per process, however
 * many times a runner calls it (mocha calls a plugin's hooks once per
 * `--require` of it).
 *
 * While the run is open its exit status must reflect whatever happens to the
 * process: a test calling process.exit(0), a signal, a promise rejected with
 * nobody to handle it (mocha swallows those) all fail the run, and the first
 * two stop the embedded server at once, so nothing is left running.
 */
import os from 'node:os';
import { PgspaceError, readProperty, textOf } from '../common/errors.js';
import { failRun } from '../run/exit-status.js';
import { onRunBroken } from '../session/run-health.js';
import { abandonRun, finishRun, startRun, type Run } from '../run/run.js';
import { stopMadeClustersNow } from '../embedded/cluster.js';
import { warmUp } from '../run/warm-up.js';
import { loadTrace, trace } from './tracing.js';

let run: Run | undefined;
/** The run from its start until its end is over: what to give up if the process goes first. */
let open: Run | undefined;
let runner = '';
/** While startRun runs: an embedded server it started is not the run's yet. */
let starting = false;
let began = false;
let ended = false;

/**
 * Gives up the open run at once (see abandonRun), or, while it starts, the
 * embedded server it started; what it did, or undefined when there was
 * nothing to give up.
 */
function abandon(): string | undefined {
  const [giving, wasStarting] = [open, starting];
  open = run = undefined;
  ended = true;
  starting = false;
  if (giving) return abandonRun(giving);
  return wasStarting && stopMadeClustersNow() > 0 ? 'stopped the embedded Postgres' : undefined;
}

function onExit(code: number): void {
  const what = abandon();
  if (what === undefined) return;
  process.stderr.write(`\npgspace: the process is exiting (code ${code}) before the run's end, so the run fails; ${what}.\n`);
  if (!process.exitCode) process.exitCode = 1;
}

let interrupted = false;
function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) return; // mocha's parent passes on a Ctrl-C as SIGINT and then SIGTERM
  interrupted = true;
  const what = abandon();
  failRun();
  process.stderr.write(`\npgspace: ${signal}: the run stops here${what ? `; ${what}` : ''}.\n`);
  // A runner that handles the signal itself (Vitest, node:test) exits on its own; mocha does not.
  if (process.listenerCount(signal) === 1) process.exit(128 + os.constants.signals[signal]);
}

function onRejection(reason: unknown): void {
  failRun();
  const said = readProperty(reason, 'stack');
  process.stderr.write(
    `\npgspace: a promise was rejected and nothing handled it, so the run fails: ${typeof said === 'string' ? said : textOf(reason)}\n`,
  );
}

/** Watches the process for what would end it, or fail it, behind the runner's back (see above). */
function guardRun(): void {
  process.on('exit', onExit);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  process.on('unhandledRejection', onRejection);
}

/**
 * Starts the run of runner `name`: trace collection, server, lock, reaping,
 * then the templates and first spaces (warm-up.ts), so no test pays for them.
 * A problem the user can fix (unreachable server, broken config template)
 * ends the process with its message alone, instead of a runner's stack dump.
 */
export async function beginRun(name: string): Promise<void> {
  if (began) return;
  began = true;
  runner = name;
  (await loadTrace())?.beginTraceRun();
  guardRun(); // from here: a Ctrl-C while the run starts must not leave its server running
  try {
    starting = true;
    open = run = await startRun();
    starting = false;
    await warmUp();
  } catch (err) {
    starting = false;
    if (!(err instanceof PgspaceError)) throw err;
    process.stderr.write(`\n${err.stack}\n\n`);
    process.exit(1);
  }
}

/**
 * Ends the run: drops what it left, prints what was kept, writes the trace page and says where it is last. Never rejects and
 * never hangs (finishRun has a deadline on every step); if anything went
 * wrong, the process exits non-zero whatever the runner counted.
 */
export async function endRun(): Promise<void> {
  if (ended) return;
  ended = true;
  const ending = run;
  run = undefined;
  if (!ending) return;
  const { summary, problems } = await finishRun(ending);
  open = undefined;
  if (summary) process.stderr.write(`\n${summary}\n`);
  if (problems.length > 0) {
    failRun();
    process.stderr.write(`\npgspace: the end of the run went wrong, so the run fails:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  }
  const page = trace()?.endTraceRun(runner);
  if (page) process.stderr.write(`\n${page}\n`);
}

/** A broken run (dead server) fails the process and is said once; `stop` ends the runner's run early, where it can. */
export function failOnBrokenRun(stop?: () => void): void {
  onRunBroken((message) => {
    failRun();
    stop?.();
    void message.then((m) => process.stderr.write(`\n${m}\n\n`));
  });
}
