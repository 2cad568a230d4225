import { expect } from 'chai';
import { lineage, type HeldSpace } from '../../../internal/integration/session/session.js';

const held = (latest: string[], count: number) => ({ heldBefore: { latest, count } }) as HeldSpace;

describe('where a space came from, as its kept note and trace say it', function () {
  it('a fresh clone', function () {
    expect(lineage(held([], 0))).to.equal('a fresh clone of its template');
  });

  it('recycled: the tests that held it, latest first, quoted', function () {
    expect(lineage(held(['b "2"', 'a'], 2))).to.equal('recycled: held before by "b \\"2\\"", "a"');
  });

  it('recycled many times: the latest few, and how many more', function () {
    expect(lineage(held(['e', 'd', 'c'], 5))).to.equal('recycled: held before by "e", "d", "c" and 2 earlier');
  });
});
