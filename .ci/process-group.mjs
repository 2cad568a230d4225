// What the CI checks share: stopping a child they started in a process group of its own.
import { setTimeout as delay } from 'node:timers/promises';

/** Stops `child`'s process group as Ctrl-C does (so a test run stops its Postgres), killing it after 20 s. */
export async function stopGroup(child) {
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // the group is gone
    }
  };
  signal('SIGINT');
  const until = Date.now() + 20_000;
  while (child.exitCode === null && child.signalCode === null && Date.now() < until) await delay(50);
  signal('SIGKILL');
}
