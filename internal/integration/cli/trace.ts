/**
 * `npm run trace` (`pgspace trace [mocha|vitest|node-test]`): prints where the
 * last run's trace page is, and opens it in the desktop's browser when there
 * is a desktop.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tracePage } from '../trace/run-trace.js';

function opener(): string | undefined {
  if (process.platform === 'darwin') return 'open';
  if (process.platform === 'win32') return 'explorer';
  return process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? 'xdg-open' : undefined;
}

const page = tracePage(process.argv[3] ?? 'mocha');
if (!existsSync(page)) {
  console.error(`pgspace: no trace at ${page} yet: run the tests first (npm test), with PGSPACE_TRACE not set to 0.`);
  process.exitCode = 1;
} else {
  console.log(`${page}\n${pathToFileURL(page).href}`);
  const command = opener();
  if (command) spawn(command, [page], { detached: true, stdio: 'ignore' }).on('error', () => undefined).unref();
}
