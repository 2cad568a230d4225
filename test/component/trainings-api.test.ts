import { expect } from 'chai';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { traceLogStream, type Space } from '../../internal/integration/index.js';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
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
  let clock = now; // what the service's clock says; a test moves it
  const service = (env: Record<string, string> = {}) =>
    buildTrainingsService(loadTrainingsConfig({ ...space.config.trainings, TRAININGS_USERS_URL: users.url, ...env }), {
      clock: { now: () => clock },
      logger: { level: 'info', stream: traceLogStream() },
    });

  beforeEach(async function () {
    clock = now;
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
    expect(booked.json().training).to.include({
      trainerId: 'coach',
      attendeeId: 'ann',
      startsAt: hour,
      notes: 'legs day',
      cancelled: false,
    });
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

  for (const [who, balance] of [
    ['an attendee with 0 left (users: 409)', 0],
    ['an attendee the users service never topped up (users: 404)', undefined],
  ] as const) {
    it(`refuses a booking the balance cannot pay, for ${who}, and writes nothing`, async function () {
      if (balance !== undefined) users.balances.set('ann', balance);
      await publish([hour]);
      expect(errorOf(await book(ann, hour))).to.deep.equal({ status: 409, code: 'insufficient-balance' });
      const listed = await api.inject({ method: 'GET', url: '/trainings', headers: ann });
      expect(listed.json()).to.deep.equal({ trainings: [] });
    });
  }

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
    expect(errorOf(await api.inject({ method: 'DELETE', url: `/trainings/${training.id}`, headers: ann }))).to.deep.equal({
      status: 502,
      code: 'users-service-unavailable',
    });
    expect(await tableRows(space.pool, ['hours', 'trainings'])).to.deep.equal(before); // still booked, not cancelled
  });

  it('answers 502 and writes nothing when the users service does not answer in time', async function () {
    const slow = mockUsersService(http, { url: 'http://slow-users.test', delayMs: 300 });
    slow.balances.set('ann', 1);
    const impatient = service({ TRAININGS_USERS_URL: slow.url, TRAININGS_USERS_TIMEOUT_MS: '50' });
    try {
      expect(
        (await impatient.inject({ method: 'PUT', url: '/trainer/hours', headers: coach, payload: { hours: [hour] } })).statusCode,
      ).to.equal(204);
      const before = await tableRows(space.pool, ['hours', 'trainings']);
      const res = await impatient.inject({
        method: 'POST',
        url: '/trainings',
        headers: ann,
        payload: { trainerId: 'coach', startsAt: hour, notes: '' },
      });
      expect(errorOf(res)).to.deep.equal({ status: 502, code: 'users-service-unavailable' });
      expect(res.json().error.message).to.match(/slow-users\.test unreachable: .*(timeout|aborted)/i);
      expect(await tableRows(space.pool, ['hours', 'trainings'])).to.deep.equal(before);
    } finally {
      await impatient.close();
    }
  });

  describe("at the edges of time, by the service's clock", function () {
    const later = (ms: number) => new Date(now.getTime() + ms);
    const HOUR = 3600_000;
    const cancelAt = async (when: Date) => {
      users.balances.set('ann', 1);
      await publish([hour]);
      const { training } = (await book(ann, hour)).json();
      clock = when;
      return (await api.inject({ method: 'DELETE', url: `/trainings/${training.id}`, headers: ann })).json();
    };

    it('refunds a cancellation at exactly 24:00:00 before the start', async function () {
      expect(await cancelAt(new Date(Date.parse(hour) - 24 * HOUR))).to.deep.equal({ refunded: true });
      expect(users.balances.get('ann')).to.equal(1);
    });

    it('does not refund one at 23:59:59 before the start', async function () {
      expect(await cancelAt(new Date(Date.parse(hour) - 24 * HOUR + 1_000))).to.deep.equal({ refunded: false });
      expect(users.balances.get('ann')).to.equal(0);
    });

    const publishing: { name: string; at: string; status: number }[] = [
      { name: 'the hour that is now', at: now.toISOString(), status: 422 },
      { name: 'the next hour', at: later(HOUR).toISOString(), status: 204 },
      { name: 'exactly 6 weeks ahead', at: later(42 * 24 * HOUR).toISOString(), status: 204 },
      { name: '6 weeks and 1 hour ahead', at: later(42 * 24 * HOUR + HOUR).toISOString(), status: 422 },
      { name: 'the last hour of the day, 20:00', at: '2030-01-07T20:00:00.000Z', status: 204 },
      { name: '21:00', at: '2030-01-07T21:00:00.000Z', status: 422 },
      { name: 'a second past the hour', at: '2030-01-07T12:00:01.000Z', status: 422 },
    ];
    for (const c of publishing) {
      it(`${c.status === 204 ? 'publishes' : 'refuses'} ${c.name}`, async function () {
        const res = await publish([c.at]);
        expect(res.statusCode, res.body).to.equal(c.status);
        if (c.status !== 204) expect(res.json().error.code).to.equal('invalid-hour');
      });
    }

    it('books an hour a millisecond before it starts, and refuses it once it has started', async function () {
      const next = '2030-01-09T13:00:00.000Z';
      users.balances.set('ann', 1);
      users.balances.set('bob', 1);
      await publish([hour, next]);
      clock = new Date(Date.parse(hour) - 1);
      expect((await book(ann, hour)).statusCode).to.equal(201);
      clock = new Date(Date.parse(next));
      expect(errorOf(await book(bob, next))).to.deep.equal({ status: 422, code: 'invalid-hour' });
      expect(users.balances.get('bob')).to.equal(1);
    });
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
