import { expect } from 'chai';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { migrators } from '../../pgspace.config.js';
import { postgresUsersRepository } from '../../src/users/adapters/postgres-users.js';
import { InsufficientBalanceError, UserNotFoundError } from '../../src/users/domain/balance.js';

describe('users repository on Postgres', function () {
  it('starts unknown users at zero and applies changes', async function () {
    const space = await newSpace(this, { migrator: migrators.users });
    const users = postgresUsersRepository(space.pool);
    expect(await users.balance('ann')).to.equal(0);
    expect(await users.changeBalance('ann', 2)).to.equal(2);
    expect(await users.changeBalance('ann', -1)).to.equal(1);
    expect(await users.balance('ann')).to.equal(1);
  });

  it('makes a user on a top-up only: charging one nobody topped up is UserNotFoundError, and writes nothing', async function () {
    const space = await newSpace(this, { migrator: migrators.users });
    const users = postgresUsersRepository(space.pool);
    const error = await users.changeBalance('carl', -1).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(UserNotFoundError).and.have.property('code', 'user-not-found');
    expect((await space.pool.query('SELECT * FROM users')).rows).to.deep.equal([]);
  });

  it('never lets concurrent spending go below zero', async function () {
    const space = await newSpace(this, { migrator: migrators.users });
    const users = postgresUsersRepository(space.pool);
    await users.changeBalance('ann', 3);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => users.changeBalance('ann', -1)));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.length - refused.length).to.equal(3);
    refused.forEach((r) => expect(r.reason).to.be.instanceOf(InsufficientBalanceError));
    expect(await users.balance('ann')).to.equal(0);
  });

  it('has the database refuse a negative balance even without the domain check', async function () {
    const space = await newSpace(this, { migrator: migrators.users });
    const error = await space.pool.query(`INSERT INTO users (id, balance) VALUES ('x', -1)`).catch((e: { code?: string }) => e);
    expect(error).to.have.property('code', '23514');
  });
});
