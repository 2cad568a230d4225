import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// "Now" comes from the service's clock port, so every rule about time is tested at its exact edges
// with a clock the test holds. Checked here, mechanically: no test of the example service reads the
// wall clock, and the service reads it in one place only, its default clock.

const root = fileURLToPath(new URL('../..', import.meta.url));
const WALL_CLOCK = /\bDate\.now\s*\(|\bnew Date\s*\(\s*\)|(?<![\w.])Date\s*\(\s*\)/;
const DEFAULT_CLOCK = { file: 'src/trainings/service.ts', line: 'clock: overrides.clock ?? { now: () => new Date() },' };

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

function wallClockReads(files: string[]): string[] {
  return files.flatMap((file) =>
    readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .flatMap((line, i) => (WALL_CLOCK.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('the wall clock', function () {
  it('is read by no test of the example service (unit, integration, component, e2e)', function () {
    const self = path.relative(root, fileURLToPath(import.meta.url)); // its patterns are the check's, not reads
    const tests = ['test/unit', 'test/integration', 'test/component', 'test/e2e'].flatMap(sources).filter((f) => f !== self);
    expect(tests.length).to.be.above(20);
    expect(wallClockReads(tests)).to.deep.equal([]);
  });

  it('is read by the service in one place: the default clock its tests replace', function () {
    const reads = wallClockReads(sources('src')).map((read) => read.replace(/:\d+: /, ': ')); // wherever the line moves
    expect(reads).to.deep.equal([`${DEFAULT_CLOCK.file}: ${DEFAULT_CLOCK.line}`]);
  });

  it('is recognised in every spelling the check looks for', function () {
    const spelled = ['Date.now()', 'new Date()', 'new Date( )', 'Date()', 'const t = Date.now ();'];
    for (const line of spelled) expect(WALL_CLOCK.test(line), line).to.equal(true);
    for (const line of ["new Date('2030-01-07T10:00:00Z')", 'new Date(ms)', 'Date.parse(s)', 'clock.now()'])
      expect(WALL_CLOCK.test(line), line).to.equal(false);
  });
});
