import { expect } from 'chai';
import { WarmPool, type PoolSource } from '../../../internal/integration/session/warm-pool.js';
import { capError } from '../../../internal/integration/spaces/space-cap.js';

// The warm pool within a budget it shares (a run's cap on spaces), with makes that answer at once:
// a make that finds the budget spent answers undefined; a background refill never fails a taker;
// a taker fails only once it has itself waited past the limit.

/** A source whose budget is `budget` items alive at once; `fail` makes the next makes throw. */
function budgeted(budget: number) {
  const state = { alive: 0, made: 0, putDown: [] as number[], fail: 0, forTaker: [] as boolean[] };
  const source: PoolSource<number> = {
    async make(forTaker) {
      state.forTaker.push(forTaker);
      if (state.fail > 0) {
        state.fail--;
        throw new Error(`make failed (${forTaker ? 'for a taker' : 'background'})`);
      }
      if (state.alive >= budget) return undefined;
      state.alive++;
      return ++state.made;
    },
    async putDown(item) {
      state.putDown.push(item);
    },
    async starved(waitedMs) {
      return new Error(`starved after ${waitedMs} ms`);
    },
  };
  return { state, source, free: () => state.alive-- };
}

describe('the warm pool, within a budget', function () {
  it('fills up to its size in the background and hands out what is ready', async function () {
    const { state, source } = budgeted(10);
    const pool = new WarmPool(source, 3, 2, 1_000);
    await pool.warm();
    await pool.warm();
    expect(pool.readyCount).to.equal(3);
    expect(await pool.take()).to.equal(1);
    await pool.close();
    expect(state.putDown, 'what nobody took is put down at close').to.deep.equal([2, 3, 4]);
  });

  it('makes nothing past the budget, and fails no taker for it: a background make that finds it spent is not an error', async function () {
    const { state, source, free } = budgeted(1);
    const pool = new WarmPool(source, 4, 2, 1_000);
    const first = await pool.take();
    const second = pool.take(); // waits: the budget is spent
    free(); // the first is given back (dropped)
    pool.nudge();
    expect(await second).to.equal(2);
    expect(first).to.equal(1);
    expect(state.alive, 'never more than the budget at once').to.equal(1);
    await pool.close();
  });

  it('fails a taker only once it has itself waited its whole limit, with what the source says', async function () {
    const { source } = budgeted(0);
    const pool = new WarmPool(source, 4, 2, 60);
    const started = performance.now();
    const error = await pool.take().then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).to.match(/^starved after \d+ ms$/);
    expect(Number(/(\d+) ms/.exec(error!.message)![1]), 'it waited the limit').to.be.at.least(60);
    expect(performance.now() - started).to.be.at.least(60);
    await pool.close();
  });

  it('gives a failure of a background make to no taker: the taker gets a make of its own', async function () {
    const { state, source } = budgeted(10);
    const pool = new WarmPool(source, 2, 1, 1_000);
    state.fail = 1; // the background refill's make
    void pool.warm();
    const item = await pool.take();
    expect(item).to.equal(1);
    expect(state.forTaker).to.deep.equal([false, true]);
    await pool.close();
  });

  it('gives the failure of a make started for a taker to that taker', async function () {
    const { state, source } = budgeted(10);
    const pool = new WarmPool(source, 0, 1, 1_000);
    state.fail = 1;
    const error = await pool.take().then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(error).to.equal('make failed (for a taker)');
    await pool.close();
  });

  it('keeps every item it adopts (a recycled space), even past its size: none is thrown away', async function () {
    const { state, source } = budgeted(10);
    const pool = new WarmPool(source, 1, 1, 1_000);
    await pool.warm();
    for (const item of [101, 102, 103]) pool.adopt(Promise.resolve(item));
    await pool.warm();
    const taken = [await pool.take(), await pool.take(), await pool.take(), await pool.take()];
    expect(taken).to.include.members([101, 102, 103]);
    await pool.close();
    expect(state.putDown).not.to.include.members([101, 102, 103]);
  });
});

describe("the message of a test that waited at its run's cap", function () {
  it('says how long it waited, the cap and where it comes from, and what held the spaces', function () {
    const error = capError({ max: 5, source: 'PGSPACE_MAX_SPACES=5' }, 10_012, {
      tests: [
        { title: 'orders › holds three', spaces: 3 },
        { title: 'a', spaces: 1 },
      ],
      ready: 1,
      busy: 0,
    });
    expect(error.message).to.equal(
      'this test waited 10.0 s for a space, and its run held 5 space(s) at once, its cap (PGSPACE_MAX_SPACES=5), all that time; ' +
        'held now: 4 given to tests: "orders › holds three" (3), "a"; 1 ready in warm pools. ' +
        "A test that holds many spaces at once, or tests that never end, reach it. Hold fewer at once, or raise PGSPACE_MAX_SPACES (and the server's max_connections with it).",
    );
  });

  it('names three tests and counts the others', function () {
    const tests = ['a', 'b', 'c', 'd', 'e'].map((title) => ({ title, spaces: 1 }));
    expect(capError({ max: 5, source: 'x' }, 10_000, { tests, ready: 0, busy: 0 }).message).to.include(
      '5 given to tests: "a", "b", "c" and 2 more.',
    );
  });
});
