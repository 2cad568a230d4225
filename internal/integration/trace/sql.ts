/**
 * SQL capture: every query any pg client of this process sends to a space's
 * database (the test's `space.pool`, a service's own pool built from
 * `space.config`, a bare `pg.Client`) goes into the trace of the test holding
 * that space: text, parameters (cut), duration, rows or error.
 *
 * Why a wrap of pg.Client#query: it sees every client of every pool with no
 * change to the code under test, and the client knows its database, which
 * names the space, so attribution is exact even with tests in parallel. A
 * server-side log would need the server's files (not ours in Docker or on a
 * shared server); OpenTelemetry's pg instrumentation needs a tracer SDK and
 * its module loader hooks for the same facts.
 */
import { pgClientClasses } from '../session/client-guard.js';
import { asText, PARAM_CHARS, shown } from './mask.js';
import { traceOfDatabase, type TraceEvent } from './recorder.js';

const PATCHED = Symbol.for('pgspace.traceSql');

type QueryResultLike = { rowCount?: number | null; command?: string };

function rowsOf(result: unknown): string {
  const results = (Array.isArray(result) ? result : [result]) as QueryResultLike[];
  return results.map((r) => `${r?.command ?? ''} ${r?.rowCount ?? ''}`.trim()).join('; ');
}

function errorOf(err: unknown): string {
  const e = err as { message?: string; code?: string; position?: string };
  return `${e?.message ?? String(err)}${e?.code ? ` (SQLSTATE ${e.code})` : ''}`;
}

/** The text and parameters of a query() call, whichever of pg's call shapes it uses. */
function statementOf(args: unknown[]): { text: string; values?: unknown[] } {
  const [first, second] = args;
  const config = (typeof first === 'object' && first !== null ? first : {}) as { text?: unknown; values?: unknown[]; name?: string };
  const text =
    typeof first === 'string'
      ? first
      : typeof config.text === 'string'
        ? config.text
        : config.name
          ? `(prepared ${config.name})`
          : '(query object)';
  const values = Array.isArray(second) ? second : Array.isArray(config.values) ? config.values : undefined;
  return { text, values };
}

function wrap(Client: { prototype: object }): void {
  const proto = Client.prototype as { query: (...args: unknown[]) => unknown; database?: string; [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const query = proto.query;
  proto.query = function (this: { database?: string }, ...args: unknown[]) {
    const trace = traceOfDatabase(this.database);
    if (!trace) return query.apply(this, args);
    const { text, values } = statementOf(args);
    const detail: Record<string, string> = {};
    if (values && values.length > 0) detail.parameters = values.map((v, i) => `$${i + 1} = ${shown(asText(v), PARAM_CHARS)}`).join('\n');
    const done = trace.begin('sql', shown(text.trim()), detail); // cut now: the statement may be megabytes
    const finish = (err: unknown, result?: unknown): void => {
      const more: Partial<TraceEvent> = err ? { error: errorOf(err) } : { detail: { rows: rowsOf(result) } };
      done(more);
    };
    const callbackAt = args.findIndex((a) => typeof a === 'function');
    if (callbackAt >= 0) {
      const callback = args[callbackAt] as (err: unknown, result?: unknown) => void;
      args[callbackAt] = (err: unknown, result?: unknown) => (finish(err, result), callback(err, result));
    }
    const returned = query.apply(this, args) as { then?: unknown; on?: unknown } | undefined;
    if (callbackAt >= 0) return returned;
    if (returned && typeof returned.then === 'function') {
      // The caller gets this derived promise, so an unhandled rejection stays unhandled, as without the trace.
      return (returned as Promise<unknown>).then(
        (result) => (finish(undefined, result), result),
        (err: unknown) => {
          finish(err);
          throw err;
        },
      );
    }
    if (returned && typeof returned.on === 'function') {
      // A submittable (cursor, stream, COPY) is over when it ends or fails. Its emit is watched rather than
      // listened to: an 'error' listener would swallow an error its owner does not handle.
      const emitter = returned as { emit: (event: string | symbol, ...rest: unknown[]) => boolean };
      const emit = emitter.emit;
      let over = false;
      emitter.emit = function (event, ...rest) {
        if (!over && (event === 'end' || event === 'finish' || event === 'error')) {
          over = true;
          finish(event === 'error' ? rest[0] : undefined);
        }
        return emit.call(this, event, ...rest);
      };
    }
    return returned;
  };
  proto[PATCHED] = true;
}

/** Starts capturing SQL on spaces (idempotent). */
export function captureSql(): void {
  for (const Client of pgClientClasses()) wrap(Client);
}
