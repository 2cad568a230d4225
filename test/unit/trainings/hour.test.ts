import { expect } from 'chai';
import { DomainError } from '../../../src/trainings/domain/errors.js';
import { assertBookable, DEFAULT_HOUR_RULES, validateTrainingHour, type Hour } from '../../../src/trainings/domain/hour.js';

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

describe("validateTrainingHour at its edges, with the gym's rules (6 weeks ahead, 6:00 to 20:00 UTC)", function () {
  const at = (iso: string) => new Date(iso);
  const clock = new Date('2030-01-07T10:00:00.000Z'); // a Monday, on the hour
  const cases: { name: string; now: Date; at: Date; error?: RegExp }[] = [
    { name: 'the hour that is now', now: clock, at: clock, error: /past/ },
    { name: 'the hour that began a millisecond ago', now: at('2030-01-07T10:00:00.001Z'), at: clock, error: /past/ },
    { name: 'the next hour', now: clock, at: at('2030-01-07T11:00:00.000Z') },
    { name: 'exactly 6 weeks ahead', now: clock, at: at('2030-02-18T10:00:00.000Z') },
    { name: '6 weeks and 1 hour ahead', now: clock, at: at('2030-02-18T11:00:00.000Z'), error: /6 weeks ahead/ },
    {
      name: 'exactly 6 weeks ahead of a clock a millisecond later',
      now: at('2030-01-07T10:00:00.001Z'),
      at: at('2030-02-18T10:00:00.000Z'),
    },
    { name: 'the last bookable hour of the day, 20:00', now: clock, at: at('2030-01-07T20:00:00.000Z') },
    { name: '21:00', now: clock, at: at('2030-01-07T21:00:00.000Z'), error: /6:00 to 20:00/ },
    { name: 'the first hour of the day, 6:00', now: clock, at: at('2030-01-08T06:00:00.000Z') },
    { name: '5:00', now: clock, at: at('2030-01-08T05:00:00.000Z'), error: /6:00 to 20:00/ },
    { name: 'a millisecond past the hour', now: clock, at: at('2030-01-07T12:00:00.001Z'), error: /full hour/ },
  ];
  for (const c of cases) {
    it(`${c.error ? 'rejects' : 'accepts'} ${c.name}`, function () {
      const check = () => validateTrainingHour(c.at, c.now, DEFAULT_HOUR_RULES);
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
