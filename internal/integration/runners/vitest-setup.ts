/** Vitest `globalSetup` module: the run's start and end, in Vitest's main process. */
import { beginRun, endRun, failOnBrokenRun } from './run-hooks.js';

failOnBrokenRun();

/** Starts the run (server, lock, reaping) before the workers start. */
export const setup = (): Promise<void> => beginRun('vitest');
/** Ends it after every file: drops what is left, prints what is kept. */
export const teardown = endRun;
