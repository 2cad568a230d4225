import { expect } from 'chai';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { clusterRoots } from '../../internal/integration/embedded/data-place.js';
import * as seeds from '../../internal/integration/embedded/seed.js';
import { freshCheckout, OWN_SERVER, runMocha, type MochaRun } from '../support/run-mocha.js';

// A seed (the last clean run's stopped cluster) is only a cache: a schema must do on it what it does
// on a fresh cluster, as CI's is. So a cluster with server-wide state a fresh one lacks leaves no
// seed, and a seed that changed since it was left, or will not start, is replaced by a fresh cluster.

const SEEDED = "with the last run's templates";
const schema = (checkout: string, version: string): Promise<MochaRun> =>
  runMocha(path.join(checkout, 'test/fixtures/seed-schema.fixture.ts'), { ...OWN_SERVER, SEED_SCHEMA: version }, { cwd: checkout });
const passes = (checkout: string): Promise<MochaRun> =>
  runMocha(path.join(checkout, 'test/fixtures/passes.fixture.ts'), OWN_SERVER, { cwd: checkout });

/** The data directory of `checkout`'s seed (see embedded/seed.ts). */
function seedOf(checkout: string): string {
  for (const root of clusterRoots()) {
    for (const name of readdirSync(root).filter((n) => n.startsWith('seed-'))) {
      const about = path.join(root, name, 'pgspace-seed.json');
      if (existsSync(about) && JSON.parse(readFileSync(about, 'utf8')).checkout === checkout) return path.join(root, name);
    }
  }
  throw new Error(`no seed for ${checkout}`);
}

/** The largest file under `dir`: a table's, with rows, in a template. */
function largestFile(dir: string): string {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
}

describe("the last run's cluster, as the next run's seed", function () {
  this.timeout(120_000);

  describe('a schema on the seed and on a fresh cluster', function () {
    const seeded = freshCheckout();
    const fresh = freshCheckout();

    it('does the same on both: a setup that stopped making a role its migration grants to fails on each', async function () {
      const first = await schema(seeded(), 'makes-role');
      expect(first.code, first.output).to.equal(0);
      const onSeed = await schema(seeded(), 'forgets-role');
      const onFresh = await schema(fresh(), 'forgets-role');
      expect(onFresh.output).to.not.include(SEEDED);
      expect(onFresh.output).to.include('role "pgspace_seed_reader" does not exist');
      expect(
        [onSeed.code, /role "pgspace_seed_reader" does not exist/.test(onSeed.output)],
        `on the seed:\n${onSeed.output}`,
      ).to.deep.equal([onFresh.code, true]);
      expect(onFresh.code).to.equal(1);
      expect(first.output).to.include(
        `pgspace: no seed for the next run: this cluster holds what a fresh one lacks (role pgspace_seed_reader), made by a schema's setup or a test`,
      );
    });

    it('does the same on both: a schema that passes on a fresh cluster passes on the seed', async function () {
      const onFresh = await schema(seeded(), 'plain');
      expect(onFresh.code, onFresh.output).to.equal(0);
      const onSeed = await schema(seeded(), 'plain');
      expect(onSeed.output).to.include(SEEDED);
      expect(onSeed.code, onSeed.output).to.equal(0);
    });
  });

  describe('a damaged seed', function () {
    const checkout = freshCheckout();

    it("is not used when a file changed since it was left (a table's file truncated): the run says so and starts fresh", async function () {
      expect((await passes(checkout())).code).to.equal(0);
      const seed = seedOf(checkout());
      const file = largestFile(path.join(seed, 'base'));
      truncateSync(file, 0);
      const next = await passes(checkout());
      expect(next.code, next.output).to.equal(0);
      const relative = path.relative(seed, file);
      expect(next.output).to.match(
        new RegExp(
          `pgspace: the last run's cluster was not used, ${relative.replace(/[/.]/g, '\\$&')} changed since the seed was left \\(0 bytes; it had \\d+ bytes\\): this run starts from a fresh one\\n`,
        ),
      );
      expect(next.output).to.not.include(SEEDED);
    });

    it('is not used when it will not start: the run says so, with what Postgres said, and starts fresh', async function () {
      expect((await passes(checkout())).code).to.equal(0); // leaves a good seed again
      const data = seedOf(checkout());
      appendFileSync(path.join(data, 'postgresql.conf'), "\nshared_buffers = 'plenty'\n");
      seeds.writeManifest?.(data); // its files as left: only starting it can tell
      const next = await passes(checkout());
      expect(next.code, next.output).to.equal(0);
      expect(next.output, next.output).to.include(
        `pgspace: the last run's cluster was not used, it did not start (invalid value for parameter "shared_buffers": "plenty"; configuration file "`,
      );
      expect(next.output).to.match(/postgresql\.conf" contains errors\): this run starts from a fresh one\n/);
      expect(next.output).to.not.include(SEEDED);
    });
  });
});
