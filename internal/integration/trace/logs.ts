/**
 * Log capture: what a test and the code it runs print while it runs (console,
 * process.stdout/stderr — still printed as usual), and what a service's logger
 * writes to traceLogStream() (recorded only). JSON lines (pino, fastify's
 * logger) are shown by level and message, with the whole line when opened.
 */
import { shown } from './mask.js';
import { currentTrace, tracing } from './recorder.js';

const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

let capturing = false;
let inConsole = false;

/** Turns capture of printed output on while a test's body or hooks run, and off while the runner prints its report. */
export function captureOutput(on: boolean): void {
  capturing = on;
}

function record(chunk: unknown, source: string): void {
  const trace = currentTrace();
  if (!trace) return;
  const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parsed = parseJsonLine(line);
    if (parsed) {
      const level = PINO_LEVELS[Number(parsed.level)] ?? String(parsed.level ?? source);
      const { level: _l, time: _t, pid: _p, hostname: _h, msg, ...rest } = parsed;
      const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
      trace.add({
        kind: 'log',
        text: shown(`${level}: ${String(msg ?? '')}${fields}`, 300),
        detail: { line },
        error: Number(parsed.level) >= 50 ? String(parsed.msg ?? level) : undefined,
      });
    } else {
      trace.add({ kind: 'log', text: `${source}: ${line}` });
    }
  }
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    return value && typeof value === 'object' && ('msg' in value || 'level' in value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const PATCHED = Symbol.for('pgspace.traceLogs');

/** Starts capturing printed output (idempotent; records only while captureOutput(true)). */
export function captureLogs(): void {
  const marked = process as NodeJS.Process & { [PATCHED]?: true };
  if (marked[PATCHED]) return;
  marked[PATCHED] = true;
  // A node:test child process speaks its runner's protocol on stdout: only its console calls are log lines.
  const streams = process.env.NODE_TEST_CONTEXT
    ? []
    : ([
        [process.stdout, 'stdout'],
        [process.stderr, 'stderr'],
      ] as const);
  for (const [stream, source] of streams) {
    const write = stream.write;
    stream.write = function (this: typeof stream, chunk: unknown, ...rest: unknown[]) {
      if (capturing && !inConsole) record(chunk, source);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method];
    console[method] = function (...args: unknown[]) {
      if (capturing) record(args.map((a) => (typeof a === 'string' ? a : safeInspect(a))).join(' '), `console.${method}`);
      inConsole = true;
      try {
        return original.apply(this, args);
      } finally {
        inConsole = false;
      }
    };
  }
}

function safeInspect(value: unknown): string {
  try {
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}

/** Records one line a service's logger wrote to traceLogStream() (runners/tracing.ts) in the running test's trace. */
export function recordLogLine(line: string): void {
  if (tracing()) record(line, 'log');
}
