#!/usr/bin/env node
/**
 * `npm run test:watch [-- <test files> <mocha options>]`: mocha re-runs the
 * given test files (by default every layer's) whenever a file of the code,
 * the tests, the migrations or config.d changes. One process for the whole
 * session: the embedded Postgres, the templates and the ready spaces outlive
 * each re-run; a changed migration or config template gets a new template
 * before the next one. Ctrl-C ends it (and stops the server).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
// Files or globs given: those; else every layer. Options keep their place (and their values).
const named = args.some((a) => !a.startsWith('-') && (existsSync(a) || /[*?{]/.test(a)));
const specs = named ? [] : ['test/{unit,integration,component,contract,e2e}/**/*.test.ts'];
// Not internal/integration: mocha reloads what it watches, and the helper must stay one copy per process.
const watched = ['src', 'test', 'config.d', 'pgspace.config.ts'];

const mochaBin = fileURLToPath(import.meta.resolve('mocha/bin/mocha.js'));
const mocha = spawn(process.execPath, [mochaBin, '--watch', ...watched.flatMap((w) => ['--watch-files', w]), ...args, ...specs], {
  stdio: 'inherit',
});
// mocha cleans up on SIGINT (its run's teardown stops the server); a terminal's Ctrl-C reaches it too.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => mocha.kill('SIGINT'));
mocha.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 15)));
