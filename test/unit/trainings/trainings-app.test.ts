import { expect } from 'chai';
import { DomainError } from '../../../src/trainings/domain/errors.js';
import type { Hour } from '../../../src/trainings/domain/hour.js';
import type { Training } from '../../../src/trainings/domain/training.js';
import type { TrainingsRepository, TrainingsUnitOfWork, UsersService } from '../../../src/trainings/app/ports.js';
import { trainingsApp } from '../../../src/trainings/app/trainings-app.js';

// The orchestration worth a unit test: the users service cannot join our
// transaction, so a failed commit must undo the balance change. Storage is a
// fake here; the Postgres repository has its own integration tests.

const now = new Date('2030-01-07T10:00:00Z');
const startsAt = new Date('2030-01-09T12:00:00Z');
const ann = { id: 'ann', role: 'attendee' as const };

function fakeRepository({ failCommit = false } = {}) {
  const hour: Hour = { id: 1, trainerId: 'coach', startsAt, status: 'available' };
  const uow: TrainingsUnitOfWork = {
    lockHour: async () => ({ ...hour }),
    setHourStatus: async () => undefined,
    insertTraining: async (t) => ({ ...t, id: 'tr-1', cancelledAt: null }),
    lockTraining: async () =>
      ({ id: 'tr-1', hourId: 1, trainerId: 'coach', attendeeId: 'ann', startsAt, notes: '', cancelledAt: null }) satisfies Training,
    markCancelled: async () => undefined,
  };
  const repository: TrainingsRepository = {
    async transaction(work) {
      const result = await work(uow);
      if (failCommit) throw new Error('could not serialize access');
      return result;
    },
    addHours: async () => undefined,
    availableHours: async () => [],
    trainingsOf: async () => [],
  };
  return repository;
}

function recordingUsers(): UsersService & { changes: number[] } {
  const changes: number[] = [];
  return { changes, changeBalance: async (_user, change) => void changes.push(change) };
}

describe('trainings app: balance changes and the transaction', function () {
  it('charges one training when the booking commits', async function () {
    const users = recordingUsers();
    const app = trainingsApp({ repository: fakeRepository(), users, clock: { now: () => now } });
    await app.scheduleTraining(ann, { trainerId: 'coach', startsAt, notes: '' });
    expect(users.changes).to.deep.equal([-1]);
  });

  it('gives the training back when the booking fails to commit after the charge', async function () {
    const users = recordingUsers();
    const app = trainingsApp({ repository: fakeRepository({ failCommit: true }), users, clock: { now: () => now } });
    const error = await app.scheduleTraining(ann, { trainerId: 'coach', startsAt, notes: '' }).catch((err: unknown) => err);
    expect(error).to.be.instanceOf(Error).with.property('message', 'could not serialize access');
    expect(users.changes).to.deep.equal([-1, 1]);
  });

  it('takes the refund back when a cancellation fails to commit', async function () {
    const users = recordingUsers();
    const app = trainingsApp({ repository: fakeRepository({ failCommit: true }), users, clock: { now: () => now } });
    const error = await app.cancelTraining(ann, 'tr-1').catch((err: unknown) => err);
    expect(error).to.be.instanceOf(Error).with.property('message', 'could not serialize access');
    expect(users.changes).to.deep.equal([1, -1]);
  });

  it('refuses trainers booking and attendees publishing hours', async function () {
    const app = trainingsApp({ repository: fakeRepository(), users: recordingUsers(), clock: { now: () => now } });
    const booking = await app
      .scheduleTraining({ id: 'coach', role: 'trainer' }, { trainerId: 'coach', startsAt, notes: '' })
      .catch((e: unknown) => e);
    const publishing = await app.makeHoursAvailable(ann, [startsAt]).catch((e: unknown) => e);
    expect(booking).to.be.instanceOf(DomainError).with.property('code', 'not-allowed');
    expect(publishing).to.be.instanceOf(DomainError).with.property('code', 'not-allowed');
  });
});
