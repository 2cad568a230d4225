import { expect } from 'chai';
import type pg from 'pg';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { postgresTrainingsRepository } from '../../src/trainings/adapters/postgres-repository.js';
import { trainingsApp } from '../../src/trainings/app/trainings-app.js';
import type { UsersService } from '../../src/trainings/app/ports.js';
import { DomainError } from '../../src/trainings/domain/errors.js';
import { pollUntil } from '../../internal/integration/common/poll.js';

const now = new Date('2030-01-07T10:00:00Z');
const clock = { now: () => now };
const nine = new Date('2030-01-08T09:00:00Z');
const ten = new Date('2030-01-08T10:00:00Z');
const eleven = new Date('2030-01-08T11:00:00Z');
const ann = { id: 'ann', role: 'attendee' as const };
const bob = { id: 'bob', role: 'attendee' as const };
const coach = { id: 'coach', role: 'trainer' as const };

const paying: UsersService = { changeBalance: async () => undefined };

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: { code?: string }) => err.code,
  );
}

describe('trainings repository on Postgres', function () {
  it('publishes hours once and lists the available ones in order', async function () {
    const space = await newSpace(this);
    const repo = postgresTrainingsRepository(space.pool);
    await repo.addHours('coach', [eleven, nine]);
    await repo.addHours('coach', [nine, ten]); // nine again: left as it is
    await repo.addHours('other', [ten]);
    const hours = await repo.availableHours('coach', nine, eleven);
    expect(hours.map((h) => h.toISOString())).to.deep.equal([nine.toISOString(), ten.toISOString()]);
  });

  it('enforces one row per trainer and hour (unique constraint)', async function () {
    const space = await newSpace(this);
    await space.pool.query(`INSERT INTO hours (trainer_id, starts_at) VALUES ('coach', $1)`, [nine]);
    expect(await errorCode(space.pool.query(`INSERT INTO hours (trainer_id, starts_at) VALUES ('coach', $1)`, [nine]))).to.equal('23505');
  });

  it('refuses a training for an hour that does not exist (foreign key)', async function () {
    const space = await newSpace(this);
    expect(await errorCode(space.pool.query(`INSERT INTO trainings (hour_id, attendee_id) VALUES (424242, 'ann')`))).to.equal('23503');
  });

  it('allows one active training per hour, and a new one once it is cancelled', async function () {
    const space = await newSpace(this);
    const { rows } = await space.pool.query<{ id: string }>(`INSERT INTO hours (trainer_id, starts_at) VALUES ('coach', $1) RETURNING id`, [
      nine,
    ]);
    const hourId = rows[0]!.id;
    await space.pool.query(`INSERT INTO trainings (hour_id, attendee_id) VALUES ($1, 'ann')`, [hourId]);
    expect(await errorCode(space.pool.query(`INSERT INTO trainings (hour_id, attendee_id) VALUES ($1, 'bob')`, [hourId]))).to.equal(
      '23505',
    );
    await space.pool.query(`UPDATE trainings SET cancelled_at = now() WHERE hour_id = $1`, [hourId]);
    await space.pool.query(`INSERT INTO trainings (hour_id, attendee_id) VALUES ($1, 'bob')`, [hourId]);
  });

  it('writes nothing when the balance cannot pay (the transaction rolls back)', async function () {
    const space = await newSpace(this);
    const broke: UsersService = {
      changeBalance: async () => {
        throw new DomainError('insufficient-balance', 'no trainings left');
      },
    };
    const app = trainingsApp({ repository: postgresTrainingsRepository(space.pool), users: broke, clock });
    await app.makeHoursAvailable(coach, [nine]);
    expect(await errorCode(app.scheduleTraining(ann, { trainerId: 'coach', startsAt: nine, notes: '' }))).to.equal('insufficient-balance');
    const { rows } = await space.pool.query(
      `SELECT (SELECT count(*) FROM trainings)::int AS trainings, (SELECT status FROM hours) AS status`,
    );
    expect(rows[0]).to.deep.equal({ trainings: 0, status: 'available' });
  });

  it('lets exactly one of two overlapping bookings of an hour win', async function () {
    const space = await newSpace(this);
    // The first booking waits, holding the hour's row lock, until the second is
    // seen blocked on that lock: the race happens every time, not by chance.
    const secondIsBlocked = (pool: pg.Pool) =>
      pollUntil(
        'the second booking to wait for the row lock',
        async () => {
          const { rows } = await pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return rows[0]!.n > 0 ? true : undefined;
        },
        { timeoutMs: 5_000 },
      );
    let calls = 0;
    const users: UsersService = { changeBalance: async () => void (calls++ === 0 && (await secondIsBlocked(space.pool))) };
    const app = trainingsApp({ repository: postgresTrainingsRepository(space.pool), users, clock });
    await app.makeHoursAvailable(coach, [ten]);
    const first = app.scheduleTraining(ann, { trainerId: 'coach', startsAt: ten, notes: 'first' });
    await pollUntil('the first booking to call the users service', () => (calls > 0 ? true : undefined), { timeoutMs: 5_000 });
    const second = app.scheduleTraining(bob, { trainerId: 'coach', startsAt: ten, notes: 'second' });
    const results = await Promise.allSettled([first, second]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason)
      .to.be.instanceOf(DomainError)
      .with.property('code', 'hour-not-available');
    const { rows } = await space.pool.query(`SELECT attendee_id FROM trainings WHERE cancelled_at IS NULL`);
    expect(rows).to.deep.equal([{ attendee_id: 'ann' }]);
  });

  it('books an hour once when ten attendees try at the same moment', async function () {
    const space = await newSpace(this);
    const app = trainingsApp({ repository: postgresTrainingsRepository(space.pool), users: paying, clock });
    await app.makeHoursAvailable(coach, [eleven]);
    const attempts = Array.from({ length: 10 }, (_, i) =>
      app.scheduleTraining({ id: `attendee-${i}`, role: 'attendee' }, { trainerId: 'coach', startsAt: eleven, notes: '' }),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const { rows } = await space.pool.query(`SELECT count(*)::int AS n FROM trainings`);
    expect(rows[0].n).to.equal(1);
  });

  it('cancels early: refunds, frees the hour, lists the training as cancelled', async function () {
    const space = await newSpace(this);
    const dayAfter = new Date('2030-01-09T09:00:00Z'); // 47 h ahead: early enough for a refund
    const dayAfterEnd = new Date('2030-01-09T10:00:00Z');
    const repo = postgresTrainingsRepository(space.pool);
    const app = trainingsApp({ repository: repo, users: paying, clock });
    await app.makeHoursAvailable(coach, [dayAfter]);
    const training = await app.scheduleTraining(ann, { trainerId: 'coach', startsAt: dayAfter, notes: 'legs' });
    expect(await repo.availableHours('coach', dayAfter, dayAfterEnd)).to.deep.equal([]);
    expect(await app.cancelTraining(ann, training.id)).to.deep.equal({ refunded: true });
    expect((await repo.availableHours('coach', dayAfter, dayAfterEnd)).map((h) => h.toISOString())).to.deep.equal([dayAfter.toISOString()]);
    const [listed] = await app.trainingsOf(ann);
    expect(listed).to.include({ id: training.id, notes: 'legs' });
    expect(listed!.cancelledAt).to.be.instanceOf(Date);
  });

  it('answers "not found" for a malformed training id instead of a database error', async function () {
    const space = await newSpace(this);
    const app = trainingsApp({ repository: postgresTrainingsRepository(space.pool), users: paying, clock });
    expect(await errorCode(app.cancelTraining(ann, "1'; DROP TABLE trainings; --"))).to.equal('training-not-found');
  });
});
