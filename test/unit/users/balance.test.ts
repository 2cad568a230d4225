import { expect } from 'chai';
import { applyBalanceChange, InsufficientBalanceError } from '../../../src/users/domain/balance.js';

describe('applyBalanceChange', function () {
  const cases: { balance: number; change: number; next?: number }[] = [
    { balance: 0, change: 3, next: 3 },
    { balance: 1, change: -1, next: 0 },
    { balance: 5, change: -2, next: 3 },
    { balance: 0, change: -1 },
    { balance: 2, change: -3 },
  ];
  for (const c of cases) {
    it(`${c.balance} ${c.change >= 0 ? '+' : ''}${c.change} → ${c.next ?? 'insufficient balance'}`, function () {
      const apply = () => applyBalanceChange('u', c.balance, c.change);
      if (c.next === undefined) expect(apply).to.throw(InsufficientBalanceError);
      else expect(apply()).to.equal(c.next);
    });
  }
});
