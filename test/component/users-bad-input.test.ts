import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { type Space } from '../../internal/integration/index.js';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { migrators } from '../../pgspace.config.js';
import { loadUsersConfig } from '../../src/users/config.js';
import { MAX_BALANCE } from '../../src/users/domain/balance.js';
import { buildUsersService } from '../../src/users/service.js';
import { expectRefusal, tableRows, type HostileCase } from './refusal.js';

// Hostile input, route by route: each request gets its 4xx in the standard error shape
// (never a 500), and the users table does not change.

const change = (id: string, body: unknown) => (api: FastifyInstance) =>
  api.inject({ method: 'POST', url: `/users/${id}/balance`, payload: body as object });
const raw =
  (payload: string, contentType = 'application/json') =>
  (api: FastifyInstance) =>
    api.inject({ method: 'POST', url: '/users/ann/balance', headers: { 'content-type': contentType }, payload });
const get = (url: string) => (api: FastifyInstance) => api.inject({ method: 'GET', url });

const cases: Record<string, HostileCase<FastifyInstance>[]> = {
  'POST /users/:id/balance': [
    { name: 'true for a number', request: change('ann', { change: true }), status: 400, code: 'invalid-request' },
    { name: 'null for a number', request: change('ann', { change: null }), status: 400, code: 'invalid-request' },
    { name: 'a string holding a number', request: change('ann', { change: '1' }), status: 400, code: 'invalid-request' },
    { name: 'a list holding a number', request: change('ann', { change: [1] }), status: 400, code: 'invalid-request' },
    { name: 'a fraction', request: change('ann', { change: 1.5 }), status: 400, code: 'invalid-request' },
    { name: 'more than 1000 at once', request: change('ann', { change: 1001 }), status: 400, code: 'invalid-request' },
    { name: 'less than -1000 at once', request: change('ann', { change: -1001 }), status: 400, code: 'invalid-request' },
    { name: 'a number beyond any integer type', request: raw('{"change": 1e308}'), status: 400, code: 'invalid-request' },
    { name: 'a missing field', request: change('ann', {}), status: 400, code: 'invalid-request' },
    { name: 'an unknown field', request: change('ann', { change: 1, by: 'admin' }), status: 400, code: 'invalid-request' },
    { name: 'a NUL in the id', request: change('a%00nn', { change: 1 }), status: 400, code: 'invalid-request' },
    {
      name: 'an id that looks like SQL, charged',
      request: change(encodeURIComponent(`ann' OR '1'='1`), { change: -1 }),
      status: 404,
      code: 'user-not-found',
    },
    { name: 'a charge of a user with no row yet', request: change('bob', { change: -1 }), status: 404, code: 'user-not-found' },
    { name: 'going below zero', request: change('poor', { change: -1 }), status: 409, code: 'insufficient-balance' },
    { name: `a top-up past ${MAX_BALANCE}`, request: change('ann', { change: 1000 }), status: 422, code: 'balance-limit' },
    {
      name: 'a top-up of a balance near 2^31 (int4 overflow)',
      request: change('rich', { change: 1000 }),
      status: 422,
      code: 'balance-limit',
    },
    { name: 'malformed JSON', request: raw('{"change":'), status: 400, code: 'bad-request' },
    { name: 'a 1 MB body', request: raw(JSON.stringify({ change: 1, pad: 'x'.repeat(1 << 20) })), status: 413, code: 'payload-too-large' },
    {
      name: 'a body that is not JSON',
      request: raw('change=1', 'application/x-www-form-urlencoded'),
      status: 415,
      code: 'unsupported-media-type',
    },
  ],
  'GET /users/:id': [
    { name: 'a NUL in the id', request: get('/users/a%00nn'), status: 400, code: 'invalid-request' },
    { name: 'an unpaired surrogate in the id', request: get('/users/a%ED%A0%80nn'), status: 400, code: 'bad-request' },
    { name: 'a broken percent-encoding', request: get('/users/%E0%A4%A'), status: 400, code: 'bad-request' },
  ],
};

// One service for the file, each test's queries in its own space (README, "Component tests").
describe('users API: hostile input', function () {
  let space: Space;
  let api: FastifyInstance;

  beforeEach(async function () {
    space = await newSpace(this, { migrator: migrators.users });
    api ??= buildUsersService(loadUsersConfig(space.config.users!), { database: () => space.pool });
    // ann is 500 short of the limit; rich has a balance no top-up could ever reach, put there directly; poor has none left.
    await space.pool.query(`INSERT INTO users (id, balance) VALUES ('ann', $1), ('rich', 2147483000), ('poor', 0)`, [MAX_BALANCE - 500]);
  });

  after(async function () {
    await api?.close();
  });

  for (const [route, list] of Object.entries(cases)) {
    describe(route, function () {
      for (const c of list) {
        it(`${c.status} ${c.code} for ${c.name}, writing nothing`, async function () {
          const before = await tableRows(space.pool, ['users']);
          expectRefusal(await c.request(api), c.status, c.code);
          expect(await tableRows(space.pool, ['users'])).to.deep.equal(before);
        });
      }
    });
  }
});
