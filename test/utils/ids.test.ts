import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { bucketOf, compareStreamIds } from '../../utils/ids.js';

describe('utils/ids', () => {
  it('orders stream ids by time, then sequence, as numbers (not as text)', () => {
    expect(compareStreamIds('1-9', '1-10')).to.equal(-1);
    expect(compareStreamIds('9-0', '10-0')).to.equal(-1);
    expect(compareStreamIds('1796187103326-12', '1796187103326-12')).to.equal(0);
    expect(compareStreamIds('1796187103327-0', '1796187103326-99')).to.equal(1);
    // Sequence numbers past 2^53 still order exactly.
    expect(compareStreamIds('5-18446744073709551615', '5-18446744073709551614')).to.equal(1);
    expect(compareStreamIds('7', '7-0')).to.equal(0);
  });

  it('puts an id in the same bucket everywhere: the first 32 bits of its SHA-256, modulo n', () => {
    for (const id of ['st-1', 'chaos-003', '__proto__', '']) {
      const expected = parseInt(createHash('sha256').update(id).digest('hex').slice(0, 8), 16) % 16;
      expect(bucketOf(id, 16)).to.equal(expected);
    }
    const spread = new Set(Array.from({ length: 200 }, (_, i) => bucketOf(`s-${i}`, 10)));
    expect([...spread].sort()).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
