import { expect } from 'chai';
import { runOnce, seededGenerator } from '../../scripts/bench/decide.js';

describe('bench:decide', () => {
  const stations = [{ id: 'S1', capacity: { bays: 4, chargers: 4, batterySlots: 20 } }];

  it('a seeded load generator makes the same signals every time', () => {
    const make = (seed: number) => {
      const gen = seededGenerator(stations, seed, 0.5);
      return Array.from({ length: 50 }, () => gen.make());
    };
    expect(make(7)).to.deep.equal(make(7));
    expect(make(7)).to.not.deep.equal(make(8));
    expect(make(7)[3]!.id).to.equal('b-3');
  });

  it('decides the same on the same stream, and the digest tells two streams apart', () => {
    for (const scenario of ['heatwave', 'bench'] as const) {
      const o = { stations: 4, minutes: 20, seed: 3 };
      const a = runOnce(scenario, o);
      const b = runOnce(scenario, o);
      expect(a.decisions, scenario).to.be.above(0);
      expect(a.signals, scenario).to.be.above(500);
      expect(b.digest, scenario).to.equal(a.digest);
      expect(runOnce(scenario, { ...o, seed: 4 }).digest, scenario).to.not.equal(a.digest);
    }
  });
});
