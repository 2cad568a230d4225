import { expect } from 'chai';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { newSpace, traceLogStream, type Space } from '../../internal/integration/index.js';
import { loadTrainingsConfig } from '../../src/trainings/config.js';
import { buildTrainingsService } from '../../src/trainings/service.js';
import { interceptOutboundHttp, type OutboundHttp } from '../support/outbound-http.js';
import { tableRows } from './refusal.js';
import { mockUsersService, type UsersServiceMock } from './users-service-mock.js';

// The trainings service through its HTTP API, with a real Postgres space and
// the users service declared at its HTTP boundary (any other outbound call
// fails the test). The service's logs go into each test's trace
// (reports/trace/index.html), not the console.

const now = new Date('2030-01-07T10:00:00Z');
const hour = '2030-01-09T12:00:00.000Z';
const soon = '2030-01-07T14:00:00.000Z'; // less than 24 h away: cancelling is not refunded
const coach = { 'x-user-id': 'coach', 'x-user-role': 'trainer' };
const ann = { 'x-user-id': 'ann', 'x-user-role': 'attendee' };
const bob = { 'x-user-id': 'bob', 'x-user-role': 'attendee' };

describe('trainings API', function () {
  let space: Space;
  let http: OutboundHttp;
  let users: UsersServiceMock;
  let api: FastifyInstance;
  const service = (env: Record<string, string> = {}) =>
    buildTrainingsService(loadTrainingsConfig({ ...space.config.trainings, TRAININGS_USERS_URL: users.url, ...env }), {
      clock: { now: () => now },
      logger: { level: 'info', stream: traceLogStream() },
    });

  beforeEach(async function () {
    space = await newSpace(this);
    http = interceptOutboundHttp();
    users = mockUsersService(http);
    api = service();
  });

  afterEach(async function () {
    await api.close();
    await http.close();
  });

  const publish = (hours: string[]) => api.inject({ method: 'PUT', url: '/trainer/hours', headers: coach, payload: { hours } });
  const book = (who: Record<string, string>, startsAt: string) =>
    api.inject({ method: 'POST', url: '/trainings', headers: who, payload: { trainerId: 'coach', startsAt, notes: 'legs day' } });
  const errorOf = (res: LightMyRequestResponse) => ({ status: res.statusCode, code: res.json().error?.code });

  it('books a published hour: charges the balance, lists the training, takes the hour', async function () {
    users.balances.set('ann', 1);
    expect((await publish([hour])).statusCode).to.equal(204);

    const booked = await book(ann, hour);
    expect(booked.statusCode).to.equal(201);
    expect(booked.json().training).to.include({ trainerId: 'coach', attendeeId: 'ann', startsAt: hour, notes: 'legs day', cancelled: false });
    expect(users.balances.get('ann')).to.equal(0);

    const listed = await api.inject({ method: 'GET', url: '/trainings', headers: ann });
    expect(listed.json().trainings.map((t: { id: string }) => t.id)).to.deep.equal([booked.json().training.id]);
    const free = await api.inject({ method: 'GET', url: `/trainers/coach/hours?from=${now.toISOString()}&to=2030-01-10T00:00:00Z` });
    expect(free.json()).to.deep.equal({ hours: [] });
  });

  it('refunds an early cancellation and frees the hour', async function () {
    users.balances.set('ann', 1);
    await publish([hour]);
    const { training } = (await book(ann, hour)).json();
    const cancelled = await api.inject({ method: 'DELETE', url: `/trainings/${training.id}`, headers: ann });
    expect(cancelled.json()).to.deep.equal({ refunded: true });
    expect(users.balances.get('ann')).to.equal(1);
    expect((await book(bob, hour)).statusCode).to.equal(409); // bob has no balance, but the hour is bookable again
    expect(errorOf(await book(bob, hour)).code).to.equal('insufficient-balance');
  });

  it('does not refund a late cancellation', async function () {
    users.balances.set('ann', 1);
    await publish([soon]);
    const { training } = (await book(ann, soon)).json();
    const cancelled = await api.inject({ method: 'DELETE', url: `/trainings/${training.id}`, headers: ann });
    expect(cancelled.json()).to.deep.equal({ refunded: false });
    expect(users.balances.get('ann')).to.equal(0);
  });

  it('refuses a booking the balance cannot pay, and writes nothing', async function () {
    await publish([hour]);
    expect(errorOf(await book(ann, hour))).to.deep.equal({ status: 409, code: 'insufficient-balance' });
    const listed = await api.inject({ method: 'GET', url: '/trainings', headers: ann });
    expect(listed.json()).to.deep.equal({ trainings: [] });
  });

  for (const status of [500, 503]) {
    it(`answers 502 and writes nothing when the users service answers a booking's payment with ${status}`, async function () {
      users.balances.set('ann', 1);
      await publish([hour]);
      const before = await tableRows(space.pool, ['hours', 'trainings']);
      users.answer = status;
      expect(errorOf(await book(ann, hour))).to.deep.equal({ status: 502, code: 'users-service-unavailable' });
      expect(await tableRows(space.pool, ['hours', 'trainings'])).to.deep.equal(before);
      expect(users.received).to.deep.equal([{ userId: 'ann', change: -1 }]);
    });
  }

  it('answers 502 and writes nothing when the users service answers a refund with 500', async function () {
    users.balances.set('ann', 1);
    await publish([hour]);
    const { training } = (await book(ann, hour)).json();
    const before = await tableRows(space.pool, ['hours', 'trainings']);
    users.answer = 500;
    expect(errorOf(await api.inject({ method: 'DELETE', url: `/trainings/${training.id}`, headers: ann }))).to.deep.equal({ status: 502, code: 'users-service-unavailable' });
    expect(await tableRows(space.pool, ['hours', 'trainings'])).to.deep.equal(before); // still booked, not cancelled
  });

  it('answers 502 and writes nothing when the users service does not answer in time', async function () {
    const slow = mockUsersService(http, { url: 'http://slow-users.test', delayMs: 300 });
    slow.balances.set('ann', 1);
    const impatient = buildTrainingsService(
      loadTrainingsConfig({ ...space.config.trainings, TRAININGS_USERS_URL: slow.url, TRAININGS_USERS_TIMEOUT_MS: '50' }),
      { clock: { now: () => now }, logger: { level: 'info', stream: traceLogStream() } },
    );
    try {
      expect((await impatient.inject({ method: 'PUT', url: '/trainer/hours', headers: coach, payload: { hours: [hour] } })).statusCode).to.equal(204);
      const before = await tableRows(space.pool, ['hours', 'trainings']);
      const res = await impatient.inject({ method: 'POST', url: '/trainings', headers: ann, payload: { trainerId: 'coach', startsAt: hour, notes: '' } });
      expect(errorOf(res)).to.deep.equal({ status: 502, code: 'users-service-unavailable' });
      expect(res.json().error.message).to.match(/slow-users\.test unreachable: .*(timeout|aborted)/i);
      expect(await tableRows(space.pool, ['hours', 'trainings'])).to.deep.equal(before);
    } finally {
      await impatient.close();
    }
  });

  it('lets one of two simultaneous bookings of an hour through', async function () {
    users.balances.set('ann', 1);
    users.balances.set('bob', 1);
    await publish([hour]);
    const results = await Promise.all([book(ann, hour), book(bob, hour)]);
    expect(results.map((r) => r.statusCode).sort()).to.deep.equal([201, 409]);
    expect([...users.balances.values()].sort()).to.deep.equal([0, 1]);
  });

  it('reports healthy when its database answers', async function () {
    const res = await api.inject({ method: 'GET', url: '/health' });
    expect(res.json()).to.deep.equal({ status: 'ok' });
  });
});
