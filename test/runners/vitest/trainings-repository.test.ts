import { describe, expect, it } from 'vitest';
import { newSpace } from '../../../internal/integration/runners/vitest.js';
import { postgresTrainingsRepository } from '../../../src/trainings/adapters/postgres-repository.js';

// The same helper under Vitest: `newSpace()`, a space per test.
describe('trainings repository, under Vitest', () => {
  it('publishes hours once and lists the available ones', async () => {
    const space = await newSpace();
    const repository = postgresTrainingsRepository(space.pool);
    const at = new Date('2030-01-09T12:00:00Z');
    await repository.addHours('coach', [at, at]);
    expect(await repository.availableHours('coach', at, new Date('2030-01-10T00:00:00Z'))).toEqual([at]);
  });

  it('starts every test from an empty schema', async () => {
    const space = await newSpace();
    const { rows } = await space.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM hours');
    expect(rows[0]!.n).toBe(0);
  });
});
