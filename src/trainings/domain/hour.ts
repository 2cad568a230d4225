import { DomainError } from './errors.js';

/** Which hours a trainer may publish. */
export interface HourRules {
  /** How far ahead hours may be published. */
  maxWeeksAhead: number;
  /** First and last UTC hour of the working day (inclusive). */
  minUtcHour: number;
  maxUtcHour: number;
}

/** The gym's opening hours, in UTC. */
export const DEFAULT_HOUR_RULES: HourRules = { maxWeeksAhead: 6, minUtcHour: 6, maxUtcHour: 20 };

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/** What a published hour is doing. */
export type HourStatus = 'available' | 'training_scheduled';

/** A trainer's published hour. */
export interface Hour {
  id: number;
  trainerId: string;
  startsAt: Date;
  status: HourStatus;
}

/**
 * Checks `at` may hold a training: a whole UTC hour, in the future, within
 * the working day and the booking horizon. Throws DomainError('invalid-hour').
 */
export function validateTrainingHour(at: Date, now: Date, rules: HourRules = DEFAULT_HOUR_RULES): void {
  const fail = (why: string) => {
    throw new DomainError('invalid-hour', `${Number.isNaN(at.getTime()) ? 'invalid date' : at.toISOString()}: ${why}`);
  };
  if (Number.isNaN(at.getTime())) fail('not a date');
  if (at.getUTCMinutes() !== 0 || at.getUTCSeconds() !== 0 || at.getUTCMilliseconds() !== 0) fail('trainings start on the full hour');
  if (at.getTime() <= now.getTime()) fail('the hour is in the past');
  if (at.getTime() - now.getTime() > rules.maxWeeksAhead * WEEK_MS)
    fail(`hours can be published at most ${rules.maxWeeksAhead} weeks ahead`);
  if (at.getUTCHours() < rules.minUtcHour || at.getUTCHours() > rules.maxUtcHour) {
    fail(`trainings run from ${rules.minUtcHour}:00 to ${rules.maxUtcHour}:00 UTC`);
  }
}

/** An attendee may only book an hour the trainer published and nobody took. */
export function assertBookable(hour: Hour | undefined, startsAt: Date): asserts hour is Hour {
  if (!hour || hour.status !== 'available') {
    throw new DomainError('hour-not-available', `${startsAt.toISOString()} is not available`);
  }
}
