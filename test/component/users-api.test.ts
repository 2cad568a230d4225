import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { traceLogStream, type Space } from '../../internal/integration/index.js';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { migrators } from '../../pgspace.config.js';
import { loadUsersConfig } from '../../src/users/config.js';
import { buildUsersService } from '../../src/users/service.js';

// The service per file, the database per test: one service for the file, its queries going to
// each test's own space (`database: () => space.pool`; README, "Component tests").
describe('users API', function () {
  let space: Space;
  let api: FastifyInstance | undefined;

  beforeEach(async function () {
    space = await newSpace(this, { migrator: migrators.users });
    api ??= buildUsersService(loadUsersConfig(space.config.users!), {
      logger: { level: 'info', stream: traceLogStream() },
      database: () => space.pool,
    });
  });

  after(async function () {
    await api?.close();
  });

  const change = (id: string, by: unknown) => api!.inject({ method: 'POST', url: `/users/${id}/balance`, payload: { change: by } });

  it('tops up and spends a balance', async function () {
    expect((await change('ann', 2)).json()).to.deep.equal({ id: 'ann', balance: 2 });
    expect((await change('ann', -1)).json()).to.deep.equal({ id: 'ann', balance: 1 });
    expect((await api!.inject({ method: 'GET', url: '/users/ann' })).json()).to.deep.equal({ id: 'ann', balance: 1 });
  });

  it('refuses to go below zero with 409 insufficient-balance', async function () {
    await change('bob', 1);
    const res = await change('bob', -2);
    expect(res.statusCode).to.equal(409);
    expect(res.json().error.code).to.equal('insufficient-balance');
  });

  it('refuses to charge a user nobody ever topped up with 404 user-not-found, and makes no user', async function () {
    for (const by of [-1, 0]) {
      const res = await change('carl', by);
      expect(res.statusCode).to.equal(404);
      expect(res.json().error.code).to.equal('user-not-found');
    }
    expect((await api!.inject({ method: 'GET', url: '/users/carl' })).json()).to.deep.equal({ id: 'carl', balance: 0 });
    expect((await change('carl', 1)).json()).to.deep.equal({ id: 'carl', balance: 1 });
  });
});
