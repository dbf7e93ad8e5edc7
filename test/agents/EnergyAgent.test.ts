import { expect } from 'chai';
import { evaluate } from '../../agents/EnergyAgent.js';
import type { StationState } from '../../eventBus/types.js';
import { T0, aContext, aSignal, aStation, priceWindow } from '../builders.js';

const draw = (kW: number) => aSignal('power_draw', { kW });
const priceSignal = (p: number) => aSignal('grid_price', { pricePerKWh: p, currency: 'EUR', validFrom: T0, validTo: T0 });
/** A station whose price window is 0.20..0.35 and whose current price is `p`. */
const priced = (p: number, mutate?: (s: StationState) => void) =>
  aStation((s) => {
    s.price.recent = [...priceWindow(15), p];
    s.price.current = { pricePerKWh: p, currency: 'EUR', validFrom: T0, validTo: T0 };
    mutate?.(s);
  });

describe('EnergyAgent', () => {
  describe('curtail_charging', () => {
    it('sheds the draw above 90% of the limit', () => {
      const s = aStation((x) => (x.power = { drawKW: 190, limitKW: 200, updatedAt: T0 }));
      const [p] = evaluate(s, draw(190), aContext());
      expect(p!.action).to.equal('curtail_charging');
      expect(p!.params).to.deep.equal({ shedKW: 10, targetKW: 180 });
      expect(p!.evidence).to.deep.equal({
        drawKW: 190,
        limitKW: 200,
        curtailPct: 90,
        thresholdKW: 180,
        shedKW: 10,
        targetKW: 180,
        shedPctOfDraw: 5.3,
        overLimit: false,
      });
      expect(p!.claims).to.deep.equal({ 'power.kW': -10, 'charging.rate': -1 });
      expect(p!.urgency).to.be.closeTo(0.8, 1e-9);
    });

    it('is fully urgent over the hard limit, also on a lowered grid limit', () => {
      const s = aStation((x) => (x.power = { drawKW: 190, limitKW: 150, updatedAt: T0 }));
      const [p] = evaluate(s, aSignal('grid_limit', { kW: 150 }), aContext());
      expect(p!.urgency).to.equal(1);
      expect(p!.evidence).to.include({ overLimit: true, shedKW: 55 });
    });

    it('does not fire at or below 90%, with unknown power, or on other signals', () => {
      expect(
        evaluate(
          aStation((x) => (x.power.drawKW = 180)),
          draw(180),
          aContext(),
        ),
      ).to.deep.equal([]);
      expect(
        evaluate(
          aStation((x) => (x.power.limitKW = null)),
          draw(500),
          aContext(),
        ),
      ).to.deep.equal([]);
      expect(
        evaluate(
          aStation((x) => (x.power.drawKW = 199)),
          aSignal('queue_length', { waiting: 0 }),
          aContext(),
        ),
      ).to.deep.equal([]);
    });
  });

  describe('defer_charging', () => {
    it('defers in the top price quartile with healthy stock', () => {
      // 0.05 swaps/min against 0.1 packs/min back: the stock is not draining.
      const [p] = evaluate(
        priced(0.4, (s) => (s.queue.swapRatePerMin = 0.05)),
        priceSignal(0.4),
        aContext(),
      );
      expect(p!.action).to.equal('defer_charging');
      expect(p!.evidence).to.include({ pricePerKWh: 0.4, quartile: 4, windowSize: 16, healthyStockMinutes: 120, stockDepleting: false });
      expect(p!.params).to.deep.equal({ untilPriceBelow: 0.275 });
      expect(p!.claims).to.deep.equal({ 'charging.rate': -1 });
    });

    it('quotes a finite stockout time when the stock drains slowly', () => {
      // 20 charged, drain 0.15 - 0.1 = 0.05/min, variance 0.25/min: 400 / (1 + 0.25) = 320 min.
      const [p] = evaluate(
        priced(0.4, (s) => (s.queue.swapRatePerMin = 0.15)),
        priceSignal(0.4),
        aContext(),
      );
      expect(p!.evidence).to.include({ minutesToStockout: 320 });
    });

    it('does not defer when the stock is not healthy', () => {
      const s = priced(0.4, (x) => (x.queue.swapRatePerMin = 0.3));
      expect(evaluate(s, priceSignal(0.4), aContext())).to.deep.equal([]);
    });
  });

  describe('boost_charging', () => {
    it('boosts into the headroom below the curtail threshold in the bottom quartile', () => {
      const [p] = evaluate(priced(0.1), priceSignal(0.1), aContext());
      expect(p!.action).to.equal('boost_charging');
      expect(p!.params).to.deep.equal({ boostKW: 80 });
      expect(p!.evidence).to.include({ quartile: 1, pricePerKWh: 0.1, packsToCharge: 10, drawKW: 100, limitKW: 200, boostKW: 80 });
      expect(p!.claims).to.deep.equal({ 'power.kW': 80, 'charging.rate': 1 });
    });

    it('does not boost without packs to charge, headroom or known power', () => {
      const full = priced(0.1, (s) => (s.inventory = { charged: 30, charging: 0, depleted: 0, faulty: 0, updatedAt: T0 }));
      expect(evaluate(full, priceSignal(0.1), aContext())).to.deep.equal([]);
      expect(
        evaluate(
          priced(0.1, (s) => (s.power.drawKW = 185)),
          priceSignal(0.1),
          aContext(),
        ),
      ).to.deep.equal([]);
      expect(
        evaluate(
          priced(0.1, (s) => (s.power.drawKW = null)),
          priceSignal(0.1),
          aContext(),
        ),
      ).to.deep.equal([]);
    });
  });

  it('does nothing in the middle quartiles or on a short price history', () => {
    expect(evaluate(priced(0.27), priceSignal(0.27), aContext())).to.deep.equal([]);
    const short = aStation((s) => {
      s.price.recent = [0.2, 0.3, 0.4];
      s.price.current = { pricePerKWh: 0.4, currency: 'EUR', validFrom: T0, validTo: T0 };
    });
    expect(evaluate(short, priceSignal(0.4), aContext())).to.deep.equal([]);
  });
});
