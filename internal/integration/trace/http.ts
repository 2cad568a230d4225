/**
 * HTTP capture, from Node's diagnostics channels (no change to the code under
 * test): requests into a service (fastify's, `inject()` and real sockets
 * alike; any other node:http server), and calls going out (fetch/undici and
 * node:http clients). Each becomes one event of the running test: method, URL,
 * status, duration, headers with credentials masked, bodies cut.
 */
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import { messageOf } from '../common/errors.js';
import { asText, headerLines, ITEM_CHARS } from './mask.js';
import { currentTrace, tracing, type TraceEvent } from './recorder.js';

type Done = (more?: Partial<TraceEvent>) => void;

/** A request in flight: how to finish its event, and what was seen of it so far. */
interface Flight {
  done: Done;
  text: string;
  detail: Record<string, string>;
  sent: string;
  received: string;
}

const flights = new WeakMap<object, Flight>();
/** Incoming requests fastify's hooks report (so the node:http channel does not report them twice). */
const seenByFastify = new WeakSet<object>();

function begin(key: object, kind: TraceEvent['kind'], text: string, detail: Record<string, string> = {}): void {
  const trace = currentTrace();
  if (!trace) return;
  flights.set(key, { done: trace.begin(kind, text), text, detail, sent: '', received: '' });
}

function append(current: string, chunk: unknown): string {
  return current.length > 2 * ITEM_CHARS ? current : current + asText(chunk); // enough to cut (and mask) at ITEM_CHARS
}

function finish(key: object, status: number | undefined, error?: unknown): void {
  const flight = flights.get(key);
  if (!flight) return;
  flights.delete(key);
  const detail = { ...flight.detail };
  if (flight.sent) detail['request body'] = flight.sent;
  if (flight.received) detail['response body'] = flight.received;
  const failed = error !== undefined ? messageOf(error) : status !== undefined && status >= 500 ? `HTTP ${status}` : undefined;
  flight.done({ text: `${flight.text} → ${status ?? 'no response'}`, detail, error: failed });
}

/** Calls going out through fetch (undici). */
function watchUndici(): void {
  type UndiciRequest = { method: string; origin: string; path: string; headers: unknown; body?: unknown };
  dc.subscribe('undici:request:create', (m) => {
    const { request } = m as { request: UndiciRequest };
    begin(request, 'http-out', `${request.method} ${request.origin}${request.path}`, { 'request headers': headerLines(request.headers) });
    const flight = flights.get(request);
    if (flight && (typeof request.body === 'string' || request.body instanceof Uint8Array)) flight.sent = asText(request.body);
  });
  dc.subscribe('undici:request:bodyChunkSent', (m) => {
    const { request, chunk } = m as { request: object; chunk: unknown };
    const flight = flights.get(request);
    if (flight) flight.sent = append(flight.sent, chunk);
  });
  dc.subscribe('undici:request:headers', (m) => {
    const { request, response } = m as { request: object; response: { statusCode: number; headers: unknown } };
    const flight = flights.get(request);
    if (!flight) return;
    flight.detail.status = String(response.statusCode);
    flight.detail['response headers'] = headerLines(response.headers);
  });
  dc.subscribe('undici:request:bodyChunkReceived', (m) => {
    const { request, chunk } = m as { request: object; chunk: unknown };
    const flight = flights.get(request);
    if (flight) flight.received = append(flight.received, chunk);
  });
  dc.subscribe('undici:request:trailers', (m) => {
    const { request } = m as { request: object };
    const status = Number(flights.get(request)?.detail.status);
    finish(request, Number.isNaN(status) ? undefined : status);
  });
  dc.subscribe('undici:request:error', (m) => {
    const { request, error } = m as { request: object; error: unknown };
    finish(request, undefined, error);
  });
}

/** Calls going out through node:http / node:https. */
function watchHttpClient(): void {
  dc.subscribe('http.client.request.start', (m) => {
    const { request } = m as { request: http.ClientRequest };
    const url = `${request.protocol}//${request.host}${request.path}`;
    begin(request, 'http-out', `${request.method} ${url}`, { 'request headers': headerLines(request.getHeaders()) });
  });
  dc.subscribe('http.client.response.finish', (m) => {
    const { request, response } = m as { request: object; response: http.IncomingMessage };
    finish(request, response.statusCode);
  });
  dc.subscribe('http.client.request.error', (m) => {
    const { request, error } = m as { request: object; error: unknown };
    finish(request, undefined, error);
  });
}

/** Requests into any node:http server that is not fastify's. */
function watchHttpServer(): void {
  dc.subscribe('http.server.request.start', (m) => {
    const { request } = m as { request: http.IncomingMessage };
    begin(request, 'http-in', `${request.method} ${request.url}`, { 'request headers': headerLines(request.headers) });
  });
  dc.subscribe('http.server.response.finish', (m) => {
    const { request, response } = m as { request: http.IncomingMessage; response: http.ServerResponse };
    if (seenByFastify.has(request)) flights.delete(request);
    else finish(request, response.statusCode);
  });
}

type FastifyLike = {
  addHook(name: string, hook: (...args: never[]) => Promise<unknown>): unknown;
};
type FastifyRequestLike = { raw: object; method: string; url: string; headers: unknown; body?: unknown };

/** Requests into fastify, `inject()` included, with their bodies: hooks added to every instance as it is made. */
function watchFastify(): void {
  dc.subscribe('fastify.initialization', (m) => {
    if (!tracing()) return;
    const { fastify } = m as { fastify: FastifyLike };
    fastify.addHook('onRequest', async (request: FastifyRequestLike) => {
      seenByFastify.add(request.raw);
      const how = request.raw instanceof http.IncomingMessage ? '' : ' (inject)';
      begin(request, 'http-in', `${request.method} ${request.url}${how}`, { 'request headers': headerLines(request.headers) });
    });
    fastify.addHook('onSend', async (request: FastifyRequestLike, _reply: never, payload: unknown) => {
      const flight = flights.get(request);
      if (flight) {
        if (request.body !== undefined) flight.sent = asText(request.body);
        if (typeof payload === 'string' || payload instanceof Uint8Array) flight.received = asText(payload);
      }
      return payload;
    });
    fastify.addHook('onResponse', async (request: FastifyRequestLike, reply: { statusCode: number }) => {
      finish(request, reply.statusCode);
    });
  });
}

let watching = false;

/** Starts capturing HTTP (idempotent). */
export function captureHttp(): void {
  if (watching) return;
  watching = true;
  watchUndici();
  watchHttpClient();
  watchHttpServer();
  watchFastify();
}
