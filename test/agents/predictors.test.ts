import { expect } from 'chai';
import { MIN_ANOMALY_SAMPLES, meanStd, zScore } from '../../agents/predictors/anomaly.js';
import { failureRisk, faultsWithin, tempTrendCPerMin } from '../../agents/predictors/failureRisk.js';
import { priceQuartile } from '../../agents/predictors/priceQuartile.js';
import {
  drainRatePerMin,
  minutesToStockout,
  observedRechargeRatePerMin,
  rechargeRatePerMin,
  stockView,
  surplusPacks,
} from '../../agents/predictors/stockout.js';
import { MAX_WAIT_MIN, activeBays, erlangC, predictWaitMin, stationWaitMin } from '../../agents/predictors/wait.js';
import type { ChargerState, StockFlow } from '../../eventBus/types.js';
import { T0, aStation, at, priceWindow } from '../builders.js';

describe('predictors', () => {
  describe('wait (M/M/c)', () => {
    it('Erlang C matches the textbook values', () => {
      expect(erlangC(1, 0.5)).to.be.closeTo(0.5, 1e-12); // M/M/1: P(wait) = rho
      expect(erlangC(2, 1)).to.be.closeTo(1 / 3, 1e-12);
      expect(erlangC(3, 0)).to.equal(0);
      expect(erlangC(2, 2)).to.equal(1);
    });

    it('with a line, waits for N + 1 departures at c*mu', () => {
      // 12 waiting, 2 bays, 3 min swaps: capacity 2/3 per min, 13 departures.
      expect(predictWaitMin({ waiting: 12, arrivalRatePerMin: 0, serviceTimeS: 180, servers: 2 })).to.be.closeTo(19.5, 1e-9);
    });

    it('without a line, uses the steady-state M/M/c wait', () => {
      // M/M/1, lambda 0.2, mu 1/3: Wq = rho / (mu - lambda) = 0.6 / (1/3 - 0.2) = 4.5
      expect(predictWaitMin({ waiting: 0, arrivalRatePerMin: 0.2, serviceTimeS: 180, servers: 1 })).to.be.closeTo(4.5, 1e-9);
      expect(predictWaitMin({ waiting: 0, arrivalRatePerMin: 0, serviceTimeS: 180, servers: 1 })).to.equal(0);
    });

    it('saturated bays wait one departure; no bay means the cap', () => {
      expect(predictWaitMin({ waiting: 0, arrivalRatePerMin: 5, serviceTimeS: 180, servers: 2 })).to.be.closeTo(1.5, 1e-9);
      expect(predictWaitMin({ waiting: 3, arrivalRatePerMin: 1, serviceTimeS: 180, servers: 0 })).to.equal(MAX_WAIT_MIN);
    });

    it('uses the default swap time until one is measured', () => {
      expect(predictWaitMin({ waiting: 1, arrivalRatePerMin: 0, serviceTimeS: 0, servers: 1 })).to.be.closeTo(6, 1e-9);
    });

    it('counts only staffed open bays', () => {
      expect(activeBays(aStation((s) => (s.staff.count = 2)))).to.equal(2);
      expect(activeBays(aStation((s) => (s.staff.count = null)))).to.equal(4);
      expect(stationWaitMin(aStation((s) => ((s.queue.waiting = 5), (s.staff.count = 1))))).to.be.closeTo(18, 1e-9);
    });
  });

  describe('stockout', () => {
    it('drains charged stock at the net rate, sooner when the noise matters', () => {
      expect(rechargeRatePerMin(6, 60)).to.be.closeTo(0.1, 1e-12);
      // x^2 / (mu x + s2): 100 / (0.25 * 10 + 0.75)
      expect(minutesToStockout({ charged: 10, swapRatePerMin: 0.5, rechargeRatePerMin: 0.25 })).to.be.closeTo(100 / 3.25, 1e-9);
      // Large stock: the drift dominates and it tends to x / mu.
      expect(minutesToStockout({ charged: 1000, swapRatePerMin: 0.5, rechargeRatePerMin: 0.25 })).to.be.closeTo(4000, 15);
      // Balanced: only the fluctuation, x^2 / s2.
      expect(minutesToStockout({ charged: 4, swapRatePerMin: 0.1, rechargeRatePerMin: 0.1 })).to.be.closeTo(80, 1e-9);
    });

    it('is Infinity when recharging outpaces demand beyond the noise, 0 when already out', () => {
      expect(minutesToStockout({ charged: 10, swapRatePerMin: 0.1, rechargeRatePerMin: 0.2 })).to.equal(Infinity);
      expect(minutesToStockout({ charged: 0, swapRatePerMin: 0, rechargeRatePerMin: 0 })).to.equal(0);
    });

    it('reads the station, and knows nothing before a stock report', () => {
      const v = stockView(
        aStation((s) => (s.queue.swapRatePerMin = 0.6)),
        60,
      );
      expect(v!.drainRatePerMin).to.be.closeTo(0.6, 1e-12);
      expect(v!.rechargeRatePerMin).to.be.closeTo(0.1, 1e-12);
      expect(v!.minutesToStockout).to.be.closeTo(400 / (0.5 * 20 + 0.7), 1e-9);
      expect(stockView(aStation((s) => (s.inventory.updatedAt = null)))).to.equal(null);
    });

    const flow = (over: Partial<StockFlow>): StockFlow => ({
      lastStockTs: T0,
      lastCharged: 20,
      swapsSinceStock: 0,
      arrivalsSinceStock: 0,
      producedEwma: 0,
      swapsEwma: 0,
      arrivalsEwma: 0,
      chargingMinEwma: 0,
      minutesEwma: 0,
      weight: 0,
      ...over,
    });

    it('learns the recharge rate per pack on charge from the stock flow', () => {
      // 6 on charge; the flow saw 1 pack per 120 pack-minutes: half the assumed 1/60.
      const full = aStation((s) => (s.stockFlow = flow({ producedEwma: 1, chargingMinEwma: 120, weight: 1 })));
      expect(observedRechargeRatePerMin(full, 60)).to.be.closeTo(6 / 120, 1e-12);
      // Half the weight: halfway between observed and assumed.
      const half = aStation((s) => (s.stockFlow = flow({ producedEwma: 1, chargingMinEwma: 120, weight: 0.5 })));
      expect(observedRechargeRatePerMin(half, 60)).to.be.closeTo(6 * (0.5 / 120 + 0.5 / 60), 1e-12);
      // No history: the assumption; nothing on charge: nothing back.
      expect(observedRechargeRatePerMin(aStation(), 60)).to.be.closeTo(0.1, 1e-12);
      expect(
        observedRechargeRatePerMin(
          aStation((s) => ((s.stockFlow = flow({ producedEwma: 1, chargingMinEwma: 120, weight: 1 })), (s.inventory.charging = 0))),
          60,
        ),
      ).to.equal(0);
      // Slow chargers push the stockout closer than the 60 min assumption would.
      const slow = stockView(
        aStation(
          (s) => (
            (s.queue.swapRatePerMin = 0.1),
            (s.stockFlow = flow({ producedEwma: 1, chargingMinEwma: 120, weight: 1, swapsEwma: 0.1, minutesEwma: 1 }))
          ),
        ),
        60,
      )!;
      const assumed = stockView(
        aStation((s) => (s.queue.swapRatePerMin = 0.1)),
        60,
      )!;
      expect(slow.minutesToStockout).to.be.below(assumed.minutesToStockout);
    });

    it('drains at counted demand, the bay capacity when a line waits, and a balanced guess before any event', () => {
      // Stale gap EWMA says 1/min; the counts say 0.2/min.
      const counted = aStation(
        (s) => ((s.queue.swapRatePerMin = 1), (s.stockFlow = flow({ swapsEwma: 0.1, arrivalsEwma: 0.2, minutesEwma: 1, weight: 1 }))),
      );
      expect(drainRatePerMin(counted)).to.be.closeTo(0.2, 1e-12);
      // 4 staffed bays at 3 min: 4/3 per minute.
      expect(drainRatePerMin(aStation((s) => ((s.queue.waiting = 3), (s.queue.swapRatePerMin = 0.1))))).to.be.closeTo(4 / 3, 1e-12);
      expect(drainRatePerMin(aStation((s) => (s.queue.arrivalRatePerMin = 9)))).to.be.closeTo(4 / 3, 1e-12);
      expect(drainRatePerMin(aStation(), 0.1)).to.be.closeTo(0.1, 1e-12);
      expect(
        drainRatePerMin(
          aStation((s) => (s.queue.swapRatePerMin = 0.05)),
          0.1,
        ),
      ).to.be.closeTo(0.05, 1e-12);
    });

    it('counts surplus above the kept fraction of slots', () => {
      expect(surplusPacks(38, 40, 0.8)).to.equal(6);
      expect(surplusPacks(30, 40, 0.8)).to.equal(0);
    });
  });

  describe('failure risk', () => {
    const charger = (over: Partial<ChargerState> = {}): ChargerState => ({
      id: 'C1',
      status: 'available',
      tempC: 40,
      temps: [],
      faults: [],
      updatedAt: T0,
      ...over,
    });
    const risk = (c: ChargerState) =>
      failureRisk({ charger: c, now: T0, tempLimitC: 70, faultWindowMin: 60, repeatedFaults: 3, criticalErrorCodes: ['GroundFailure'] });

    it('is 0 for a cool charger without faults', () => {
      expect(risk(charger()).score).to.equal(0);
    });

    it('is 0.5 at the temperature limit and grows with a rising trend', () => {
      expect(risk(charger({ tempC: 70 })).score).to.be.closeTo(0.5, 1e-9);
      const temps = [0, 1, 2, 3].map((i) => ({ ts: at(i - 3), tempC: 61 + i * 3 }));
      const r = risk(charger({ tempC: 70, temps }));
      expect(r.trendCPerMin).to.be.closeTo(3, 1e-9);
      expect(r.score).to.be.closeTo(0.7, 1e-9);
    });

    it('counts faults within the window only', () => {
      const faults = [{ ts: at(-90) }, { ts: at(-30) }, { ts: at(-10) }];
      expect(faultsWithin(faults, T0, 60)).to.have.length(2);
      const r = risk(charger({ faults }));
      expect(r.recentFaults).to.equal(2);
      expect(r.score).to.be.closeTo(0.4 * (2 / 3), 1e-9);
    });

    it('is 1 with a critical error code in the window', () => {
      const r = risk(charger({ faults: [{ ts: at(-5), errorCode: 'GroundFailure' }] }));
      expect(r.score).to.equal(1);
      expect(r.criticalCode).to.equal('GroundFailure');
      expect(risk(charger({ faults: [{ ts: at(-120), errorCode: 'GroundFailure' }] })).criticalCode).to.equal(null);
    });

    it('has no trend from a single reading and ignores falling temperatures in the score', () => {
      expect(tempTrendCPerMin([{ ts: T0, tempC: 50 }], T0)).to.equal(0);
      const falling = [0, 1, 2].map((i) => ({ ts: at(i - 2), tempC: 60 - i * 5 }));
      expect(risk(charger({ tempC: 60, temps: falling })).score).to.be.closeTo(0.5 * (5 / 15), 1e-9);
    });
  });

  describe('price quartile', () => {
    it('places the price by percentile rank', () => {
      const w = priceWindow(16);
      expect(priceQuartile(0.35, w)!.quartile).to.equal(4);
      expect(priceQuartile(0.2, w)!.quartile).to.equal(1);
      expect(priceQuartile(0.25, w)!.quartile).to.equal(2);
      const q = priceQuartile(0.3, w)!;
      expect(q.quartile).to.equal(3);
      expect(q.windowSize).to.equal(16);
      expect(q.median).to.be.closeTo(0.275, 1e-9);
    });

    it('puts a flat tariff in the middle, and needs enough points', () => {
      expect(priceQuartile(0.3, Array(10).fill(0.3))!.quartile).to.equal(3);
      expect(priceQuartile(0.3, [0.1, 0.2, 0.3])).to.equal(null);
    });
  });

  describe('anomaly z-score', () => {
    it('scores against the window mean and population std', () => {
      const w = [10, 12, 8, 10, 10];
      expect(meanStd(w).mean).to.equal(10);
      expect(zScore(16, w)).to.be.closeTo(6 / Math.sqrt(1.6), 1e-9);
    });

    it('floors the std so a flat window is not infinitely sensitive', () => {
      expect(zScore(1, [0, 0, 0, 0, 0], 1)).to.equal(1);
      expect(zScore(0, [0, 0, 0, 0, 0])).to.equal(0);
    });

    it('gives no score on a short window', () => {
      expect(zScore(100, Array(MIN_ANOMALY_SAMPLES - 1).fill(1))).to.equal(null);
    });
  });
});
