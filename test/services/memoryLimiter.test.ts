// The in-memory rate-limit store: the same fixed windows as before, and a cap on the keys it holds.
import { expect } from 'chai';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { BoundedMemoryLimiter } from '../../services/access/memoryLimiter.js';

const refused = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err as RateLimiterRes;
  }
  throw new Error('expected a refusal');
};

describe('bounded in-memory rate limiter', () => {
  it('refuses past the points in a window, tells how long to wait, and counts afresh after it', async () => {
    let now = 1_000;
    const l = new BoundedMemoryLimiter(3, 60, 100, () => now);
    for (let i = 0; i < 3; i++) await l.consume('acct');
    now += 20_000;
    const res = await refused(l.consume('acct'));
    expect(res).to.be.instanceOf(RateLimiterRes);
    expect(res.msBeforeNext).to.equal(40_000);
    now += 40_001;
    expect((await l.consume('acct')).consumedPoints).to.equal(1);
  });

  it('holds at most maxKeys windows however many keys arrive; the most recent keep their counts', async () => {
    const l = new BoundedMemoryLimiter(2, 900, 1000);
    for (let i = 0; i < 5000; i++) await l.consume(`made-up-${i}@example.com`);
    expect(l.size).to.equal(1000);
    // The newest keys still count: a second attempt is within the limit, a third is refused.
    await l.consume('made-up-4999@example.com');
    await refused(l.consume('made-up-4999@example.com'));
    // An evicted key starts again.
    expect((await l.penalty('made-up-0@example.com')).consumedPoints).to.equal(1);
    expect(l.size).to.equal(1000);
  });

  it('penalty counts without refusing and delete forgets the key', async () => {
    const l = new BoundedMemoryLimiter(1, 60, 10);
    for (let i = 0; i < 5; i++) await l.penalty('k');
    expect((await l.penalty('k')).consumedPoints).to.equal(6);
    await l.delete('k');
    expect((await l.consume('k')).consumedPoints).to.equal(1);
  });
});
