#!/usr/bin/env node
// npm test's runner: npm scripts at once, each as a process group of its own writing straight to
// this process's output (through no parent that could die first), and a signal passed on to every
// process of every group. npm hands SIGTERM only to its script's shell, which dies and leaves the
// suite running, orphaned; run-p did not pass it on either, and piped the suite's output through
// itself. As with run-p, the first script to fail stops the others and its status is the exit
// status. It exits once nothing of any group is left, 128 + n when a signal ended the run;
// whatever is still there 30 s after a signal (5 s after the scripts ended) is SIGKILLed.
//
//   node scripts/run-parallel.mjs typecheck test:all -- <arguments for the last script>
import { spawn } from 'node:child_process';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

const argv = process.argv.slice(2);
const dashes = argv.indexOf('--');
const scripts = dashes < 0 ? argv : argv.slice(0, dashes);
const extra = dashes < 0 ? [] : argv.slice(dashes + 1);
if (scripts.length === 0) {
  console.error('usage: node scripts/run-parallel.mjs <npm script>… [-- <arguments for the last one>]');
  process.exit(2);
}

let signalled;
let failed;
const running = new Set();
const groups = scripts.map((name, i) => {
  const args = ['run', name, ...(i === scripts.length - 1 && extra.length > 0 ? ['--', ...extra] : [])];
  const child = spawn('npm', args, { stdio: 'inherit', detached: true });
  running.add(child);
  child.on('error', (err) => {
    console.error(`run-parallel: cannot run npm ${args.join(' ')}: ${err.message}`);
    finished(child, 127);
  });
  child.on('exit', (code, signal) => finished(child, signal ? 128 + os.constants.signals[signal] : code));
  return child.pid;
});

/** Sends `signal` to every process of every group; whether any process was left to get it. */
function toGroups(signal) {
  let any = false;
  for (const group of groups) {
    try {
      process.kill(-group, signal);
      any = true;
    } catch {
      /* that group is gone */
    }
  }
  return any;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    signalled ??= signal;
    toGroups(signal);
  });
}

function finished(child, status) {
  if (!running.delete(child)) return;
  if (status !== 0 && failed === undefined) {
    failed = status;
    toGroups('SIGTERM'); // as run-p does: one failed, so the run has, and the others stop
  }
  if (running.size === 0) void end();
}

/** Waits for every group to be empty (SIGKILLing what stays too long), then exits. */
async function end() {
  if (!signalled) toGroups('SIGTERM'); // what the scripts left behind, orphaned
  const seconds = signalled ? 30 : 5;
  const deadline = Date.now() + seconds * 1000;
  while (toGroups(0)) {
    if (Date.now() >= deadline) {
      console.error(`run-parallel: processes still running ${seconds} s after the scripts ended; killing them`);
      toGroups('SIGKILL');
      break;
    }
    await delay(20);
  }
  process.exit(signalled ? 128 + os.constants.signals[signalled] : (failed ?? 0));
}
