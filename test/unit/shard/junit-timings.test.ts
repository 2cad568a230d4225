import { expect } from 'chai';
import { readJUnit, timesFor } from '../../../internal/integration/shard/junit-timings.js';

describe('JUnit timings for SHARD', function () {
  it("sums a file's suites, hooks included, from a serial run", function () {
    const xml = `<testsuites>
      <testsuite name="Root Suite" tests="0" time="0.000"></testsuite>
      <testsuite name="a" file="/app/test/a.test.ts" time="2.500"><testcase name="x" time="1.000"></testcase></testsuite>
      <testsuite name="a, nested" file="/app/test/a.test.ts" time="1.500"><testcase name="y" time="1.200"></testcase></testsuite>
    </testsuites>`;
    expect([...readJUnit(xml)]).to.deep.equal([['/app/test/a.test.ts', 4]]);
  });

  it('sums test cases when a parallel run replayed its suites with no time', function () {
    const xml = `<testsuite name="b" file="/app/test/b.test.ts" time="0.001"><testcase name="x" time="0.700"/><testcase name="y" time="0.300"/></testsuite>`;
    expect(readJUnit(xml).get('/app/test/b.test.ts')).to.be.closeTo(1, 1e-9);
  });

  it('reads escaped paths, and counts a file found in two reports once, at its longest', function () {
    const times = readJUnit(`<testsuite file="/w/test/&quot;odd&quot; &amp; co.test.ts" time="1.000"></testsuite>`);
    readJUnit(`<testsuite file="/w/test/&quot;odd&quot; &amp; co.test.ts" time="3.000"></testsuite>`, times);
    expect([...times]).to.deep.equal([['/w/test/"odd" & co.test.ts', 3]]);
  });

  it('matches a report from another machine by the longest path suffix', function () {
    const recorded = new Map([
      ['/app/test/c/b/a.test.ts', 5],
      ['C:\\agent\\ws\\test\\b\\a.test.ts', 2],
      ['/elsewhere/not-ours.test.ts', 9],
    ]);
    const files = ['test/c/b/a.test.ts', 'test/b/a.test.ts', '/repo/test/new.test.ts'];
    expect([...timesFor(files, recorded, '/repo')]).to.deep.equal([
      ['test/c/b/a.test.ts', 5],
      ['test/b/a.test.ts', 2],
    ]);
  });
});
