import { expect } from 'chai';
import { DomainError } from '../../../src/trainings/domain/errors.js';
import { assertCanCancel, cancellationRefunds, type Training, type User } from '../../../src/trainings/domain/training.js';

const startsAt = new Date('2030-01-10T12:00:00Z');
const training: Training = { id: 'tr', hourId: 1, trainerId: 'coach', attendeeId: 'ann', startsAt, notes: '', cancelledAt: null };
const ann: User = { id: 'ann', role: 'attendee' };
const bob: User = { id: 'bob', role: 'attendee' };
const coach: User = { id: 'coach', role: 'trainer' };
const otherCoach: User = { id: 'other', role: 'trainer' };

describe('assertCanCancel', function () {
  const cases: { name: string; training: Training | undefined; user: User; code?: string }[] = [
    { name: 'the attendee cancels their own training', training, user: ann },
    { name: 'the trainer cancels a training booked with them', training, user: coach },
    { name: 'another attendee cannot see it', training, user: bob, code: 'training-not-found' },
    { name: 'another trainer cannot see it', training, user: otherCoach, code: 'training-not-found' },
    { name: 'a missing training', training: undefined, user: ann, code: 'training-not-found' },
    {
      name: 'a cancelled training cannot be cancelled again',
      training: { ...training, cancelledAt: new Date('2030-01-09T08:00:00Z') },
      user: ann,
      code: 'already-cancelled',
    },
  ];
  for (const c of cases) {
    it(c.name, function () {
      const check = () => assertCanCancel(c.training, c.user, 'tr');
      if (!c.code) return expect(check).not.to.throw();
      expect(check).to.throw(DomainError).with.property('code', c.code);
    });
  }
});

describe('cancellationRefunds', function () {
  const hoursBefore = (h: number) => new Date(startsAt.getTime() - h * 3600_000);
  const cases: { name: string; user: User; now: Date; refunds: boolean }[] = [
    { name: 'two days early', user: ann, now: hoursBefore(48), refunds: true },
    { name: 'exactly 24:00:00 before the start', user: ann, now: hoursBefore(24), refunds: true },
    { name: 'a minute under 24 hours', user: ann, now: new Date(hoursBefore(24).getTime() + 60_000), refunds: false },
    { name: '23:59:59 before the start', user: ann, now: new Date(hoursBefore(24).getTime() + 1_000), refunds: false },
    { name: '23:59:59.999 before the start', user: ann, now: new Date(hoursBefore(24).getTime() + 1), refunds: false },
    { name: 'after the start', user: ann, now: hoursBefore(-1), refunds: false },
    { name: 'an hour before', user: ann, now: hoursBefore(1), refunds: false },
    { name: 'by the trainer, late', user: coach, now: hoursBefore(1), refunds: true },
  ];
  for (const c of cases) {
    it(`${c.refunds ? 'refunds' : 'does not refund'} a cancellation ${c.name}`, function () {
      expect(cancellationRefunds(training, c.user, c.now)).to.equal(c.refunds);
    });
  }
});
