import { expect } from 'chai';
import { applyBalanceChange, BalanceLimitError, InsufficientBalanceError, MAX_BALANCE } from '../../../src/users/domain/balance.js';

describe('applyBalanceChange', function () {
  const cases: { balance: number; change: number; next?: number; refused?: typeof InsufficientBalanceError | typeof BalanceLimitError }[] =
    [
      { balance: 0, change: 3, next: 3 },
      { balance: 1, change: -1, next: 0 },
      { balance: 5, change: -2, next: 3 },
      { balance: 0, change: -1, refused: InsufficientBalanceError },
      { balance: 2, change: -3, refused: InsufficientBalanceError },
      { balance: MAX_BALANCE - 1, change: 1, next: MAX_BALANCE },
      { balance: MAX_BALANCE, change: 1, refused: BalanceLimitError },
      { balance: 2 ** 31 - 10, change: 1000, refused: BalanceLimitError },
      { balance: MAX_BALANCE + 5, change: -1, next: MAX_BALANCE + 4 }, // spending is always allowed
    ];
  for (const c of cases) {
    it(`${c.balance} ${c.change >= 0 ? '+' : ''}${c.change} → ${c.next ?? c.refused!.name}`, function () {
      const apply = () => applyBalanceChange('u', c.balance, c.change);
      if (c.refused) expect(apply).to.throw(c.refused);
      else expect(apply()).to.equal(c.next);
    });
  }
});
