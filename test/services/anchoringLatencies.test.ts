// The anchoring latency bookkeeping stays bounded while the chain is down and nothing is taken back.
import { expect } from 'chai';
import { PendingLatencies } from '../../services/audit/anchoring/latencies.js';

describe('pending anchoring latencies', () => {
  it('holds at most its bound, dropping the oldest leaf first', () => {
    const p = new PendingLatencies(1000);
    for (let seq = 1; seq <= 5000; seq++) p.note(seq, seq * 10);
    expect(p.size).to.equal(1000);
    expect(p.take(4000)).to.equal(undefined);
    expect(p.take(4001)).to.equal(40_010);
    expect(p.take(5000)).to.equal(50_000);
  });

  it('forgets a leaf once its latency is taken', () => {
    const p = new PendingLatencies(10);
    p.note(1, 5);
    expect(p.take(1)).to.equal(5);
    expect(p.take(1)).to.equal(undefined);
    expect(p.size).to.equal(0);
  });
});
