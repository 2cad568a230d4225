/** The one rule about training balances. */

/** A balance change that would go below zero. */
export class InsufficientBalanceError extends Error {
  readonly code = 'insufficient-balance';
  constructor(userId: string, balance: number, change: number) {
    super(`user ${userId} has ${balance} training(s); cannot apply ${change}`);
    this.name = 'InsufficientBalanceError';
  }
}

/** A charge (or a zero change) for a user nobody ever topped up: only a top-up makes a user. */
export class UserNotFoundError extends Error {
  readonly code = 'user-not-found';
  constructor(userId: string) {
    super(`user ${userId} has never had a training balance`);
    this.name = 'UserNotFoundError';
  }
}

/** The most trainings a balance can hold (and far below what the database column can). */
export const MAX_BALANCE = 100_000;

/** A top-up that would take a balance above MAX_BALANCE. */
export class BalanceLimitError extends Error {
  readonly code = 'balance-limit';
  constructor(userId: string, balance: number, change: number) {
    super(`user ${userId} has ${balance} training(s); adding ${change} would pass the limit of ${MAX_BALANCE}`);
    this.name = 'BalanceLimitError';
  }
}

/** The balance after `change`: never below zero, and never raised above MAX_BALANCE. */
export function applyBalanceChange(userId: string, balance: number, change: number): number {
  const next = balance + change;
  if (next < 0) throw new InsufficientBalanceError(userId, balance, change);
  if (change > 0 && next > MAX_BALANCE) throw new BalanceLimitError(userId, balance, change);
  return next;
}
