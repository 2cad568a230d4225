import { DomainError } from './errors.js';

/** Who is asking: auth is the gateway's job; it passes the user's id and role. */
export interface User {
  id: string;
  role: 'attendee' | 'trainer';
}

/** A booked (or cancelled) training. */
export interface Training {
  id: string;
  hourId: number;
  trainerId: string;
  attendeeId: string;
  startsAt: Date;
  notes: string;
  cancelledAt: Date | null;
}

/** Cancelling at least this long before the start gives the training back. */
export const FREE_CANCELLATION_MS = 24 * 60 * 60 * 1000;

/** The longest note an attendee may leave. */
export const MAX_NOTES_LENGTH = 1000;

/** Attendees cancel their own trainings, trainers the ones booked with them; only once. */
export function assertCanCancel(training: Training | undefined, user: User, id: string): asserts training is Training {
  const involved = training && (user.role === 'attendee' ? training.attendeeId === user.id : training.trainerId === user.id);
  if (!training || !involved) throw new DomainError('training-not-found', `training ${id} not found`);
  if (training.cancelledAt) throw new DomainError('already-cancelled', `training ${id} was already cancelled`);
}

/**
 * Whether cancelling now returns the training to the attendee's balance:
 * yes when done early (24 h or more before the start), or by the trainer.
 */
export function cancellationRefunds(training: Training, user: User, now: Date): boolean {
  return user.role === 'trainer' || training.startsAt.getTime() - now.getTime() >= FREE_CANCELLATION_MS;
}
