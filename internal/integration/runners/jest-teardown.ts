/** Jest `globalTeardown` module: ends the run after every file (drops what is left, prints what is kept). */
import { endRun } from './run-hooks.js';

export default endRun;
