import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newSpace } from '../../../internal/integration/runners/node-test.js';
import { postgresTrainingsRepository } from '../../../src/trainings/adapters/postgres-repository.js';

// The same helper under node:test: `newSpace(t)`, a space per test.
describe('trainings repository, under node:test', () => {
  test('publishes hours once and lists the available ones', async (t) => {
    const space = await newSpace(t);
    const repository = postgresTrainingsRepository(space.pool);
    const at = new Date('2030-01-09T12:00:00Z');
    await repository.addHours('coach', [at, at]);
    assert.deepEqual(await repository.availableHours('coach', at, new Date('2030-01-10T00:00:00Z')), [at]);
  });

  test('starts every test from an empty schema', async (t) => {
    const space = await newSpace(t);
    const { rows } = await space.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM hours');
    assert.equal(rows[0]!.n, 0);
  });
});
