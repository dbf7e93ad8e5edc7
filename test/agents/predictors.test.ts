import { expect } from 'chai';
import { MIN_ANOMALY_SAMPLES, meanStd, zScore } from '../../agents/predictors/anomaly.js';
import { failureRisk, faultsWithin, stationHeat, tempTrendCPerMin } from '../../agents/predictors/failureRisk.js';
import { priceQuartile } from '../../agents/predictors/priceQuartile.js';
import {
  drainRatePerMin,
  minutesToStockout,
  observedRechargeRatePerMin,
  rechargeRatePerMin,
  stockView,
  stockoutChanceWithin,
  surplusPacks,
} from '../../agents/predictors/stockout.js';
import { MAX_WAIT_MIN, PATIENCE_MIN, activeBays, predictWaitMin, stationWaitMin, waitInput } from '../../agents/predictors/wait.js';
import type { ChargerState, StockFlow } from '../../eventBus/types.js';
import { T0, aStation, at, priceWindow } from '../builders.js';

describe('predictors', () => {
  describe('wait (place in line, bays, packs)', () => {
    it('with a line, waits for the k-th bay to free up, k = N + 1', () => {
      // 12 waiting, 2 bays, 3 min swaps: k = 13 = 6 rounds of 2, then the first of the next (1/3 of a swap).
      expect(predictWaitMin({ waiting: 12, serviceTimeS: 180, servers: 2 })).to.be.closeTo(19, 1e-9);
      // 1 waiting, 3 bays: the second of 3 busy bays frees up after 2/4 of a swap.
      expect(predictWaitMin({ waiting: 1, serviceTimeS: 180, servers: 3 })).to.be.closeTo(1.5, 1e-9);
    });

    it('stops at the patience of drivers; no bay means the cap', () => {
      expect(predictWaitMin({ waiting: 30, serviceTimeS: 180, servers: 1 })).to.equal(PATIENCE_MIN);
      expect(predictWaitMin({ waiting: 3, serviceTimeS: 180, servers: 0 })).to.equal(MAX_WAIT_MIN);
    });

    it('without a line a bay is free, unless the only bay still holds the last driver', () => {
      const one = { waiting: 0, serviceTimeS: 180, servers: 1 };
      expect(predictWaitMin(one)).to.equal(0);
      // Arrived 1 min ago, no swap finished since: 2 min of that swap are left.
      expect(predictWaitMin({ ...one, sinceArrivalMin: 1, sinceSwapMin: 5 })).to.be.closeTo(2, 1e-9);
      expect(predictWaitMin({ ...one, sinceArrivalMin: 1, sinceSwapMin: null })).to.be.closeTo(2, 1e-9);
      // A swap finished since, or the driver came longer than a swap ago: the bay is free.
      expect(predictWaitMin({ ...one, sinceArrivalMin: 1, sinceSwapMin: 0.5 })).to.equal(0);
      expect(predictWaitMin({ ...one, sinceArrivalMin: 4, sinceSwapMin: 5 })).to.equal(0);
      // With two bays the other may be free: the median wait is 0.
      expect(predictWaitMin({ ...one, servers: 2, sinceArrivalMin: 1, sinceSwapMin: 5 })).to.equal(0);
    });

    it('waits for the packs the shelf lacks, at the rate the chargers turn them out', () => {
      // Number 3 in line, 1 charged pack: 2 more at 0.1 a minute, the median time of the second is (2 - 1/3) / 0.1.
      const short = { waiting: 2, serviceTimeS: 180, servers: 2, charged: 1, packSupplyPerMin: 0.1 };
      expect(predictWaitMin(short)).to.be.closeTo(50 / 3, 1e-9);
      // Enough packs: the bays decide ((1 + 1/3) * 3 min).
      expect(predictWaitMin({ ...short, charged: 5 })).to.be.closeTo(4, 1e-9);
      // Nothing on charge: as long as anyone waits.
      expect(predictWaitMin({ ...short, packSupplyPerMin: 0 })).to.equal(PATIENCE_MIN);
    });

    it('uses the default swap time until one is measured', () => {
      expect(predictWaitMin({ waiting: 1, serviceTimeS: 0, servers: 1 })).to.be.closeTo(4.5, 1e-9);
    });

    it('counts only staffed open bays, and reads the station', () => {
      expect(activeBays(aStation((s) => (s.staff.count = 2)))).to.equal(2);
      expect(activeBays(aStation((s) => (s.staff.count = null)))).to.equal(4);
      // 5 waiting, 1 staffed bay: the 6th departure, 5.5 swaps of 3 min.
      expect(stationWaitMin(aStation((s) => ((s.queue.waiting = 5), (s.staff.count = 1))))).to.be.closeTo(16.5, 1e-9);
      const input = waitInput(aStation((s) => ((s.queue.lastArrivalTs = at(-2)), (s.queue.lastSwapTs = null))));
      expect(input).to.include({ waiting: 0, servers: 4, charged: 20, sinceArrivalMin: 2, sinceSwapMin: null });
      expect(input.packSupplyPerMin).to.be.closeTo(0.1, 1e-12);
      expect(waitInput(aStation((s) => (s.inventory.updatedAt = null)))).to.not.have.property('charged');
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

    it('widens the fluctuation while the rates are guesses: a young stock flow brings the stockout closer', () => {
      // Balanced at 0.1 each way, 4 packs: 16 / 0.2 = 80 min measured; with the variance 7 times wider, 16 / 1.4.
      expect(minutesToStockout({ charged: 4, swapRatePerMin: 0.1, rechargeRatePerMin: 0.1, extraVariance: 6 })).to.be.closeTo(
        16 / 1.4,
        1e-9,
      );
      const young = stockView(
        aStation((s) => ((s.inventory.charged = 4), (s.stockFlow = flow({ weight: 0.5, minutesEwma: 1 })))),
        60,
      )!;
      const known = stockView(
        aStation((s) => ((s.inventory.charged = 4), (s.stockFlow = flow({ weight: 1, minutesEwma: 1 })))),
        60,
      )!;
      expect(young.minutesToStockout).to.be.below(known.minutesToStockout);
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

    it('drains at counted demand, a balanced guess while the counts are young, and no more than the bays swap', () => {
      // Stale gap EWMA says 1/min; the counts say 0.2/min.
      const counted = aStation(
        (s) => ((s.queue.swapRatePerMin = 1), (s.stockFlow = flow({ swapsEwma: 0.1, arrivalsEwma: 0.2, minutesEwma: 1, weight: 1 }))),
      );
      expect(drainRatePerMin(counted)).to.be.closeTo(0.2, 1e-12);
      // Half the weight: halfway to the balanced demand, whatever the gap EWMA says.
      const young = aStation(
        (s) => ((s.queue.swapRatePerMin = 1), (s.stockFlow = flow({ arrivalsEwma: 0.2, minutesEwma: 1, weight: 0.5 }))),
      );
      expect(drainRatePerMin(young, 0.1)).to.be.closeTo(0.15, 1e-12);
      // A line is not the drain; 4 staffed bays at 3 min (4/3 per minute) are the most it can be.
      expect(drainRatePerMin(aStation((s) => ((s.queue.waiting = 3), (s.queue.swapRatePerMin = 0.1))))).to.be.closeTo(0.1, 1e-12);
      expect(drainRatePerMin(aStation((s) => (s.queue.arrivalRatePerMin = 9)))).to.be.closeTo(4 / 3, 1e-12);
      // Nothing counted yet: the gap EWMAs, or the balanced guess before any event.
      expect(drainRatePerMin(aStation(), 0.1)).to.be.closeTo(0.1, 1e-12);
      expect(
        drainRatePerMin(
          aStation((s) => (s.queue.swapRatePerMin = 0.05)),
          0.1,
        ),
      ).to.be.closeTo(0.05, 1e-12);
    });

    it('turns the projection into a chance of a stockout within the horizon', () => {
      expect(stockoutChanceWithin(0, 60)).to.equal(1);
      expect(stockoutChanceWithin(Infinity, 60)).to.equal(0);
      // 0.42 of the horizon is even odds; twice that, 1 / (1 + 2^3).
      expect(stockoutChanceWithin(25.2, 60)).to.be.closeTo(0.5, 1e-12);
      expect(stockoutChanceWithin(50.4, 60)).to.be.closeTo(1 / 9, 1e-12);
      expect(stockoutChanceWithin(10, 60)).to.be.above(stockoutChanceWithin(20, 60));
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
    const base = { now: T0, tempLimitC: 70, faultWindowMin: 60, repeatedFaults: 3, criticalErrorCodes: ['GroundFailure'] };
    const risk = (c: ChargerState) => failureRisk({ charger: c, ...base });
    /** Readings once a minute for the last `n` minutes, ending at `end`, rising `perMin` a minute. */
    const readings = (end: number, perMin = 0, n = 15) =>
      Array.from({ length: n }, (_, i) => ({ ts: at(i - (n - 1)), tempC: end - perMin * (n - 1 - i) }));
    const busy = (id: string, end: number, perMin = 0): ChargerState =>
      charger({ id, status: 'occupied', tempC: end, temps: readings(end, perMin) });

    it('is 0 for a cool charger without faults', () => {
      expect(risk(charger()).score).to.equal(0);
    });

    it('projects the steady temperature from the trend: 15 C beyond the limit alone scores 0.5', () => {
      // Rising 2 C a minute at 55 C: heading for 55 + 15 * 2 = 85.
      const r = risk(charger({ tempC: 55, temps: readings(55, 2, 5) }));
      expect(r.trendCPerMin).to.be.closeTo(2, 1e-9);
      expect(r.projectedC).to.be.closeTo(85, 1e-9);
      expect(r.score).to.be.closeTo(0.5, 1e-9);
      // Steady at the limit: hot, not a defect (derating answers it), and no projection beyond it.
      expect(risk(charger({ tempC: 70, temps: readings(70, 0, 5) })).score).to.equal(0);
      // Too few readings to project.
      expect(risk(charger({ tempC: 70, temps: readings(70, 3, 4) })).projectedC).to.equal(null);
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

    it('finds a cooling defect: hotter than its charging peers per kW of load, now and over the window', () => {
      const peers = [busy('C2', 45), busy('C3', 46), busy('C4', 45)];
      // 4 chargers charging on 240 kW: 60 kW each. 14 C above the hottest peer: 0.23 C/kW, beyond the 0.13 of a defect.
      const hot = failureRisk({ charger: busy('C1', 60), ...base, peers, stationKW: 240 });
      expect(hot.excessCPerKW).to.be.closeTo((60 - 46) / 60, 1e-9);
      expect(hot.coolingScore).to.equal(1);
      expect(hot.score).to.be.closeTo(0.5, 1e-9);
      // 2 C above the hottest of them is the spread between healthy units: some evidence, no alarm.
      const ok = failureRisk({ charger: busy('C1', 48), ...base, peers, stationKW: 240 });
      expect(ok.score).to.be.closeTo(0.5 * (2 / 60 / 0.13), 1e-9);
      // Without peers, or without the station's draw, there is nothing to compare with.
      expect(risk(busy('C1', 60)).excessCPerKW).to.equal(null);
      expect(failureRisk({ charger: busy('C1', 60), ...base, peers, stationKW: null }).excessCPerKW).to.equal(null);
      // Worked out once for many chargers: the same answer.
      const heat = stationHeat(peers, T0);
      expect(failureRisk({ charger: busy('C1', 60), ...base, heat, stationKW: 240 }).score).to.equal(hot.score);
    });

    it('needs the heat to last: one hot reading over a cool window is no defect', () => {
      const peers = [busy('C2', 45), busy('C3', 46), busy('C4', 45)];
      const temps = readings(45).map((r, i, all) => (i === all.length - 1 ? { ...r, tempC: 60 } : r));
      const r = failureRisk({ charger: charger({ status: 'occupied', tempC: 60, temps }), ...base, peers, stationKW: 240 });
      expect(r.coolingScore).to.be.below(0.1);
      // The bound (the comparison now alone) sees the hot reading: never below the exact figure, and marked as a bound.
      const bound = failureRisk({
        charger: charger({ status: 'occupied', tempC: 60, temps }),
        ...base,
        peers,
        stationKW: 240,
        coolingBound: true,
      });
      expect(bound.bounded).to.equal(true);
      expect(bound.excessCPerKW).to.be.above(r.excessCPerKW!);
      expect(bound.score).to.be.at.least(r.score);
      expect(r.bounded).to.equal(false);
      // Nothing to compare with: the bound is exact (no figure either way).
      expect(failureRisk({ charger: busy('C1', 60), ...base, coolingBound: true }).bounded).to.equal(false);
    });

    it('has no trend from a single reading, and a falling temperature projects below the reading', () => {
      expect(tempTrendCPerMin([{ ts: T0, tempC: 50 }], T0)).to.equal(0);
      const falling = risk(charger({ tempC: 60, temps: readings(60, -1, 5) }));
      expect(falling.projectedC).to.be.closeTo(45, 1e-9);
      expect(falling.score).to.equal(0);
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
