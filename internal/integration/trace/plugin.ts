/**
 * The trace as a plug-in: what a runner loads when its run traces
 * (runners/tracing.ts), and nothing loads otherwise. Installing it wraps
 * `pg.Client#query` (sql.ts), listens to Node's HTTP diagnostics channels
 * (http.ts), captures printed output (logs.ts) and listens to the session's
 * spaces (session/events.ts); each runner's binding then opens and closes
 * its tests' traces with what is exported here.
 */
import { listenToSpaces } from '../session/events.js';
import { captureHttp } from './http.js';
import { captureLogs } from './logs.js';
import { bindDatabase, currentTrace, spaceReleased } from './recorder.js';
import { captureSql } from './sql.js';

export { beginTraceRun, endTraceRun } from './run-trace.js';
export { endTrace, startTrace, type OpenTrace } from './recorder.js';
export { captureOutput, recordLogLine } from './logs.js';
export { traceMochaRunner } from './mocha.js';

let installed = false;

/** Starts capturing, in this process: SQL, HTTP, printed output, and each test's spaces. Idempotent. */
export function installTrace(): void {
  if (installed) return;
  installed = true;
  captureSql();
  captureHttp();
  captureLogs();
  listenToSpaces({
    acquiring() {
      const step = currentTrace()?.begin('step', 'space: acquire');
      return (space) => {
        step?.({ text: `space: ${space.name} ready, ${space.origin}` });
        bindDatabase(space.database, space.name, space.origin);
      };
    },
    released: spaceReleased,
  });
}
