/** What the use cases need from the outside world; adapters implement these. */
import type { Hour } from '../domain/hour.js';
import type { Training } from '../domain/training.js';

/** Reads and writes inside one database transaction. */
export interface TrainingsUnitOfWork {
  /** The trainer's hour at `startsAt`, locked until the transaction ends. */
  lockHour(trainerId: string, startsAt: Date): Promise<Hour | undefined>;
  setHourStatus(hourId: number, status: Hour['status']): Promise<void>;
  insertTraining(t: Omit<Training, 'id' | 'cancelledAt'>): Promise<Training>;
  /** The training, locked until the transaction ends. */
  lockTraining(id: string): Promise<Training | undefined>;
  markCancelled(id: string, at: Date): Promise<void>;
}

/** The trainings service's storage. */
export interface TrainingsRepository {
  /** Runs `work` in one transaction: all of its writes happen, or none. */
  transaction<T>(work: (uow: TrainingsUnitOfWork) => Promise<T>): Promise<T>;
  /** Publishes hours; hours already published are left as they are. */
  addHours(trainerId: string, hours: Date[]): Promise<void>;
  availableHours(trainerId: string, from: Date, to: Date): Promise<Date[]>;
  trainingsOf(attendeeId: string): Promise<Training[]>;
}

/** The users service, which owns training balances. */
export interface UsersService {
  /** Adds `change` to the user's balance; rejects with DomainError('insufficient-balance') below zero. */
  changeBalance(userId: string, change: number): Promise<void>;
}

/** Time, injected so rules about "early" and "past" are testable. */
export interface Clock {
  now(): Date;
}
