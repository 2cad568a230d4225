import { expect } from 'chai';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { type Space } from '../../internal/integration/index.js';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { loadTrainingsConfig } from '../../src/trainings/config.js';
import { buildTrainingsService } from '../../src/trainings/service.js';
import { interceptOutboundHttp, type OutboundHttp } from '../support/outbound-http.js';
import { mockUsersService, type UsersServiceMock } from './users-service-mock.js';
import { expectRefusal, tableRows, type HostileCase } from './refusal.js';

// Hostile input, route by route: each request gets its 4xx in the standard error shape
// (never a 500), and neither the database nor the users service changes.

const now = new Date('2030-01-07T10:00:00Z');
const hour = '2030-01-09T12:00:00.000Z';
const free = '2030-01-09T13:00:00.000Z';
const coach = { 'x-user-id': 'coach', 'x-user-role': 'trainer' };
const ann = { 'x-user-id': 'ann', 'x-user-role': 'attendee' };
const bob = { 'x-user-id': 'bob', 'x-user-role': 'attendee' };
const NUL = '\u0000';
const LONE_SURROGATE = '\ud800';
const SQL = `coach'; DROP TABLE hours; --`;

interface Ctx {
  api: FastifyInstance;
  /** ann's booked training. */
  trainingId: string;
}

const send = (ctx: Ctx, options: InjectOptions) => ctx.api.inject(options);
const publish =
  (body: unknown, headers: Record<string, string> = coach) =>
  (ctx: Ctx) =>
    send(ctx, { method: 'PUT', url: '/trainer/hours', headers, payload: body as object });
const book =
  (body: unknown, headers: Record<string, string> = ann) =>
  (ctx: Ctx) =>
    send(ctx, { method: 'POST', url: '/trainings', headers, payload: body as object });
const hours = (url: string) => (ctx: Ctx) => send(ctx, { method: 'GET', url });
const raw =
  (method: 'PUT' | 'POST', url: string, payload: string, contentType = 'application/json', headers = coach) =>
  (ctx: Ctx) =>
    send(ctx, { method, url, headers: { ...headers, 'content-type': contentType }, payload });

const cases: Record<string, HostileCase<Ctx>[]> = {
  'PUT /trainer/hours': [
    { name: 'hours as a string, not a list', request: publish({ hours: free }), status: 400, code: 'invalid-request' },
    { name: 'no hours', request: publish({ hours: [] }), status: 400, code: 'invalid-request' },
    { name: 'a number for an hour', request: publish({ hours: [1893585600000] }), status: 400, code: 'invalid-request' },
    { name: 'null for an hour', request: publish({ hours: [null] }), status: 400, code: 'invalid-request' },
    { name: 'a leap second', request: publish({ hours: ['2030-06-30T23:59:60Z'] }), status: 400, code: 'invalid-request' },
    { name: 'February 30th', request: publish({ hours: ['2030-02-30T12:00:00Z'] }), status: 400, code: 'invalid-request' },
    { name: 'a time without an offset', request: publish({ hours: ['2030-01-09T13:00:00'] }), status: 400, code: 'invalid-request' },
    { name: 'a six-digit year', request: publish({ hours: ['+102030-01-09T13:00:00Z'] }), status: 400, code: 'invalid-request' },
    { name: '501 hours', request: publish({ hours: Array(501).fill(free) }), status: 400, code: 'invalid-request' },
    { name: 'a missing field', request: publish({}), status: 400, code: 'invalid-request' },
    { name: 'an unknown field', request: publish({ hours: [free], extra: 1 }), status: 400, code: 'invalid-request' },
    { name: 'a list for a body', request: publish([free]), status: 400, code: 'invalid-request' },
    { name: 'null for a body', request: raw('PUT', '/trainer/hours', 'null'), status: 400, code: 'invalid-request' },
    {
      name: 'a 1 MB body',
      request: raw('PUT', '/trainer/hours', JSON.stringify({ hours: [free], pad: 'x'.repeat(1 << 20) })),
      status: 413,
      code: 'payload-too-large',
    },
    {
      name: 'a body that is not JSON',
      request: raw('PUT', '/trainer/hours', 'hours=x', 'text/csv'),
      status: 415,
      code: 'unsupported-media-type',
    },
    { name: 'an hour off the full hour', request: publish({ hours: ['2030-01-09T13:30:00Z'] }), status: 422, code: 'invalid-hour' },
    { name: 'an hour in the past', request: publish({ hours: ['2020-01-09T13:00:00Z'] }), status: 422, code: 'invalid-hour' },
    { name: 'an attendee publishing', request: publish({ hours: [free] }, ann), status: 403, code: 'not-allowed' },
    {
      name: 'a user id of 201 characters',
      request: publish({ hours: [free] }, { ...coach, 'x-user-id': 'c'.repeat(201) }),
      status: 400,
      code: 'invalid-request',
    },
    { name: 'an empty user id', request: publish({ hours: [free] }, { ...coach, 'x-user-id': '' }), status: 400, code: 'invalid-request' },
  ],
  'GET /trainers/:trainerId/hours': [
    {
      name: 'a NUL in the trainer id',
      request: hours(`/trainers/co%00ach/hours?from=${hour}&to=${free}`),
      status: 400,
      code: 'invalid-request',
    },
    {
      name: 'a leap second',
      request: hours(`/trainers/coach/hours?from=2030-06-30T23:59:60Z&to=${free}`),
      status: 400,
      code: 'invalid-request',
    },
    {
      name: 'a date that is not a date',
      request: hours(`/trainers/coach/hours?from=tomorrow&to=${free}`),
      status: 400,
      code: 'invalid-request',
    },
    { name: 'a missing bound', request: hours(`/trainers/coach/hours?from=${hour}`), status: 400, code: 'invalid-request' },
    {
      name: 'a bound given twice',
      request: hours(`/trainers/coach/hours?from=${hour}&from=${hour}&to=${free}`),
      status: 400,
      code: 'invalid-request',
    },
    {
      name: 'an unknown parameter',
      request: hours(`/trainers/coach/hours?from=${hour}&to=${free}&limit=1`),
      status: 400,
      code: 'invalid-request',
    },
    {
      name: 'a broken percent-encoding',
      request: hours(`/trainers/%E0%A4%A/hours?from=${hour}&to=${free}`),
      status: 400,
      code: 'bad-request',
    },
  ],
  'POST /trainings': [
    { name: 'a NUL in the trainer id', request: book({ trainerId: `co${NUL}ach`, startsAt: free }), status: 400, code: 'invalid-request' },
    {
      name: 'a NUL in the notes',
      request: book({ trainerId: 'coach', startsAt: free, notes: `legs${NUL}` }),
      status: 400,
      code: 'invalid-request',
    },
    {
      name: 'an unpaired surrogate in the notes',
      request: book({ trainerId: 'coach', startsAt: free, notes: `legs${LONE_SURROGATE}` }),
      status: 400,
      code: 'invalid-request',
    },
    { name: 'a number for the trainer id', request: book({ trainerId: 7, startsAt: free }), status: 400, code: 'invalid-request' },
    { name: 'an empty trainer id', request: book({ trainerId: '', startsAt: free }), status: 400, code: 'invalid-request' },
    {
      name: 'a trainer id of 201 characters',
      request: book({ trainerId: 'c'.repeat(201), startsAt: free }),
      status: 400,
      code: 'invalid-request',
    },
    {
      name: 'notes of 1001 characters',
      request: book({ trainerId: 'coach', startsAt: free, notes: 'n'.repeat(1001) }),
      status: 400,
      code: 'invalid-request',
    },
    { name: 'null notes', request: book({ trainerId: 'coach', startsAt: free, notes: null }), status: 400, code: 'invalid-request' },
    {
      name: 'a leap second',
      request: book({ trainerId: 'coach', startsAt: '2030-06-30T23:59:60Z' }),
      status: 400,
      code: 'invalid-request',
    },
    {
      name: 'February 30th',
      request: book({ trainerId: 'coach', startsAt: '2030-02-30T12:00:00Z' }),
      status: 400,
      code: 'invalid-request',
    },
    {
      name: 'a trainer id that looks like SQL',
      request: book({ trainerId: SQL, startsAt: free }),
      status: 409,
      code: 'hour-not-available',
    },
    {
      name: 'a unicode trainer id nobody has',
      request: book({ trainerId: 'тренер 🏋️‍♀️', startsAt: free, notes: '💪' }),
      status: 409,
      code: 'hour-not-available',
    },
    { name: 'an hour already taken', request: book({ trainerId: 'coach', startsAt: hour }, bob), status: 409, code: 'hour-not-available' },
    {
      name: 'malformed JSON',
      request: raw('POST', '/trainings', '{"trainerId":', 'application/json', ann),
      status: 400,
      code: 'bad-request',
    },
    { name: 'an empty JSON body', request: raw('POST', '/trainings', '', 'application/json', ann), status: 400, code: 'bad-request' },
    {
      name: 'an unknown role',
      request: book({ trainerId: 'coach', startsAt: free }, { 'x-user-id': 'ann', 'x-user-role': 'admin' }),
      status: 400,
      code: 'invalid-request',
    },
    { name: 'no user headers', request: book({ trainerId: 'coach', startsAt: free }, {}), status: 400, code: 'invalid-request' },
    { name: 'a trainer booking', request: book({ trainerId: 'coach', startsAt: free }, coach), status: 403, code: 'not-allowed' },
  ],
  'DELETE /trainings/:id': [
    {
      name: 'an id that is not a uuid',
      request: (ctx) => send(ctx, { method: 'DELETE', url: '/trainings/42', headers: ann }),
      status: 404,
      code: 'training-not-found',
    },
    {
      name: 'an id that looks like SQL',
      request: (ctx) => send(ctx, { method: 'DELETE', url: `/trainings/${encodeURIComponent("1' OR '1'='1")}`, headers: ann }),
      status: 404,
      code: 'training-not-found',
    },
    {
      name: 'a NUL in the id',
      request: (ctx) => send(ctx, { method: 'DELETE', url: `/trainings/${ctx.trainingId}%00`, headers: ann }),
      status: 400,
      code: 'invalid-request',
    },
    {
      name: "someone else's training",
      request: (ctx) => send(ctx, { method: 'DELETE', url: `/trainings/${ctx.trainingId}`, headers: bob }),
      status: 404,
      code: 'training-not-found',
    },
  ],
  'GET /trainings': [
    { name: 'no user headers', request: (ctx) => send(ctx, { method: 'GET', url: '/trainings' }), status: 400, code: 'invalid-request' },
    {
      name: 'a trainer listing',
      request: (ctx) => send(ctx, { method: 'GET', url: '/trainings', headers: coach }),
      status: 403,
      code: 'not-allowed',
    },
  ],
  'anything else': [{ name: 'an unknown route', request: hours('/nope'), status: 404, code: 'not-found' }],
};

// One service for the file, each test's queries in its own space (README, "Component tests").
describe('trainings API: hostile input', function () {
  let space: Space;
  let http: OutboundHttp;
  let users: UsersServiceMock;
  const ctx = {} as Ctx;

  beforeEach(async function () {
    space = await newSpace(this);
    http = interceptOutboundHttp();
    users = mockUsersService(http);
    ctx.api ??= buildTrainingsService(loadTrainingsConfig({ ...space.config.trainings, TRAININGS_USERS_URL: users.url }), {
      clock: { now: () => now },
      database: () => space.pool,
    });
    // Something to break: two published hours, one of them booked by ann.
    users.balances.set('ann', 5);
    expect((await publish({ hours: [hour, free] })(ctx)).statusCode).to.equal(204);
    const booked = await book({ trainerId: 'coach', startsAt: hour })(ctx);
    ctx.trainingId = booked.json().training.id;
  });

  afterEach(async function () {
    await http.close();
  });

  after(async function () {
    await ctx.api?.close();
  });

  for (const [route, list] of Object.entries(cases)) {
    describe(route, function () {
      for (const c of list) {
        it(`${c.status} ${c.code} for ${c.name}, writing nothing`, async function () {
          const before = { rows: await tableRows(space.pool, ['hours', 'trainings']), balances: [...users.balances] };
          expectRefusal(await c.request(ctx), c.status, c.code);
          expect({ rows: await tableRows(space.pool, ['hours', 'trainings']), balances: [...users.balances] }).to.deep.equal(before);
        });
      }
    });
  }
});
