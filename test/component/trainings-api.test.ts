import { expect } from 'chai';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { newSpace, traceLogStream } from '../../internal/integration/index.js';
import { loadTrainingsConfig } from '../../src/trainings/config.js';
import { buildTrainingsService } from '../../src/trainings/service.js';
import { startFakeUsersService, type FakeUsersService } from './fake-users-service.js';

// The trainings service through its HTTP API, with a real Postgres space and
// the users service faked at its HTTP boundary. The service's logs go into
// each test's trace (reports/trace/index.html), not the console.

const now = new Date('2030-01-07T10:00:00Z');
const hour = '2030-01-09T12:00:00.000Z';
const soon = '2030-01-07T14:00:00.000Z'; // less than 24 h away: cancelling is not refunded
const coach = { 'x-user-id': 'coach', 'x-user-role': 'trainer' };
const ann = { 'x-user-id': 'ann', 'x-user-role': 'attendee' };
const bob = { 'x-user-id': 'bob', 'x-user-role': 'attendee' };

describe('trainings API', function () {
  let users: FakeUsersService;
  let api: FastifyInstance;

  beforeEach(async function () {
    const space = await newSpace(this);
    users = await startFakeUsersService();
    const config = loadTrainingsConfig({ ...space.config.trainings, TRAININGS_USERS_URL: users.url });
    api = buildTrainingsService(config, { clock: { now: () => now }, logger: { level: 'info', stream: traceLogStream() } });
  });

  afterEach(async function () {
    await api.close();
    await users.close();
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

  it('answers 502 and writes nothing when the users service is down', async function () {
    users.down = true;
    await publish([hour]);
    expect(errorOf(await book(ann, hour))).to.deep.equal({ status: 502, code: 'users-service-unavailable' });
    const free = await api.inject({ method: 'GET', url: `/trainers/coach/hours?from=${now.toISOString()}&to=2030-01-10T00:00:00Z` });
    expect(free.json()).to.deep.equal({ hours: [hour] });
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
