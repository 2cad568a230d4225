import { expect } from 'chai';
import path from 'node:path';
import pg from 'pg';
import { dropSpace } from '../../internal/integration/spaces/spaces.js';
import { runServer, withAdmin } from '../support/admin.js';
import { root, runCommand as run } from '../support/run-mocha.js';

// The helper under Vitest and node:test, as whole runs: a passing test's space is dropped, a
// failing test's is kept with a psql line that works, and the run exits non-zero.

const runners = {
  Vitest: () =>
    run(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/runners/vitest.config.ts']),
  'node:test': () =>
    run(process.execPath, [
      '--import',
      'tsx',
      '--test',
      '--test-global-setup=./test/runners/node-test/global-setup.mjs',
      'test/fixtures/runners/node-test-pass-fail.test.ts',
    ]),
};

describe('the helper under other runners', function () {
  this.timeout(90_000);

  for (const [name, start] of Object.entries(runners)) {
    it(`${name}: drops a passing test's space, keeps a failing one's with a psql line, exits non-zero`, async function () {
      const result = await start();
      expect(result.code, result.output).to.equal(1);
      const urls = [...result.output.matchAll(/psql '([^']+)'/g)].map((m) => m[1]!);
      expect([...new Set(urls)], result.output).to.have.lengthOf(1);
      const kept = decodeURIComponent(/@[^/]*\/([^?]+)/.exec(urls[0]!)![1]!);
      try {
        expect(kept).to.match(/fails/);
        const client = new pg.Client({ connectionString: urls[0] });
        await client.connect();
        const { rows } = await client.query('SELECT trainer_id FROM hours');
        await client.end();
        expect(rows).to.deep.equal([{ trainer_id: 'failing' }]); // the failing test's data, as it left it
        const left = await withAdmin((a) => a.query(`SELECT datname FROM pg_database WHERE datname LIKE '%passes%'`));
        expect(left.rows).to.deep.equal([]);
      } finally {
        await withAdmin((admin) => dropSpace(admin, runServer(), kept));
      }
    });
  }
});
