/**
 * The trace is a plug-in (trace/plugin.ts), loaded only when the run traces:
 * with PGSPACE_TRACE=0 none of its modules is loaded and nothing is wrapped.
 * A runner binding awaits loadTrace() in a hook before its tests, then uses
 * trace() where it cannot wait.
 */
import { processWide } from '../common/process-wide.js';

type TracePlugin = typeof import('../trace/plugin.js');

// Process-wide, so that every copy of this module sees the one plug-in (common/process-wide.ts).
const state = processWide('tracePlugin', () => ({}) as { loading?: Promise<TracePlugin | undefined>; loaded?: TracePlugin });

/** The trace plug-in, loaded and installed in this process on the first call; undefined when the run does not trace. */
export function loadTrace(): Promise<TracePlugin | undefined> {
  state.loading ??=
    process.env.PGSPACE_TRACE === '0'
      ? Promise.resolve(undefined)
      : import('../trace/plugin.js').then((plugin) => {
          plugin.installTrace();
          return (state.loaded = plugin);
        });
  return state.loading;
}

/** The trace plug-in once loadTrace() has resolved; undefined before, or when the run does not trace. */
export function trace(): TracePlugin | undefined {
  return state.loaded;
}

/**
 * A stream for a service's logger: each line it writes goes into the trace
 * of the running test (and nowhere else), so tests can turn the service's
 * logs on without filling the console. Without the trace, lines go nowhere.
 *
 *     buildService(config, { logger: { level: 'info', stream: traceLogStream() } })
 */
export function traceLogStream(): { write(line: string): void } {
  return { write: (line: string) => state.loaded?.recordLogLine(line) };
}
