/**
 * A load on the trainings API, over HTTP only, so it can drive services on a
 * space (npm run load) as well as the production images (make load): each
 * connection plays attendees who, over and over, list the trainer's free
 * hours, book their own hour and cancel it (early: refunded, so the balance
 * lasts), for a bounded time. autocannon's programmatic API drives it; the
 * figures are checked against the objectives in slo.json.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { callApi, serviceTime, type Caller } from '../support/api-call.js';

/** Seconds of the same load before the measured run. */
export const WARMUP_SECONDS = 3;

/** The objectives: the 99th percentile of latency, and the share of requests that may fail. */
export interface Slo {
  p99LatencyMs: number;
  maxErrorRate: number;
}

/** What a run measured. */
export interface LoadFigures {
  seconds: number;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
  errorRate: number;
  statusCodes: Record<string, number>;
}

/** The objectives in slo.json. */
export function loadSlo(): Slo {
  return JSON.parse(readFileSync(new URL('slo.json', import.meta.url), 'utf8')) as Slo;
}

/** A setup call that must succeed. */
async function call(base: string, method: string, path: string, body?: unknown, user?: Caller): Promise<void> {
  const res = await callApi(base, method, path, body, user);
  if (res.status >= 400) throw new Error(`setting up the load: ${method} ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
}

/** Runs the load for `seconds` with `connections` attendees at once against the two services. */
export async function driveTrainings({
  trainingsUrl,
  usersUrl,
  seconds,
  connections,
}: {
  trainingsUrl: string;
  usersUrl: string;
  seconds: number;
  connections: number;
}): Promise<LoadFigures> {
  const run = randomUUID().slice(0, 8);
  const coach = { id: `load-coach-${run}`, role: 'trainer' };
  // One hour per attendee, two days ahead by the service's own clock (its Date header), within opening hours.
  const serviceNow = await serviceTime(trainingsUrl);
  const day = new Date(serviceNow.getTime() + 2 * 24 * 3600_000);
  // Slots: an attendee and their hour. A cycle takes a free one and gives it back at its end (autocannon
  // clears a connection's context every cycle, so a slot cannot stay with a connection); twice as many as
  // connections, so one lost with a failed request does not starve the rest.
  const slots = 2 * connections;
  const hours = Array.from({ length: slots }, (_, i) => {
    const at = new Date(day);
    at.setUTCDate(day.getUTCDate() + Math.floor(i / 15));
    at.setUTCHours(6 + (i % 15), 0, 0, 0);
    return at.toISOString();
  });
  await call(trainingsUrl, 'PUT', '/trainer/hours', { hours }, coach);
  const attendees = hours.map((_, i) => ({ id: `load-${run}-${i}`, role: 'attendee' }));
  for (const a of attendees) await call(usersUrl, 'POST', `/users/${a.id}/balance`, { change: 1 });

  const free = hours.map((_, i) => i);
  type Ctx = { slot?: number; training?: string };
  const as = (c: object) => c as Ctx;
  const headersOf = (ctx: Ctx, json = false) => ({
    ...(json ? { 'content-type': 'application/json' } : {}),
    'x-user-id': attendees[ctx.slot!]!.id,
    'x-user-role': 'attendee',
  });
  const result = await autocannon({
    // Unmeasured first: a cold process (JIT, pools, plan caches) would otherwise own a short run's p99.
    // (warmup is in autocannon since 7.7, not in its types)
    ...({ warmup: { connections, duration: WARMUP_SECONDS } } as object),
    url: trainingsUrl,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path: `/trainers/${coach.id}/hours?from=${serviceNow.toISOString()}&to=${new Date(day.getTime() + 7 * 24 * 3600_000).toISOString()}`,
        setupRequest: (req, context) => ((as(context).slot ??= free.shift()), req),
      },
      {
        method: 'POST',
        path: '/trainings',
        setupRequest: (req, context) => ({
          ...req,
          headers: headersOf(as(context), true),
          body: JSON.stringify({ trainerId: coach.id, startsAt: hours[as(context).slot!], notes: 'load' }),
        }),
        onResponse: (status, body, context) => {
          if (status === 201) as(context).training = (JSON.parse(body) as { training: { id: string } }).training.id;
        },
      },
      {
        method: 'DELETE',
        setupRequest: (req, context) => ({ ...req, path: `/trainings/${as(context).training}`, headers: headersOf(as(context)) }),
        onResponse: (_status, _body, context) => void free.push(as(context).slot!),
      },
    ],
  });
  const requests = result.requests.total;
  const errors = result.errors + result.non2xx;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]));
  return {
    seconds: result.duration,
    connections,
    requests,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    errors,
    errorRate: requests > 0 ? errors / requests : 1,
    statusCodes,
  };
}

/** The objectives a run broke, as lines; none when it met them all. */
export function breaches(figures: LoadFigures, slo: Slo): string[] {
  return [
    ...(figures.p99 > slo.p99LatencyMs ? [`p99 latency ${figures.p99} ms is above ${slo.p99LatencyMs} ms`] : []),
    ...(figures.errorRate > slo.maxErrorRate
      ? [`error rate ${(figures.errorRate * 100).toFixed(2)} % is above ${(slo.maxErrorRate * 100).toFixed(2)} %`]
      : []),
    ...(figures.requests === 0 ? ['no request was answered'] : []),
  ];
}

/** The table a run prints. */
export function table(figures: LoadFigures, slo: Slo): string {
  const row = (name: string, value: string, objective = '') => `${name.padEnd(16)} ${value.padStart(12)}  ${objective}`;
  return [
    `trainings API, ${figures.connections} connections for ${figures.seconds} s after ${WARMUP_SECONDS} s of warm-up, each an attendee who lists free hours, books, cancels (early, refunded), over and over`,
    row('requests', String(figures.requests)),
    row('requests/s', figures.requestsPerSecond.toFixed(1)),
    row('latency p50', `${figures.p50} ms`),
    row('latency p90', `${figures.p90} ms`),
    row('latency p99', `${figures.p99} ms`, `objective ≤ ${slo.p99LatencyMs} ms`),
    row('errors', `${figures.errors} (${(figures.errorRate * 100).toFixed(2)} %)`, `objective ≤ ${(slo.maxErrorRate * 100).toFixed(2)} %`),
    row(
      'status codes',
      Object.entries(figures.statusCodes)
        .map(([c, n]) => `${c}×${n}`)
        .join(' '),
    ),
  ].join('\n');
}
