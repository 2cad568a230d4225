import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The package's README tells a stranger what to write for each runner and migration tool. What it
// says must be what test/runs/package.test.ts runs: every snippet of its "you use X → write this"
// tables appears, as written, in a file of the blank projects that test installs the package into.

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const readme = readFileSync(here('../../../internal/integration/README.md'), 'utf8');
const projects = ['blank-project', 'blank-project-cjs'].map((p) => here(`../../fixtures/${p}`));

/** The text of every file of the blank projects (their own files: no installed packages). */
const fixtures = projects
  .flatMap((dir) =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !e.parentPath.includes('node_modules'))
      .map((e) => path.join(e.parentPath, e.name)),
  )
  .map((file) => readFileSync(file, 'utf8'));

/** The code spans of the table after `heading`'s line, from the columns saying what to write (not the first, not the notes). */
function snippets(header: string, columns: number[]): string[] {
  const start = readme.indexOf(header);
  expect(start, `the README's table starting ${header}`).to.be.greaterThan(-1);
  const rows = readme.slice(start).split('\n').slice(2);
  const out: string[] = [];
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const cells = row.split(/(?<!\\)\|/).slice(1, -1);
    if (cells[0]!.trim() === 'anything else') continue; // the contract itself, not a configuration
    for (const column of columns) {
      // A snippet is code; a bare file name in parentheses (`.mocharc.json`) says where it goes.
      for (const [, code] of cells[column]!.matchAll(/`([^`]+)`/g)) if (/[('"{ ]/.test(code!)) out.push(code!);
    }
  }
  return out;
}

describe("the package README's set-up tables", function () {
  const unique = (xs: string[]) => [...new Set(xs)];
  const cases = [
    ...unique(snippets('| you use | in the runner', [1, 2])).map((s) => ['runner', s] as const),
    ...unique(snippets('| your migrations | in `pgspace.config`', [1])).map((s) => ['migrator', s] as const),
  ];

  it('have a snippet for every runner and every migration tool', function () {
    expect(cases.filter(([kind]) => kind === 'runner')).to.have.length.greaterThanOrEqual(13);
    expect(cases.filter(([kind]) => kind === 'migrator')).to.have.lengthOf(6);
  });

  for (const [kind, snippet] of cases) {
    it(`${kind}: ${snippet} is what a blank project the package test runs has`, function () {
      expect(fixtures.some((text) => text.includes(snippet))).to.equal(true);
    });
  }
});
