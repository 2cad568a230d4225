#!/usr/bin/env node
/**
 * `npm run test:watch [-- <test files>]`: mocha re-runs the given test files
 * (by default every layer's) whenever a file of the code, the tests, the
 * migrations or config.d changes. One process for the whole session: the
 * embedded Postgres, the templates and the ready spaces outlive each re-run;
 * a changed migration or config template gets a new template before the next
 * one. Ctrl-C ends it (and stops the server).
 */
import { spawn } from 'node:child_process';

const files = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const options = process.argv.slice(2).filter((a) => a.startsWith('-'));
const specs = files.length > 0 ? files : ['test/{unit,integration,component,contract,e2e}/**/*.test.ts'];
// Not internal/integration: mocha reloads what it watches, and the helper must stay one copy per process.
const watched = ['src', 'test', 'config.d', 'pgspace.config.ts'];

const mocha = spawn('npx', ['mocha', '--watch', ...watched.flatMap((w) => ['--watch-files', w]), ...options, ...specs], {
  stdio: 'inherit',
});
// A terminal's Ctrl-C reaches mocha too (one process group): wait for it to clean up and exit with it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => mocha.kill(signal));
mocha.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGINT' ? 2 : 15)));
