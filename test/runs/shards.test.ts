import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startCluster, type EmbeddedCluster } from '../../internal/integration/embedded/cluster.js';
import { serverUrl } from '../../internal/integration/server/server.js';
import { dropTemplate, listTemplates } from '../../internal/integration/templates/template.js';
import { freshCheckout, runMocha } from '../support/run-mocha.js';

// SHARD=i/n on the real suite: four shards at once on one fresh server, as four Jenkins agents
// sharing a test server would run them. Together they must run every test exactly once, green,
// build each template once between them, and leave nothing behind.
const SUITE = 'test/{unit,integration,component,e2e}/**/*.test.ts';

interface JsonTest {
  file: string;
  fullTitle: string;
  err?: { message?: string };
}

/** The tests a JSON report lists, and its failures with their errors (the reporter keeps them off the console). */
async function testsOf(file: string): Promise<{ ran: string[]; failures: string[] }> {
  const report = JSON.parse(await readFile(file, 'utf8')) as { tests: JsonTest[]; failures: JsonTest[] };
  return {
    ran: report.tests.map((t) => `${path.relative(process.cwd(), t.file)} :: ${t.fullTitle}`),
    failures: report.failures.map((t) => `${t.fullTitle}: ${t.err?.message ?? '?'}`),
  };
}

describe('SHARD=i/n: the suite split four ways on one server', function () {
  this.timeout(300_000);
  let server: EmbeddedCluster;
  let dir: string;

  before(async function () {
    server = await startCluster();
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgspace-shards-'));
    // No templates yet (a seeded cluster has the last run's): the shards must build them, each once.
    const admin = new pg.Client(server.settings);
    await admin.connect();
    for (const name of await listTemplates(admin)) await dropTemplate(admin, name);
    await admin.end();
  });

  after(async function () {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every test exactly once across 4 concurrent shards, all green, each template built once, nothing left', async function () {
    const env = { PGSPACE_ADMIN_URL: serverUrl(server.settings), SHARD_TIMINGS: path.join(dir, 'no-timings') };
    const json = (name: string) => ['--reporter', 'json', '--reporter-option', `output=${path.join(dir, `${name}.json`)}`];
    // Everything the suite holds, listed without running it.
    const all = await runMocha(SUITE, env, { args: ['--dry-run', ...json('all')] });
    expect(all.code, all.output).to.equal(0);
    const shards = await Promise.all(
      [1, 2, 3, 4].map((i) => runMocha(SUITE, { ...env, SHARD: `${i}/4` }, { timeoutMs: 280_000, args: json(`shard-${i}`) })),
    );

    const expected = (await testsOf(path.join(dir, 'all.json'))).ran.sort();
    const ran: string[] = [];
    for (const [i, shard] of shards.entries()) {
      const { ran: mine, failures } = await testsOf(path.join(dir, `shard-${i + 1}.json`));
      expect(failures, shard.output).to.deep.equal([]);
      expect(shard.code, shard.output).to.equal(0);
      expect(shard.output).to.match(
        new RegExp(`pgspace: shard ${i + 1}/4: \\d+ of \\d+ test files, split by file size: no JUnit timings in \\S+; plan [0-9a-f]{12}\n`),
      );
      expect(mine, `shard ${i + 1}/4 ran tests`).to.not.be.empty;
      ran.push(...mine);
    }
    expect(expected.length).to.be.above(200);
    expect(ran.sort(), 'the shards together = the unsharded suite, none lost, none twice').to.deep.equal(expected);

    const builds = shards.flatMap((s) => [...s.output.matchAll(/^pgspace: built template (\S+)/gm)].map((m) => m[1]!));
    expect(builds, "the suite's templates were built here").to.not.be.empty;
    expect(builds.length, `each template built once between the shards: ${builds.join(', ')}`).to.equal(new Set(builds).size);

    const admin = new pg.Client(server.settings);
    await admin.connect();
    try {
      const { rows } = await admin.query<{ left: number }>(
        `SELECT (SELECT count(*) FROM pgspace.spaces) + (SELECT count(*) FROM pg_database WHERE datname LIKE 'pgs\\_%' AND NOT datistemplate) AS left`,
      );
      expect(Number(rows[0]!.left), 'spaces left on the server').to.equal(0);
    } finally {
      await admin.end();
    }
  });
});

describe('SHARD=1/2, then SHARD=2/2, in one checkout, with the JUnit reporter', function () {
  this.timeout(120_000);
  const checkout = freshCheckout();
  // The README's way to write reports/junit.xml, which each run overwrites.
  const junit = ['--reporter', 'mocha-multi-reporters', '--reporter-options', 'configFile=test/reporters.json'];

  it('runs every file in exactly one shard, whatever reports the checkout holds, and both shards print one plan', async function () {
    const spec = path.join(checkout(), 'test/fixtures/shard-suite/*.fixture.ts');
    const run = async (shard: string) => {
      const result = await runMocha(
        spec,
        { SHARD: shard, PGSPACE_TRACE_DIR: path.join(checkout(), 'reports/trace') },
        { cwd: checkout(), args: junit },
      );
      const xml = await readFile(path.join(checkout(), 'reports/junit.xml'), 'utf8');
      return { ...result, cases: [...xml.matchAll(/<testcase name="([^"]*)"/g)].map((m) => m[1]!) };
    };
    const whole = await run(''); // leaves a report of every file's time, as a whole run on CI does
    expect(whole.code, whole.output).to.equal(1);
    expect(whole.cases).to.have.length(8);
    const one = await run('1/2');
    const two = await run('2/2');

    expect([...one.cases, ...two.cases].sort(), 'the shards together ran every test once').to.deep.equal([...whole.cases].sort());
    const plans = [one, two].map((s) => /pgspace: shard \d\/2: .*; plan ([0-9a-f]{12})$/m.exec(s.output)?.[1]);
    expect(plans[0], one.output).to.be.a('string');
    expect(plans[1], 'both shards planned the same split').to.equal(plans[0]);
    const failing = 'shard suite f6 takes its time';
    const failed = [one, two].filter((s) => s.cases.includes(failing));
    expect(failed, 'the failing test ran in one shard').to.have.length(1);
    expect(failed[0]!.code, 'and that shard failed').to.equal(1);
    expect(await readFile(path.join(checkout(), `reports/trace/shard-2-of-2-plan.txt`), 'utf8')).to.match(
      new RegExp(`^shard 2/2: .*; plan ${plans[0]}\n`),
    );
  });
});
