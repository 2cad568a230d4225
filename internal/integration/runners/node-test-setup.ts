/** `--test-global-setup` module for node:test: the run's start and end, in the runner's main process. */
import { beginRun, endRun, failOnBrokenRun } from './run-hooks.js';

failOnBrokenRun();

/** Starts the run (server, lock, reaping) before any test file starts. */
export const globalSetup = (): Promise<void> => beginRun('node-test');
/** Ends it after every file: drops what is left, prints what is kept. */
export const globalTeardown = endRun;
