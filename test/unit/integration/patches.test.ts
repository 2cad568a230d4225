import { expect } from 'chai';
import Mocha from 'mocha';
import { TestRunner } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  missing,
  mochaPatches,
  pgPatches,
  processPatches,
  vitestPatches,
  type Patch,
} from '../../../internal/integration/runners/patches.js';
import { root } from '../../support/run-mocha.js';

// pgspace's hold on other packages, checked against the versions installed here: what each
// runner binding checks when it loads, and what it says when something is gone.

describe('the packages pgspace patches or reads privately', function () {
  it('still have all of it, at the versions installed here', function () {
    expect(missing([...pgPatches(), ...mochaPatches(Mocha), ...vitestPatches(TestRunner)])).to.deep.equal([]);
  });

  it('say what is gone, in which version it was checked, and who needs it', function () {
    const Gone = class {} as unknown as typeof Mocha;
    (Gone as unknown as { Runner: unknown }).Runner = class {};
    const lines = missing(mochaPatches(Gone));
    expect(lines[0]).to.equal(
      'Mocha#run, wrapped (checked with mocha 11.8.0), needed by mocha-runner: follows each run (failures, the trace, stopping a broken run)',
    );
    expect(lines).to.have.length(5);
  });

  it('name the module of every patch, and that module exists', function () {
    const modules = new Set(
      readdirSync(path.join(root, 'internal/integration'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => path.basename(f, '.ts')),
    );
    const patches: Patch[] = [...pgPatches(), ...mochaPatches(Mocha), ...vitestPatches(TestRunner), ...processPatches];
    for (const p of patches)
      for (const name of p.where.split(':')[0]!.split(', ')) expect(modules.has(name), `${name} (${p.what})`).to.equal(true);
  });
});
