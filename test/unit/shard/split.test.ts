import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { planShard } from '../../../internal/integration/shard/plan.js';
import { parseShard, splitFiles } from '../../../internal/integration/shard/split.js';

const root = '/work/checkout';

/** 48 files with durations from 0.2 to 12 s, the same every run (a small LCG, not Math.random). */
function syntheticSuite(): { files: string[]; seconds: Map<string, number> } {
  let seed = 20261123;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const files = Array.from({ length: 48 }, (_, i) => `test/${['unit', 'integration', 'component'][i % 3]}/file-${i}.test.ts`);
  return { files, seconds: new Map(files.map((f) => [f, Number((0.2 + next() * 11.8).toFixed(3))])) };
}

/** A JUnit report as mocha-junit-reporter writes it inside the test container (/app), one suite per file. */
function junitXml(seconds: Map<string, number>): string {
  const suites = [...seconds].map(
    ([file, s]) =>
      `  <testsuite name="suite &quot;${file}&quot;" timestamp="2026-11-23T10:00:00" tests="1" file="/app/${file}" time="${s.toFixed(3)}" failures="0">\n` +
      `    <testcase name="it works" time="${(s * 0.9).toFixed(3)}" classname="it works"></testcase>\n  </testsuite>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="pgspace" time="1" tests="${seconds.size}" failures="0">\n${suites.join('\n')}\n</testsuites>\n`;
}

function allShards(count: number, files: string[], env: NodeJS.ProcessEnv) {
  return Array.from({ length: count }, (_, i) => planShard({ index: i + 1, count }, files, root, env));
}

function expectExactCover(shards: { files: string[] }[], files: string[]): void {
  const seen = shards.flatMap((s) => s.files);
  expect([...seen].sort(), 'union = every file, none twice').to.deep.equal([...files].sort());
}

describe('SHARD=i/n: splitting test files', function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgspace-shard-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const count of [1, 2, 3, 4, 7, 60]) {
    it(`puts every file in exactly one of ${count} shard(s), with timings and without`, function () {
      const { files, seconds } = syntheticSuite();
      fs.writeFileSync(path.join(dir, 'junit.xml'), junitXml(seconds));
      expectExactCover(allShards(count, files, { SHARD_TIMINGS: dir }), files);
      expectExactCover(allShards(count, files, { SHARD_TIMINGS: path.join(dir, 'none') }), files);
    });
  }

  it('packs by the recorded times: 4 shards within 10 % of an even split, and says what it expects', function () {
    const { files, seconds } = syntheticSuite();
    const report = path.join(dir, 'junit.xml');
    fs.writeFileSync(report, junitXml(seconds));
    const shards = allShards(4, files, { SHARD_TIMINGS: report });
    const loads = shards.map((s) => s.files.reduce((sum, f) => sum + seconds.get(f)!, 0));
    const even = loads.reduce((a, b) => a + b) / 4;
    for (const load of loads) expect(Math.abs(load - even) / even, `loads ${loads.map((l) => l.toFixed(1)).join(', ')}`).to.be.below(0.1);
    expect(shards[1]!.lines[0]).to.match(
      new RegExp(
        `^shard 2/4: \\d+ of 48 test files, expected ${loads[1]!.toFixed(1)} s of [\\d.]+ s, by the timings in .*junit\\.xml \\(48 of 48 files known\\); plan [0-9a-f]{12}$`,
      ),
    );
    expect(shards[1]!.lines[1]).to.equal(`shard 2/4 runs: ${shards[1]!.files.join(' ')}`);
  });

  it('is the same split on every agent: the same inputs give the same shards, whatever the order files were found in', function () {
    const { files, seconds } = syntheticSuite();
    fs.writeFileSync(path.join(dir, 'junit.xml'), junitXml(seconds));
    const a = allShards(4, files, { SHARD_TIMINGS: dir }).map((s) => s.files);
    const b = allShards(4, [...files].reverse(), { SHARD_TIMINGS: dir }).map((s) => s.files);
    expect(b).to.deep.equal(a);
  });

  it('gives files the reports do not know the median time, and reads every report below a directory', function () {
    const { files, seconds } = syntheticSuite();
    const half = new Map([...seconds].slice(0, 24));
    fs.mkdirSync(path.join(dir, 'shard-1-of-2'));
    fs.writeFileSync(path.join(dir, 'shard-1-of-2', 'junit.xml'), junitXml(half));
    const shards = allShards(3, files, { SHARD_TIMINGS: dir });
    expectExactCover(shards, files);
    expect(shards[0]!.lines[0]).to.contain('(24 of 48 files known)');
  });

  it('falls back on file sizes when there are no reports, and says so', function () {
    const files = ['a.test.ts', 'b.test.ts', 'c.test.ts'];
    const sizes = [3000, 1000, 1500];
    files.forEach((f, i) => fs.writeFileSync(path.join(dir, f), 'x'.repeat(sizes[i]!)));
    const inDir = Array.from({ length: 2 }, (_, i) => planShard({ index: i + 1, count: 2 }, files, dir, { SHARD_TIMINGS: 'no-reports' }));
    expect(inDir.map((s) => s.files)).to.deep.equal([['a.test.ts'], ['b.test.ts', 'c.test.ts']]);
    expect(inDir[0]!.lines[0]).to.equal(
      `shard 1/2: 1 of 3 test files, split by file size: no JUnit timings in no-reports; plan ${inDir[0]!.fingerprint}`,
    );
    expectExactCover(inDir, files);
  });

  it('reads no report the checkout holds unless SHARD_TIMINGS names it: a shard before it may have written one', function () {
    const { files, seconds } = syntheticSuite();
    fs.mkdirSync(path.join(dir, 'reports'));
    fs.writeFileSync(path.join(dir, 'reports', 'junit.xml'), junitXml(seconds));
    const plan = planShard({ index: 1, count: 2 }, files, dir, {});
    expect(plan.lines[0]).to.match(/split by file size: no SHARD_TIMINGS given; plan [0-9a-f]{12}$/);
    expect(planShard({ index: 1, count: 2 }, files, dir, { SHARD_TIMINGS: 'reports' }).lines[0]).to.contain(
      'by the timings in reports (48 of 48 files known)',
    );
  });

  it('gives every shard of a split the same fingerprint, and another split another', function () {
    const { files, seconds } = syntheticSuite();
    fs.writeFileSync(path.join(dir, 'junit.xml'), junitXml(seconds));
    const timed = allShards(4, files, { SHARD_TIMINGS: dir }).map((s) => s.fingerprint);
    const bySize = allShards(4, files, {}).map((s) => s.fingerprint);
    expect(new Set(timed).size).to.equal(1);
    expect(new Set(bySize).size).to.equal(1);
    expect(timed[0]).to.not.equal(bySize[0]);
    expect(planShard({ index: 1, count: 4 }, files.slice(1), root, { SHARD_TIMINGS: dir }).fingerprint, 'one file fewer').to.not.equal(
      timed[0],
    );
  });

  it('leaves a shard empty, and says so, when there are more shards than files', function () {
    const plan = planShard({ index: 3, count: 3 }, ['only.test.ts', 'second.test.ts'], root, { SHARD_TIMINGS: '/nonexistent' });
    expect(plan.files).to.deep.equal([]);
    expect(plan.lines[1]).to.equal('shard 3/3 runs: (nothing: more shards than files)');
  });

  it('packs longest first into the lightest shard', function () {
    const w = new Map([
      ['a', 5],
      ['b', 4],
      ['c', 3],
      ['d', 3],
      ['e', 3],
    ]);
    const shards = splitFiles([...w.keys()], 2, (f) => w.get(f)!);
    expect(shards.map((s) => [s.files, s.expected])).to.deep.equal([
      [['a', 'd'], 8],
      [['b', 'c', 'e'], 10],
    ]);
  });

  for (const bad of ['', '2', '0/2', '3/2', '1/0', '-1/2', 'a/b', '1/2/3', '1.5/2']) {
    it(`refuses SHARD=${JSON.stringify(bad)} with a message that shows the form`, function () {
      expect(() => parseShard(bad)).to.throw(/is not a shard: write i\/n with 1 ≤ i ≤ n, e\.g\. SHARD=2\/4/);
    });
  }

  it('accepts i/n with spaces around the numbers', function () {
    expect(parseShard(' 2 / 4 ')).to.deep.equal({ index: 2, count: 4 });
  });
});
