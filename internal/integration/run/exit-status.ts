/**
 * The process's exit status must never say "passed" when something failed.
 * Test runners set it from their failure count, which knows nothing of a
 * failed teardown or a dead server; mocha even sets it from an `exit`
 * listener added after ours (see failRun). And a process must never hang
 * after its run: exitWhenIdle() ends one that something still holds open.
 */

let failed = false;

function atLeastOne(): void {
  if (!process.exitCode) process.exitCode = 1;
}

/**
 * Makes this process exit non-zero whatever the runner reports. Mocha
 * (without --exit) sets the code in an `exit` listener registered when its
 * run ends, after the one added here, so a second listener is added on
 * `beforeExit`, which comes after mocha's.
 */
export function failRun(): void {
  if (failed) return;
  failed = true;
  process.on('exit', atLeastOne);
  process.once('beforeExit', lastWord);
}

/** Adds the `exit` listener again, now after any the runner added since. */
function lastWord(): void {
  if (failed) process.on('exit', atLeastOne);
}

/** Whether failRun() was called in this process. */
export function runFailed(): boolean {
  return failed;
}

/**
 * If the process is still alive `ms` after its run ended (a server, socket or
 * timer a test left open would keep it so forever), says what holds it and
 * exits; the runner's exit listeners still set the code. The timer itself
 * does not keep the process alive.
 */
export function exitWhenIdle(ms = 5_000): void {
  setTimeout(() => {
    const holders = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'TTYWrap');
    process.stderr.write(
      `\npgspace: the process was still running ${ms / 1000} s after the tests ended` +
        `${holders.length ? ` (held open by: ${[...new Set(holders)].join(', ')})` : ''}; exiting. ` +
        'A test or service left something open: close servers, pools and clients in after/afterEach hooks.\n',
    );
    lastWord(); // process.exit() skips beforeExit
    process.exit();
  }, ms).unref();
}
