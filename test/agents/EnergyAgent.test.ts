import { expect } from 'chai';
import { evaluate } from '../../agents/EnergyAgent.js';
import type { StationState } from '../../eventBus/types.js';
import type { PlanAction } from '../../eventBus/types.js';
import { T0, aContext, aSignal, aStation, at, priceWindow } from '../builders.js';

/** An action of the energy agent in force since T0. */
const standing = (action: PlanAction['action'], params: PlanAction['params']): PlanAction => ({
  id: `${action}:station`,
  agent: 'energy',
  action,
  target: 'station',
  params,
  urgency: 0.5,
  confidence: 0.9,
  claims: {},
  since: T0,
  updatedAt: T0,
  until: null,
  status: 'active',
  decisionId: 'dec-0',
});

const draw = (kW: number) => aSignal('power_draw', { kW });
const priceSignal = (p: number) => aSignal('grid_price', { pricePerKWh: p, currency: 'EUR', validFrom: at(-1), validTo: at(14) });
/** A station whose price window is 0.20..0.35 and whose current price is `p`. */
const priced = (p: number, mutate?: (s: StationState) => void) =>
  aStation((s) => {
    s.price.recent = [...priceWindow(15), p];
    s.price.current = { pricePerKWh: p, currency: 'EUR', validFrom: at(-1), validTo: at(14) };
    mutate?.(s);
  });

describe('EnergyAgent', () => {
  describe('curtail_charging', () => {
    it('sheds the draw above 90% of the limit', () => {
      const s = aStation((x) => (x.power = { drawKW: 190, limitKW: 200, updatedAt: T0 }));
      const [p] = evaluate(s, draw(190), aContext());
      expect(p!.action).to.equal('curtail_charging');
      // The setpoint is the plan; the shed moves with every reading and is evidence only.
      expect(p!.params).to.deep.equal({ targetKW: 180 });
      expect(p!.evidence).to.deep.equal({
        drawKW: 190,
        quarterHourAvgKW: 190,
        limitKW: 200,
        curtailPct: 90,
        curtailOffPct: 80,
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

    it('does not fire at or below 90% or with unknown power, and judges the state on any signal', () => {
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
      // The whole state is judged, whatever signal arrived: a high draw is still high after a queue report.
      expect(
        evaluate(
          aStation((x) => (x.power.drawKW = 199)),
          aSignal('queue_length', { waiting: 0 }),
          aContext(),
        ).map((p) => p.action),
      ).to.deep.equal(['curtail_charging']);
    });

    it('shaves the quarter-hour average, not a reading: a short spike in a calm interval needs no curtailment, the hard limit does', () => {
      const calm = (kW: number) =>
        aStation((x) => {
          x.power = { drawKW: kW, limitKW: 200, updatedAt: at(10), demand: { start: at(0), kWmin: 1000, lastTs: at(10), lastKW: kW } };
        });
      const ctx = aContext((c) => (c.now = at(10)));
      // 100 kW for ten minutes, now 190 kW: (1000 + 190 * 5) / 15 = 130 kW on average, under 180 kW.
      expect(evaluate(calm(190), draw(190), ctx)).to.deep.equal([]);
      // Over the 200 kW limit it acts at once, whatever the average.
      const [p] = evaluate(calm(210), draw(210), ctx);
      expect(p!.evidence).to.include({ overLimit: true, quarterHourAvgKW: 136.7 });
    });

    it('hysteresis: a curtailment in force is wanted until the draw falls below 80%, not 90%', () => {
      const curtailing = (kW: number) =>
        aStation((x) => {
          x.power = { drawKW: kW, limitKW: 200, updatedAt: T0 };
          x.plan.actions = [standing('curtail_charging', { targetKW: 180 })];
        });
      expect(evaluate(curtailing(170), draw(170), aContext()).map((p) => p.action)).to.deep.equal(['curtail_charging']);
      expect(evaluate(curtailing(161), draw(161), aContext()).map((p) => p.action)).to.deep.equal(['curtail_charging']);
      expect(evaluate(curtailing(160), draw(160), aContext())).to.deep.equal([]);
      // Without one in force, 170 kW is no reason to start.
      expect(
        evaluate(
          aStation((x) => (x.power.drawKW = 170)),
          draw(170),
          aContext(),
        ),
      ).to.deep.equal([]);
    });
  });

  describe('defer_charging', () => {
    it('defers through a price spike (twice the median or more) when the stock lasts', () => {
      // 0.05 swaps/min against 0.1 packs/min back: the stock is not draining.
      const [p] = evaluate(
        priced(0.6, (s) => (s.queue.swapRatePerMin = 0.05)),
        priceSignal(0.6),
        aContext(),
      );
      expect(p!.action).to.equal('defer_charging');
      // Unrecharged, 20 packs at 0.05 swaps a minute last 20^2 / (0.05 * 20 + 0.05) = 381 min: past the
      // 14 min left in the window and the 30 min margin.
      expect(p!.evidence).to.include({
        pricePerKWh: 0.6,
        quartile: 4,
        windowSize: 16,
        spike: true,
        priceWindowLeftMin: 14,
        deferMarginMinutes: 30,
        minutesToStockoutUncharged: 381,
      });
      expect(p!.params).to.deep.equal({ untilPriceBelow: 0.275 });
      expect(p!.claims).to.deep.equal({ 'charging.rate': -1 });
    });

    it('does not defer an ordinary dear hour (top quartile, under twice the median): that needs a demand forecast', () => {
      expect(
        evaluate(
          priced(0.4, (s) => (s.queue.swapRatePerMin = 0.05)),
          priceSignal(0.4),
          aContext(),
        ),
      ).to.deep.equal([]);
    });

    it('does not start a deferral while drivers queue (service before cost)', () => {
      // 12 waiting at 4 bays of 3 min: about 10 min, past the traffic agent's 7 min off threshold.
      const busy = priced(0.6, (s) => ((s.queue.swapRatePerMin = 0.05), (s.queue.waiting = 12)));
      expect(evaluate(busy, priceSignal(0.6), aContext())).to.deep.equal([]);
    });

    it('hysteresis: a deferral in force is kept while the price stays at or above the median, then released', () => {
      const deferring = (p: number) =>
        priced(p, (s) => {
          s.queue.swapRatePerMin = 0.05;
          s.plan.actions = [standing('defer_charging', { untilPriceBelow: 0.275 })];
        });
      expect(evaluate(deferring(0.3), priceSignal(0.3), aContext()).map((p) => p.action)).to.deep.equal(['defer_charging']);
      expect(evaluate(deferring(0.25), priceSignal(0.25), aContext())).to.deep.equal([]);
      // 0.3 alone (third quartile) does not start one.
      expect(
        evaluate(
          priced(0.3, (s) => (s.queue.swapRatePerMin = 0.05)),
          priceSignal(0.3),
          aContext(),
        ),
      ).to.deep.equal([]);
    });

    it('counts a price only inside its window: a spike that has ended, or not begun, defers nothing', () => {
      const ended = priced(0.6, (s) => {
        s.queue.swapRatePerMin = 0.05;
        s.price.current = { pricePerKWh: 0.6, currency: 'EUR', validFrom: at(-45), validTo: at(0) };
      });
      expect(evaluate(ended, priceSignal(0.6), aContext())).to.deep.equal([]);
      const future = priced(0.6, (s) => {
        s.queue.swapRatePerMin = 0.05;
        s.price.current = { pricePerKWh: 0.6, currency: 'EUR', validFrom: at(5), validTo: at(50) };
      });
      expect(evaluate(future, priceSignal(0.6), aContext())).to.deep.equal([]);
    });

    it('defers only if the stock lasts, without recharge, through the dear window and a margin (a 45-minute spike too)', () => {
      // 20 packs at 0.3 swaps a minute, unrecharged: 400 / (0.3 * 20 + 0.3) = 63.5 min.
      const dear = (windowMin: number) =>
        priced(0.6, (s) => {
          s.queue.swapRatePerMin = 0.3;
          s.price.current = { pricePerKWh: 0.6, currency: 'EUR', validFrom: at(-1), validTo: at(windowMin) };
        });
      // 14 min left + 30 min margin = 44 min: it lasts.
      expect(evaluate(dear(14), priceSignal(0.6), aContext()).map((p) => p.action)).to.deep.equal(['defer_charging']);
      // A 45-minute window from now needs 75 min: it does not.
      expect(evaluate(dear(45), priceSignal(0.6), aContext())).to.deep.equal([]);
      // A long window needs healthyStockMinutes (120).
      expect(evaluate(dear(600), priceSignal(0.6), aContext())).to.deep.equal([]);
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
      // No headroom: 185 kW is above the 180 kW threshold (so it is a curtailment, not a boost).
      expect(
        evaluate(
          priced(0.1, (s) => (s.power.drawKW = 185)),
          priceSignal(0.1),
          aContext(),
        ).map((p) => p.action),
      ).to.deep.equal(['curtail_charging']);
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
      s.price.current = { pricePerKWh: 0.4, currency: 'EUR', validFrom: at(-1), validTo: at(14) };
    });
    expect(evaluate(short, priceSignal(0.4), aContext())).to.deep.equal([]);
  });
});
