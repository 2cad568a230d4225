/**
 * `pgspace trace [mocha|vitest|node-test]`: prints where the last run's trace
 * page is, and opens it in the desktop's browser when there is a desktop.
 * Without a runner: every runner's page there is, the newest first (and
 * opened).
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { traceDir, TRACED_RUNNERS, tracePage } from '../trace/dir.js';

function opener(): string | undefined {
  if (process.platform === 'darwin') return 'open';
  if (process.platform === 'win32') return 'explorer';
  return process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? 'xdg-open' : undefined;
}

const runner = process.argv[3];
if (runner !== undefined && !(TRACED_RUNNERS as readonly string[]).includes(runner)) {
  console.error(
    `pgspace: no trace page for a runner called ${JSON.stringify(runner)}: write mocha, vitest or node-test, or nothing for every page there is`,
  );
  process.exitCode = 2;
} else {
  const pages = (runner ? [runner] : TRACED_RUNNERS)
    .map((r) => tracePage(r))
    .filter((page) => existsSync(page))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (pages.length === 0) {
    const names = runner ? path.basename(tracePage(runner)) : TRACED_RUNNERS.map((r) => path.basename(tracePage(r))).join(', ');
    console.error(`pgspace: no trace page in ${traceDir()} yet (${names}): run the tests first, with PGSPACE_TRACE not set to 0.`);
    process.exitCode = 1;
  } else {
    for (const page of pages) console.log(`${page}\n${pathToFileURL(page).href}`);
    const command = opener();
    if (command)
      spawn(command, [pages[0]!], { detached: true, stdio: 'ignore' })
        .on('error', () => undefined)
        .unref();
  }
}
