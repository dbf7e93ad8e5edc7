// The event loop's smoothed lateness, which ingestion sheds load on.
import { expect } from 'chai';
import { LoopLag } from '../../services/platform/index.js';

describe('LoopLag', () => {
  it('rises with a late tick and decays once ticks come on time again', () => {
    let t = 0;
    const lag = new LoopLag(10, 0.3, () => t);
    lag.stop();
    t += 10;
    lag.sample();
    expect(lag.ms).to.equal(0);
    t += 210; // a 200 ms stall
    lag.sample();
    expect(lag.ms).to.be.closeTo(60, 1e-9);
    for (let i = 0; i < 4; i++) {
      t += 10;
      lag.sample();
    }
    expect(lag.ms).to.be.closeTo(60 * 0.7 ** 4, 1e-9);
    expect(lag.ms).to.be.below(20);
  });
});
