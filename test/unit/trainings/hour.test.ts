import { expect } from 'chai';
import { DomainError } from '../../../src/trainings/domain/errors.js';
import { assertBookable, validateTrainingHour, type Hour } from '../../../src/trainings/domain/hour.js';

const now = new Date('2030-01-07T10:30:00Z'); // a Monday
const rules = { maxWeeksAhead: 2, minUtcHour: 6, maxUtcHour: 20 };

describe('validateTrainingHour', function () {
  const cases: { name: string; at: string; error?: RegExp }[] = [
    { name: 'a full hour later today', at: '2030-01-07T12:00:00Z' },
    { name: 'the first hour of the day', at: '2030-01-08T06:00:00Z' },
    { name: 'the last hour of the day', at: '2030-01-08T20:00:00Z' },
    { name: 'exactly at the horizon', at: '2030-01-21T10:00:00Z' },
    { name: 'not a full hour', at: '2030-01-07T12:30:00Z', error: /full hour/ },
    { name: 'seconds past the hour', at: '2030-01-07T12:00:01Z', error: /full hour/ },
    { name: 'in the past', at: '2030-01-07T10:00:00Z', error: /past/ },
    { name: 'before opening', at: '2030-01-08T05:00:00Z', error: /6:00 to 20:00/ },
    { name: 'after closing', at: '2030-01-08T21:00:00Z', error: /6:00 to 20:00/ },
    { name: 'beyond the horizon', at: '2030-01-21T12:00:00Z', error: /2 weeks ahead/ },
    { name: 'not a date at all', at: 'yesterday-ish', error: /not a date/ },
  ];
  for (const c of cases) {
    it(c.error ? `rejects ${c.name}` : `accepts ${c.name}`, function () {
      const check = () => validateTrainingHour(new Date(c.at), now, rules);
      if (!c.error) return expect(check).not.to.throw();
      expect(check).to.throw(DomainError, c.error).with.property('code', 'invalid-hour');
    });
  }
});

describe('assertBookable', function () {
  const at = new Date('2030-01-08T12:00:00Z');
  const hour = (status: Hour['status']): Hour => ({ id: 1, trainerId: 't', startsAt: at, status });
  const cases: { name: string; hour: Hour | undefined; bookable: boolean }[] = [
    { name: 'an available hour', hour: hour('available'), bookable: true },
    { name: 'a taken hour', hour: hour('training_scheduled'), bookable: false },
    { name: 'an hour never published', hour: undefined, bookable: false },
  ];
  for (const c of cases) {
    it(`${c.bookable ? 'allows' : 'refuses'} ${c.name}`, function () {
      const check = () => assertBookable(c.hour, at);
      if (c.bookable) expect(check).not.to.throw();
      else expect(check).to.throw(DomainError).with.property('code', 'hour-not-available');
    });
  }
});
