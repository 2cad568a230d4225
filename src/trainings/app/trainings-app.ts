/** The trainings use cases: each a short script over domain rules and ports. */
import { DomainError } from '../domain/errors.js';
import { assertBookable, validateTrainingHour, type HourRules, DEFAULT_HOUR_RULES } from '../domain/hour.js';
import { assertCanCancel, cancellationRefunds, MAX_NOTES_LENGTH, type Training, type User } from '../domain/training.js';
import type { Clock, TrainingsRepository, TrainingsUnitOfWork, UsersService } from './ports.js';

/** Dependencies of the trainings application. */
export interface TrainingsDeps {
  repository: TrainingsRepository;
  users: UsersService;
  clock: Clock;
  hourRules?: HourRules;
}

function requireRole(user: User, role: User['role'], action: string): void {
  if (user.role !== role) throw new DomainError('not-allowed', `only ${role}s can ${action}`);
}

/** Builds the use cases over their dependencies. */
export function trainingsApp({ repository, users, clock, hourRules = DEFAULT_HOUR_RULES }: TrainingsDeps) {
  /**
   * A transaction that may also move balances in the users service. The call
   * cannot join our transaction, so it goes last, and if the commit still
   * fails the balance change is undone (best effort).
   */
  async function transactionWithBalance<T>(
    work: (uow: TrainingsUnitOfWork, changeBalance: (userId: string, change: number) => Promise<void>) => Promise<T>,
  ): Promise<T> {
    const applied: [string, number][] = [];
    try {
      return await repository.transaction((uow) =>
        work(uow, async (userId, change) => {
          await users.changeBalance(userId, change);
          applied.push([userId, change]);
        }),
      );
    } catch (err) {
      for (const [userId, change] of applied) await users.changeBalance(userId, -change).catch(() => undefined);
      throw err;
    }
  }

  return {
    /** A trainer publishes hours attendees can book. */
    async makeHoursAvailable(user: User, hours: Date[]): Promise<void> {
      requireRole(user, 'trainer', 'publish hours');
      const now = clock.now();
      for (const hour of hours) validateTrainingHour(hour, now, hourRules);
      await repository.addHours(user.id, hours);
    },

    /** The trainer's hours nobody has booked, between two instants. */
    availableHours(trainerId: string, from: Date, to: Date): Promise<Date[]> {
      return repository.availableHours(trainerId, from, to);
    },

    /**
     * An attendee books a published hour; it costs one training from their
     * balance. The hour row is locked, so of two concurrent bookings exactly
     * one wins; if the balance cannot pay, nothing is written.
     */
    async scheduleTraining(user: User, input: { trainerId: string; startsAt: Date; notes: string }): Promise<Training> {
      requireRole(user, 'attendee', 'schedule trainings');
      validateTrainingHour(input.startsAt, clock.now(), hourRules);
      if (input.notes.length > MAX_NOTES_LENGTH)
        throw new DomainError('invalid-input', `notes are limited to ${MAX_NOTES_LENGTH} characters`);
      return transactionWithBalance(async (uow, changeBalance) => {
        const hour = await uow.lockHour(input.trainerId, input.startsAt);
        assertBookable(hour, input.startsAt);
        const training = await uow.insertTraining({
          hourId: hour.id,
          trainerId: hour.trainerId,
          attendeeId: user.id,
          startsAt: hour.startsAt,
          notes: input.notes,
        });
        await uow.setHourStatus(hour.id, 'training_scheduled');
        // Last, so a refused payment rolls back the booking.
        await changeBalance(user.id, -1);
        return training;
      });
    },

    /** Cancels a training and frees its hour; early cancellation refunds the balance. */
    async cancelTraining(user: User, id: string): Promise<{ refunded: boolean }> {
      return transactionWithBalance(async (uow, changeBalance) => {
        const training = await uow.lockTraining(id);
        assertCanCancel(training, user, id);
        const now = clock.now();
        await uow.markCancelled(id, now);
        await uow.setHourStatus(training.hourId, 'available');
        const refunded = cancellationRefunds(training, user, now);
        if (refunded) await changeBalance(training.attendeeId, 1);
        return { refunded };
      });
    },

    /** The attendee's trainings, soonest first (cancelled ones included). */
    trainingsOf(user: User): Promise<Training[]> {
      requireRole(user, 'attendee', 'list their trainings');
      return repository.trainingsOf(user.id);
    },
  };
}

/** The trainings application: what ports call. */
export type TrainingsApp = ReturnType<typeof trainingsApp>;
