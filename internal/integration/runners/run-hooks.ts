/**
 * The run's start and end, as every runner's global setup and teardown call
 * them (in the runner's main process). Each acts once per process, however
 * many times a runner calls it (mocha calls a plugin's hooks once per
 * `--require` of it).
 */
import { PgspaceError } from '../core/errors.js';
import { failRun } from '../core/exit-status.js';
import { onRunBroken } from '../core/run-health.js';
import { finishRun, startRun, type Run } from '../core/run.js';
import { beginTraceRun, endTraceRun } from '../trace/run-trace.js';

let run: Run | undefined;
let runner = '';
let began = false;
let ended = false;

/**
 * Starts the run of runner `name`: trace collection, server, lock, reaping. A problem the user can fix
 * (unreachable server, broken config template) ends the process with its
 * message alone, instead of a runner's stack dump.
 */
export async function beginRun(name: string): Promise<void> {
  if (began) return;
  began = true;
  runner = name;
  beginTraceRun();
  try {
    run = await startRun();
  } catch (err) {
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
  if (summary) process.stderr.write(`\n${summary}\n`);
  if (problems.length > 0) {
    failRun();
    process.stderr.write(`\npgspace: the end of the run went wrong, so the run fails:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  }
  const trace = endTraceRun(runner);
  if (trace) process.stderr.write(`\n${trace}\n`);
}

/** A broken run (dead server) fails the process and is said once; `stop` ends the runner's run early, where it can. */
export function failOnBrokenRun(stop?: () => void): void {
  onRunBroken((message) => {
    failRun();
    stop?.();
    void message.then((m) => process.stderr.write(`\n${m}\n\n`));
  });
}
