import { expect } from 'chai';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { postgresTrainingsRepository } from '../../src/trainings/adapters/postgres-repository.js';
import type { UsersService } from '../../src/trainings/app/ports.js';
import { trainingsApp } from '../../src/trainings/app/trainings-app.js';

// The rules that depend on "now", through the app and its Postgres repository, at their exact
// edges: the clock is the test's, and what it said is what Postgres keeps.

const HOUR = 3600_000;
const startsAt = new Date('2030-01-09T12:00:00.000Z');
const ann = { id: 'ann', role: 'attendee' as const };
const coach = { id: 'coach', role: 'trainer' as const };

describe("trainings on Postgres, by the test's clock", function () {
  let time: Date;
  const balances = new Map<string, number>();
  const users: UsersService = { changeBalance: async (id, change) => void balances.set(id, (balances.get(id) ?? 0) + change) };

  async function bookedTraining(this: Mocha.Context) {
    const space = await newSpace(this);
    const repository = postgresTrainingsRepository(space.pool);
    const app = trainingsApp({ repository, users, clock: { now: () => time } });
    time = new Date('2030-01-07T10:00:00.000Z');
    balances.set('ann', 1);
    await app.makeHoursAvailable(coach, [startsAt]);
    const training = await app.scheduleTraining(ann, { trainerId: 'coach', startsAt, notes: '' });
    return { space, repository, app, training };
  }

  for (const [name, before, refunded] of [
    ['exactly 24:00:00', 24 * HOUR, true],
    ['23:59:59', 24 * HOUR - 1_000, false],
    ['23:59:59.999', 24 * HOUR - 1, false],
  ] as const) {
    it(`${refunded ? 'refunds' : 'does not refund'} a cancellation ${name} before the start, and stores the clock's time to the millisecond`, async function () {
      const { space, repository, app, training } = await bookedTraining.call(this);
      time = new Date(startsAt.getTime() - before);
      expect(await app.cancelTraining(ann, training.id)).to.deep.equal({ refunded });
      expect(balances.get('ann')).to.equal(refunded ? 1 : 0);
      const [stored] = await repository.trainingsOf('ann');
      expect(stored!.cancelledAt!.toISOString()).to.equal(time.toISOString());
      const { rows } = await space.pool.query<{ status: string }>('SELECT status FROM hours');
      expect(rows).to.deep.equal([{ status: 'available' }]);
    });
  }

  const now = new Date('2030-01-07T10:00:00.000Z');
  const publishing: { name: string; at: string; stored: boolean }[] = [
    { name: 'the hour that is now', at: '2030-01-07T10:00:00.000Z', stored: false },
    { name: 'the next hour', at: '2030-01-07T11:00:00.000Z', stored: true },
    { name: 'exactly 6 weeks ahead', at: '2030-02-18T10:00:00.000Z', stored: true },
    { name: '6 weeks and 1 hour ahead', at: '2030-02-18T11:00:00.000Z', stored: false },
    { name: 'the last hour of the day, 20:00', at: '2030-01-07T20:00:00.000Z', stored: true },
    { name: '21:00', at: '2030-01-07T21:00:00.000Z', stored: false },
    { name: 'a millisecond past the hour', at: '2030-01-07T12:00:00.001Z', stored: false },
  ];
  for (const c of publishing) {
    it(`${c.stored ? 'stores' : 'refuses, storing nothing,'} ${c.name}`, async function () {
      const space = await newSpace(this);
      const app = trainingsApp({ repository: postgresTrainingsRepository(space.pool), users, clock: { now: () => now } });
      const outcome = await app.makeHoursAvailable(coach, [new Date(c.at)]).then(
        () => 'stored',
        (err: { code?: string }) => err.code,
      );
      expect(outcome).to.equal(c.stored ? 'stored' : 'invalid-hour');
      const { rows } = await space.pool.query<{ starts_at: Date }>('SELECT starts_at FROM hours');
      expect(rows.map((r) => r.starts_at.toISOString())).to.deep.equal(c.stored ? [c.at] : []);
    });
  }

  it('lists an hour from the instant it starts, and not up to the instant it starts', async function () {
    const { repository } = await bookedTraining.call(this);
    await repository.addHours('coach', [new Date(startsAt.getTime() + HOUR)]);
    const next = new Date(startsAt.getTime() + HOUR);
    expect(await repository.availableHours('coach', next, new Date(next.getTime() + 1))).to.deep.equal([next]);
    expect(await repository.availableHours('coach', new Date(next.getTime() - HOUR), next)).to.deep.equal([]);
  });
});
