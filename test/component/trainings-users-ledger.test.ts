import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { traceLogStream, type Space } from '../../internal/integration/index.js';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { loadTrainingsConfig } from '../../src/trainings/config.js';
import { buildTrainingsService } from '../../src/trainings/service.js';
import { usersLedgerDatabase } from '../fakes/users-ledger/database.js';
import { startUsersLedger, type UsersLedger } from '../fakes/users-ledger/server.js';

// Test-only infrastructure: the trainings service against a fake users service that keeps its
// ledger in a database of its own, declared under test/fakes/users-ledger (migrations and a
// config template). Each test gets a space of each schema; both are dropped after it, or kept
// with their psql lines if it fails.

const now = new Date('2030-01-07T10:00:00Z');
const hour = '2030-01-09T12:00:00.000Z';
const coach = { 'x-user-id': 'coach', 'x-user-role': 'trainer' };
const ann = { 'x-user-id': 'ann', 'x-user-role': 'attendee' };

describe('trainings API with the users service faked on its own database', function () {
  let space: Space;
  let ledgerSpace: Space;
  let ledger: UsersLedger;
  let api: FastifyInstance;

  beforeEach(async function () {
    space = await newSpace(this);
    ledgerSpace = await newSpace(this, { migrator: usersLedgerDatabase });
    ledger = await startUsersLedger(ledgerSpace.config['users-ledger']!);
    api = buildTrainingsService(loadTrainingsConfig({ ...space.config.trainings, TRAININGS_USERS_URL: ledger.url }), {
      clock: { now: () => now },
      logger: { level: 'info', stream: traceLogStream() },
    });
  });

  afterEach(async function () {
    await api.close();
    await ledger.close();
  });

  const entries = async () =>
    (await ledgerSpace.pool.query<{ user_id: string; change: number }>('SELECT user_id, change FROM ledger ORDER BY id')).rows;

  it("books and cancels: the charge and the refund are in the fake's ledger, over real HTTP", async function () {
    const topUp = await fetch(`${ledger.url}/users/ann/balance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ change: 1 }),
    });
    expect(await topUp.json()).to.deep.equal({ id: 'ann', balance: 1 });
    expect((await api.inject({ method: 'PUT', url: '/trainer/hours', headers: coach, payload: { hours: [hour] } })).statusCode).to.equal(
      204,
    );

    const booked = await api.inject({ method: 'POST', url: '/trainings', headers: ann, payload: { trainerId: 'coach', startsAt: hour } });
    expect(booked.statusCode).to.equal(201);
    const cancelled = await api.inject({ method: 'DELETE', url: `/trainings/${booked.json().training.id}`, headers: ann });
    expect(cancelled.json()).to.deep.equal({ refunded: true });

    expect(await entries()).to.deep.equal([
      { user_id: 'ann', change: 1 },
      { user_id: 'ann', change: -1 },
      { user_id: 'ann', change: 1 },
    ]);
  });

  it('refuses a booking the ledger cannot pay for, and the fake writes nothing', async function () {
    await api.inject({ method: 'PUT', url: '/trainer/hours', headers: coach, payload: { hours: [hour] } });
    const refused = await api.inject({ method: 'POST', url: '/trainings', headers: ann, payload: { trainerId: 'coach', startsAt: hour } });
    expect(refused.statusCode).to.equal(409);
    expect(refused.json().error.code).to.equal('insufficient-balance');
    expect(await entries()).to.deep.equal([]);
  });

  it("is a database of its own: its schema and its config, not the project's", async function () {
    const tables = async (s: Space) =>
      (await s.pool.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map(
        (r) => r.t,
      );
    expect(await tables(ledgerSpace))
      .to.include('ledger')
      .and.not.include('trainings');
    expect(await tables(space))
      .to.include('trainings')
      .and.not.include('ledger');
    expect(ledgerSpace.database).to.not.equal(space.database);
    expect(Object.keys(ledgerSpace.config)).to.deep.equal(['users-ledger']);
    expect(ledgerSpace.config['users-ledger']!.LEDGER_DATABASE_URL).to.equal(ledgerSpace.url);
    expect(Object.keys(space.config)).to.include('trainings').and.not.include('users-ledger');
  });
});
