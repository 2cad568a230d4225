/** Jest `globalSetup` module: starts the run (server, lock, reaping) in Jest's main process, before the workers. */
import { beginRun, failOnBrokenRun } from './run-hooks.js';

failOnBrokenRun();

export default (): Promise<void> => beginRun('jest');
