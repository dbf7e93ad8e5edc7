// Folding and deciding run in arrival order, in slices that let the event loop through between them.
import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { SLICE_MS, Turns } from '../../services/pipeline/turns.js';

/** Busy work of about `ms` (what a decision costs, in miniature). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('turns', () => {
  it('runs every step of every run in the order the runs were queued', async () => {
    const turns = new Turns();
    const seen: string[] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((run) =>
        turns.run(4, (i) => {
          spin(1);
          seen.push(`${run}${i}`);
        }),
      ),
    );
    expect(seen).to.deep.equal(['a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'b2', 'b3', 'c0', 'c1', 'c2', 'c3']);
  });

  it('lets queued I/O callbacks run between steps once a slice is used up, not inside one', async () => {
    const turns = new Turns();
    const order: string[] = [];
    const steps = turns.run(6, (i) => {
      if (i === 0) setImmediate(() => order.push('io'));
      spin(SLICE_MS / 2 + 0.5);
      order.push(`step${i}`);
    });
    await steps;
    const io = order.indexOf('io');
    // The callback queued by the first step ran after a slice's worth of steps, before the rest.
    expect(io).to.be.greaterThan(1);
    expect(io).to.be.lessThan(order.length - 1);
  });

  it('reports how long the oldest waiting run has waited, and nothing once all have run', async () => {
    const turns = new Turns();
    const first = turns.run(1, () => spin(20));
    const second = turns.run(1, () => undefined);
    expect(turns.waiting).to.equal(2);
    await first;
    expect(turns.delayMs()).to.be.greaterThan(15);
    await second;
    expect(turns.waiting).to.equal(0);
    expect(turns.delayMs()).to.equal(0);
  });

  it('goes on with the next run after a step throws', async () => {
    const turns = new Turns();
    const failed = turns.run(2, (i) => {
      if (i === 1) throw new Error('boom');
    });
    const ran: number[] = [];
    const next = turns.run(2, (i) => ran.push(i));
    const err = await failed.then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).to.equal('boom');
    await next;
    expect(ran).to.deep.equal([0, 1]);
  });
});
