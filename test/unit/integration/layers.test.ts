import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from '../../support/run-mocha.js';

// The helper's folders, lowest first: each may import only from folders before it (and its own).
// The README's "How it works" tells the same order. A newcomer can then say from the tree alone
// where a change belongs, and nothing low knows about what is built on it.
const LAYERS = ['common', 'server', 'embedded', 'templates', 'config', 'spaces', 'session', 'trace', 'run', 'shard', 'runners', 'cli'];

const helper = path.join(root, 'internal/integration');

/** Every .ts file of the helper, relative to it. */
function sources(dir = helper): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'dist') return [];
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [path.relative(helper, full)] : [];
  });
}

/** The folder of a helper file ('' for the package's root files). */
const folderOf = (file: string) => (file.includes('/') ? file.split('/')[0]! : '');

/** Relative imports of a file, as helper-relative paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(helper, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) =>
    path.relative(helper, path.resolve(path.dirname(path.join(helper, file)), m[1]!)),
  );
}

describe("the helper's folders", function () {
  it('are the layers, and no file sits outside them', function () {
    const folders = new Set(sources().map(folderOf));
    folders.delete('');
    expect([...folders].sort()).to.deep.equal([...LAYERS].sort());
  });

  it('import only downwards', function () {
    const upward: string[] = [];
    for (const file of sources()) {
      const from = folderOf(file);
      if (from === '') continue; // index.ts: the package's face, above everything
      for (const target of importsOf(file)) {
        const to = folderOf(target);
        if (to !== from && LAYERS.indexOf(to) > LAYERS.indexOf(from)) upward.push(`${file} → ${target}`);
      }
    }
    expect(upward).to.deep.equal([]);
  });

  it('load the trace only as a plug-in: outside trace/, no file imports it but runners/tracing.ts (on demand) and what names its files', function () {
    const loads: string[] = [];
    for (const file of sources()) {
      if (folderOf(file) === 'trace' || file === 'runners/tracing.ts') continue;
      const text = readFileSync(path.join(helper, file), 'utf8');
      for (const m of text.matchAll(/^(?:import|export) (?!type )[^;]*?from '([^']+)'/gm)) {
        const target = path.relative(helper, path.resolve(path.dirname(path.join(helper, file)), m[1]!));
        if (folderOf(target) === 'trace' && target !== 'trace/dir.js') loads.push(`${file} → ${target}`);
      }
    }
    expect(loads).to.deep.equal([]);
  });
});
