/**
 * The trace of each test in this process: what it did (SQL, HTTP, logs, its
 * steps), in order, with timings. Runner bindings say when a test starts and
 * ends; the capture modules (sql.ts, http.ts, logs.ts) add events. A finished
 * test is appended, one JSON line, to this process's file in the run's parts
 * directory; the run's main process turns the parts into the page (page.ts).
 *
 * Attribution: SQL goes to the test holding the space whose database the
 * client is connected to (exact, whatever the runner does in parallel); HTTP
 * and log lines go to the test running in this process (runners run one test
 * at a time per process unless told otherwise).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { hasProperty, readProperty, textOf } from '../common/errors.js';
import { shown } from './mask.js';

/** Set by the run's main process: where this run's traces are collected (unset: no trace). */
export const TRACE_PARTS_VAR = 'PGSPACE_TRACE_PARTS';

/** Events, and characters, one test may record before the rest are only counted: a runaway loop must not fill the disk or the page. */
export const MAX_EVENTS = 2_000;
export const MAX_TEST_CHARS = 1_048_576;

/** One thing a test did. `at` and `ms` are milliseconds, `at` from the test's start. */
export interface TraceEvent {
  kind: 'sql' | 'http-in' | 'http-out' | 'log' | 'step';
  at: number;
  ms?: number;
  /** One line: the statement, `POST /path → 201`, the log message, the step. */
  text: string;
  /** Labelled details shown when the event is opened: parameters, bodies, headers. */
  detail?: Record<string, string>;
  /** Set when it went wrong: the SQL error, the HTTP error or 5xx, an error log. */
  error?: string;
}

/** A failing test's error, as the page shows it. */
export interface TraceError {
  message: string;
  stack?: string;
  expected?: string;
  actual?: string;
}

/** A space the test held, and whether it was kept. */
export interface TraceSpace {
  name: string;
  kept: boolean;
  psql?: string;
  /** A fresh clone, or recycled from which earlier tests (session.ts, lineage). */
  origin?: string;
}

/** One test's trace, as written to the parts and read by the page. */
export interface TestTrace {
  title: string;
  file?: string;
  runner: string;
  state: 'passed' | 'failed' | 'skipped';
  startedAt: number;
  ms: number;
  error?: TraceError;
  spaces: TraceSpace[];
  events: TraceEvent[];
  /** Events past MAX_EVENTS or MAX_TEST_CHARS, not recorded. */
  cut: number;
}

/** A test being traced. */
export class OpenTrace {
  readonly data: TestTrace;
  private readonly t0 = performance.now();
  private chars = 0;

  constructor(title: string, runner: string, file?: string) {
    this.data = { title, file, runner, state: 'passed', startedAt: Date.now(), ms: 0, spaces: [], events: [], cut: 0 };
  }

  /** Milliseconds since the test started. */
  now(): number {
    return round(performance.now() - this.t0);
  }

  /** Records `event`, masked and cut (see mask.ts), or counts it once the test has recorded too much. */
  add(event: Omit<TraceEvent, 'at'> & { at?: number }): void {
    if (this.data.events.length >= MAX_EVENTS || this.chars >= MAX_TEST_CHARS) {
      this.data.cut++;
      return;
    }
    const detail = event.detail && Object.fromEntries(Object.entries(event.detail).map(([k, v]) => [k, shown(v)]));
    const recorded: TraceEvent = {
      ...event,
      at: event.at ?? this.now(),
      text: shown(event.text),
      detail,
      error: event.error === undefined ? undefined : shown(event.error),
    };
    this.chars += recorded.text.length + (recorded.error?.length ?? 0) + Object.values(detail ?? {}).reduce((n, v) => n + v.length, 0);
    this.data.events.push(recorded);
  }

  /** Starts a timed event; call the returned function when it is over, with what to add to it. */
  begin(kind: TraceEvent['kind'], text: string, detail?: Record<string, string>): (more?: Partial<TraceEvent>) => void {
    const at = this.now();
    return (more = {}) => {
      const all = { ...detail, ...more.detail };
      this.add({ kind, text, ...more, at, ms: round(this.now() - at), detail: Object.keys(all).length > 0 ? all : undefined });
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

let current: OpenTrace | undefined;
const byDatabase = new Map<string, OpenTrace>();

/** Whether this process records traces: a run is collecting them, and PGSPACE_TRACE is not 0. */
export function tracing(): boolean {
  return !!process.env[TRACE_PARTS_VAR] && process.env.PGSPACE_TRACE !== '0';
}

/** Starts tracing a test; it becomes the one HTTP and logs are attributed to. */
export function startTrace(title: string, runner: string, file?: string): OpenTrace | undefined {
  if (!tracing()) return undefined;
  current = new OpenTrace(title, runner, file && path.relative(process.cwd(), file));
  return current;
}

/** The test running in this process, if it is traced. */
export function currentTrace(): OpenTrace | undefined {
  return current;
}

/** The trace of the test holding the space whose database is `database`. */
export function traceOfDatabase(database: string | undefined): OpenTrace | undefined {
  return database === undefined ? undefined : byDatabase.get(database);
}

/** Attributes SQL on `database` to the running test (called when the test is given that space, made as `origin` says). */
export function bindDatabase(database: string, name: string, origin?: string): void {
  if (!current) return;
  byDatabase.set(database, current);
  current.data.spaces.push({ name, kept: false, origin });
}

/** Records what became of a test's space (kept, under which name) and stops attributing its SQL. */
export function spaceReleased(database: string, kept?: { name: string; psql: string }): void {
  const trace = byDatabase.get(database);
  byDatabase.delete(database);
  const entry = trace?.data.spaces.find((s) => s.name === database);
  if (entry && kept) Object.assign(entry, { kept: true, name: kept.name, psql: shown(kept.psql) });
}

/** Ends `trace` and writes it to this process's part. */
export function endTrace(trace: OpenTrace | undefined, state: TestTrace['state'], error?: unknown): void {
  if (!trace) return;
  if (current === trace) current = undefined;
  for (const [db, t] of byDatabase) if (t === trace) byDatabase.delete(db);
  trace.data.ms = trace.now();
  trace.data.events.sort((a, b) => a.at - b.at); // timed events are added when they end
  trace.data.state = state;
  trace.data.title = shown(trace.data.title);
  if (error !== undefined) trace.data.error = shownError(traceError(error));
  const dir = process.env[TRACE_PARTS_VAR];
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
    appendFileSync(path.join(dir, `${process.pid}.jsonl`), `${JSON.stringify(trace.data)}\n`);
  } catch {
    /* a trace that cannot be written is not a test failure */
  }
}

/**
 * What the page shows of a failure: message, stack, and expected/actual when
 * the assertion has them. Total: a test may throw anything (a null-prototype
 * object, as Vitest's own errors are; a Proxy whose traps throw; a Symbol), and
 * this runs inside the runner's hooks, where throwing would hang or add an error.
 */
export function traceError(err: unknown): TraceError {
  const message = readProperty(err, 'message');
  const out: TraceError = { message: message === undefined ? textOf(err) : textOf(message) };
  const stack = readProperty(err, 'stack');
  if (typeof stack === 'string') out.stack = stack;
  if (readProperty(err, 'showDiff') !== false && (hasProperty(err, 'expected') || hasProperty(err, 'actual'))) {
    out.expected = show(readProperty(err, 'expected'));
    out.actual = show(readProperty(err, 'actual'));
  }
  return out;
}

function shownError(error: TraceError): TraceError {
  return Object.fromEntries(Object.entries(error).map(([k, v]) => [k, shown(v)])) as unknown as TraceError;
}

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? textOf(value);
  } catch {
    return textOf(value);
  }
}
