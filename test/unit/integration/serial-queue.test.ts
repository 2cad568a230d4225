import { expect } from 'chai';
import { SerialQueue } from '../../../internal/integration/session/serial-queue.js';

// The queue the session drops spaces through: one at a time, in order, failures kept for later.

describe('the serial queue', function () {
  it('runs tasks one at a time, in the order they were queued', async function () {
    const queue = new SerialQueue();
    const events: string[] = [];
    let running = 0;
    const task = (name: string, ticks: number) => async () => {
      running++;
      events.push(`${name} start (${running} running)`);
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      running--;
      events.push(`${name} end`);
    };
    queue.push(task('a', 5));
    queue.push(task('b', 0));
    queue.push(task('c', 2));
    expect(await queue.drain()).to.deep.equal([]);
    expect(events).to.deep.equal(['a start (1 running)', 'a end', 'b start (1 running)', 'b end', 'c start (1 running)', 'c end']);
  });

  it('goes on after a failing task, and hands the failures to whoever drains it, once', async function () {
    const queue = new SerialQueue();
    const ran: string[] = [];
    queue.push(async () => {
      throw new Error('first');
    });
    queue.push(async () => void ran.push('second'));
    queue.push(() => Promise.reject(new Error('third')));
    const errors = await queue.drain();
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['first', 'third']);
    expect(ran).to.deep.equal(['second']);
    expect(await queue.drain()).to.deep.equal([]);
  });
});
