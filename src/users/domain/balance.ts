/** The one rule about training balances. */

/** A balance change that would go below zero. */
export class InsufficientBalanceError extends Error {
  readonly code = 'insufficient-balance';
  constructor(userId: string, balance: number, change: number) {
    super(`user ${userId} has ${balance} training(s); cannot apply ${change}`);
    this.name = 'InsufficientBalanceError';
  }
}

/** The balance after `change`; a balance never goes below zero. */
export function applyBalanceChange(userId: string, balance: number, change: number): number {
  const next = balance + change;
  if (next < 0) throw new InsufficientBalanceError(userId, balance, change);
  return next;
}
