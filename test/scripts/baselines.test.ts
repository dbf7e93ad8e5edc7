// Scoring the predictors against their trivial baselines: censored waits, the stockout forecast,
// alarms against the latent defect, and the baselines themselves.
import { expect } from 'chai';
import {
  AlarmTracker,
  lastServedWaits,
  predictorScores,
  queueTimesServiceOverBays,
  stockoutProbability,
  verdict,
  type BaselineDetail,
} from '../../scripts/evaluate/baselines.js';
import type { GroundTruth, VehicleWait } from '../../simulator/index.js';
import {
  scoreAlarmDefects,
  scoreFailures,
  scoreStockoutForecasts,
  scoreWaits,
  waitError,
  type StockoutPrediction,
} from '../../simulator/score.js';
import { aStation, at, T0 } from '../builders.js';

const ms = (min: number) => Date.parse(at(min));

function truth(patch: Partial<GroundTruth>): GroundTruth {
  return {
    seed: 1,
    scenario: 'normal',
    start: T0,
    durationMin: 180,
    stationIds: ['S1'],
    chargers: [],
    failures: [],
    transientFaults: [],
    stockouts: [],
    waits: [],
    energy: {},
    counts: { signals: 0, arrivals: 0, swaps: 0, redirected: 0, rebalancedPacks: 0, resetsCleared: 0 },
    ...patch,
  };
}

const aWait = (vehicleId: string, outcome: VehicleWait['outcome'], waitMin: number, arrivalMin = 0): VehicleWait => ({
  stationId: 'S1',
  vehicleId,
  arrivalTs: at(arrivalMin),
  waitMin,
  served: outcome === 'served',
  outcome,
});

describe('wait scoring with censored drivers', () => {
  it('a censored wait counts at least as long as it lasted; a driver turned away is not scored', () => {
    expect(waitError({ outcome: 'served', waitMin: 5 }, 8)).to.equal(3);
    expect(waitError({ outcome: 'reneged', waitMin: 30 }, 10)).to.equal(20);
    expect(waitError({ outcome: 'reneged', waitMin: 30 }, 45)).to.equal(0);
    expect(waitError({ outcome: 'waiting', waitMin: 12 }, 4)).to.equal(8);
    expect(waitError({ outcome: 'turned_away', waitMin: 0 }, 4)).to.equal(null);
  });

  it('scores served and censored drivers, and counts every driver by outcome', () => {
    const t = truth({
      waits: [aWait('a', 'served', 4), aWait('b', 'reneged', 30), aWait('c', 'waiting', 10), aWait('d', 'turned_away', 0)],
    });
    const s = scoreWaits(
      t,
      new Map([
        ['a', 6],
        ['b', 20],
        ['c', 15],
      ]),
    );
    expect(s.outcomes).to.deep.equal({ served: 1, reneged: 1, turned_away: 1, waiting: 1 });
    expect(s).to.include({ vehicles: 3, served: 1, censored: 2, reneged: 1, unpredicted: 0 });
    // errors: |6-4| = 2, 30-20 = 10, 15 >= 10 so 0
    expect(s.maeMin).to.be.closeTo(4, 1e-12);
    expect(s.servedMaeMin).to.be.closeTo(2, 1e-12);
    expect(s.zeroBaselineMaeMin).to.be.closeTo((4 + 30 + 10) / 3, 1e-12);
  });

  it('counts drivers who joined without a prediction instead of hiding them', () => {
    const s = scoreWaits(truth({ waits: [aWait('a', 'served', 4), aWait('b', 'served', 1)] }), new Map([['a', 4]]));
    expect(s).to.include({ vehicles: 1, unpredicted: 1, maeMin: 0 });
  });
});

describe('wait baselines', () => {
  it('lastServedWait: the wait of the last driver whose swap started before the arrival, at the same station', () => {
    const waits = [
      aWait('a', 'served', 2, 0), // swap starts at minute 2
      aWait('b', 'served', 7, 1), // starts at minute 8
      aWait('c', 'reneged', 30, 3),
      { ...aWait('x', 'served', 50, 0), stationId: 'S2' },
    ];
    const arrivals = [
      { key: 'k0', stationId: 'S1', vehicleId: 'a', ms: ms(0) },
      { key: 'k1', stationId: 'S1', vehicleId: 'q', ms: ms(2) }, // same second as a's swap: not yet known
      { key: 'k2', stationId: 'S1', vehicleId: 'r', ms: ms(5) },
      { key: 'k3', stationId: 'S1', vehicleId: 's', ms: ms(9) },
    ];
    const got = lastServedWaits(waits, arrivals);
    expect(Object.fromEntries(got)).to.deep.equal({ k0: 0, k1: 0, k2: 2, k3: 7 });
  });

  it('queueTimesServiceOverBays: drivers in line times the mean swap time over the staffed bays', () => {
    const st = aStation((s) => {
      s.queue.waiting = 6;
      s.queue.serviceTimeS = 240;
      s.staff.count = 2;
    });
    expect(queueTimesServiceOverBays(st)).to.be.closeTo((6 * 4) / 2, 1e-12);
    expect(queueTimesServiceOverBays(aStation((s) => (s.queue.waiting = 0)))).to.equal(0);
  });
});

describe('stockout forecast scoring', () => {
  // A stockout at minute 100, back to a few packs (rearmed) at minute 130; the run ends at 180.
  const t = truth({ stockouts: [{ stationId: 'S1', ts: at(100), recoveredTs: at(110), rearmedTs: at(130) }] });
  const p = (min: number, predictedMin: number): StockoutPrediction => ({ stationId: 'S1', ms: ms(min), predictedMin });

  it('maps an ETA to P(stockout within the horizon) with the predictor calibration, certain at 0 and nil when not draining', () => {
    expect(stockoutProbability(0, 60)).to.equal(1);
    expect(stockoutProbability(Infinity, 60)).to.equal(0);
    // Even odds at 0.42 of the horizon, 1 / (1 + (60 / 25.2)^3) at the horizon.
    expect(stockoutProbability(25.2, 60)).to.be.closeTo(0.5, 1e-12);
    expect(stockoutProbability(60, 60)).to.be.closeTo(1 / (1 + (60 / 25.2) ** 3), 1e-12);
  });

  it('scores Brier against a constant ETA and the base rate, skipping points inside a stockout until it rearms', () => {
    const hard = (eta: number) => (eta <= 60 ? 1 : 0);
    const preds = [p(50, 40), p(10, 30), p(115, 0), p(125, 10), p(150, 20)];
    const s = scoreStockoutForecasts(t, preds, { horizonMin: 60, capMin: 240, constantEtaMin: 30, probability: hard });
    // Known outcomes: minute 50 (stockout 50 min later: 1), minute 10 (90 min later: 0); 115 and 125 are inside
    // the stockout; 150 is too close to the end to know and no stockout followed.
    expect(s).to.include({ points: 2, positives: 1, baseRate: 0.5 });
    expect(s.brier.model).to.equal(0.5); // right at 50, wrong at 10
    expect(s.brier.constant).to.equal(0.5);
    expect(s.brier.baseRate).to.equal(0.25);
    expect(s.brierSkill).to.equal(-1);
    // ETA: |40-50| = 10, |30-90| = 60, censored at 150: at least 30 left, predicted 20 -> 10.
    expect(s.etaMae.points).to.equal(3);
    expect(s.etaMae.model).to.be.closeTo(80 / 3, 1e-12);
    expect(s.etaMae.constant).to.be.closeTo((20 + 60 + 0) / 3, 1e-12);
    expect(s.etaMaeWithinHorizon).to.deep.equal({ points: 1, model: 10, constant: 20 });
  });
});

describe('alarms against the latent defect', () => {
  it('precision and recall of alarms on chargers with poor cooling, and on any defect', () => {
    const chargers = [
      { stationId: 'S1', chargerId: 'c1', coolingFactor: 1.4, poorCooling: true },
      { stationId: 'S1', chargerId: 'c2', coolingFactor: 1.0, poorCooling: false },
      { stationId: 'S1', chargerId: 'c3', coolingFactor: 1.5, poorCooling: true },
      { stationId: 'S1', chargerId: 'c4', coolingFactor: 0.95, poorCooling: false },
    ];
    const failures = [{ stationId: 'S1', chargerId: 'c4', ts: at(90), cause: 'wear' as const, errorCode: 'GroundFailure' }];
    const alarms = [
      { chargerId: 'c1', startMs: ms(10), endMs: ms(20) },
      { chargerId: 'c1', startMs: ms(60), endMs: null },
      { chargerId: 'c2', startMs: ms(30), endMs: ms(31) },
      { chargerId: 'c4', startMs: ms(70), endMs: null },
    ];
    expect(scoreAlarmDefects(alarms, chargers, failures)).to.deep.equal({
      alarms: 4,
      onPoorCooling: 2,
      poorCoolingPrecision: 0.5,
      poorCoolingChargers: 2,
      poorCoolingAlarmed: 1,
      poorCoolingRecall: 0.5,
      onDefect: 3,
      defectPrecision: 0.75,
    });
  });

  it('AlarmTracker: one episode per stretch, re-raised soon after clearing is the same alarm, down clears it', () => {
    const a = new AlarmTracker(15);
    a.update('c1', ms(0), true);
    a.update('c1', ms(1), true);
    a.update('c1', ms(5), false);
    a.update('c1', ms(10), true); // within 15 min of clearing
    a.update('c1', ms(12), false);
    a.update('c1', ms(40), true); // a new alarm
    expect(a.alarms).to.deep.equal([
      { chargerId: 'c1', startMs: ms(0), endMs: ms(12) },
      { chargerId: 'c1', startMs: ms(40), endMs: null },
    ]);
  });
});

describe('model against baselines', () => {
  it('puts every metric in the { model, baselines } shape and judges the model on its best baseline', () => {
    const t = truth({ waits: [aWait('a', 'served', 4), aWait('b', 'reneged', 30)] });
    const wait = scoreWaits(
      t,
      new Map([
        ['a', 1],
        ['b', 1],
      ]),
    );
    const failures = [{ stationId: 'S1', chargerId: 'c1', ts: at(60), cause: 'overheat' as const, errorCode: 'HighTemperature' }];
    const modelAlarms = [{ chargerId: 'c1', startMs: ms(30), endMs: null }];
    const opts = { lookbackMin: 60, horizonMin: 60, minLeadMin: 10 };
    const failure = scoreFailures(failures, modelAlarms, opts);
    const detail: BaselineDetail = {
      wait: {
        lastServedWait: scoreWaits(
          t,
          new Map([
            ['a', 4],
            ['b', 4],
          ]),
        ),
        queueTimesServiceOverBays: scoreWaits(
          t,
          new Map([
            ['a', 0],
            ['b', 0],
          ]),
        ),
      },
      stockout: scoreStockoutForecasts(truth({}), [], {
        horizonMin: 60,
        capMin: 240,
        constantEtaMin: 30,
        probability: (eta) => stockoutProbability(eta, 60),
      }),
      failure: {
        temperatureThreshold: scoreFailures(failures, [], opts),
        defects: { model: scoreAlarmDefects(modelAlarms, [], failures), temperatureThreshold: scoreAlarmDefects([], [], failures) },
      },
    };
    const scores = predictorScores({ wait, failure }, detail);
    // model: |1-4| = 3, 30-1 = 29 -> 16; last served: 0 and 26 -> 13; queue (0): 4 and 30 -> 17.
    expect(scores.wait?.maeMin).to.deep.equal({
      model: 16,
      baselines: { lastServedWait: 13, queueTimesServiceOverBays: 17, zero: 17 },
    });
    expect(verdict(scores.wait ?? {}, 'maeMin', 'lower')).to.deep.equal({
      metric: 'maeMin',
      better: 'lower',
      model: 16,
      bestBaseline: 'lastServedWait',
      best: 13,
      beatsBestBaseline: false,
    });
    expect(scores.failure?.f1).to.deep.equal({ model: 1, baselines: { temperatureThreshold: 0 } });
    expect(verdict(scores.failure ?? {}, 'f1', 'higher').beatsBestBaseline).to.equal(true);
    expect(Object.keys(scores.stockout ?? {})).to.have.members([
      'brierStockoutWithin60Min',
      'brierSkillVsBaseRate',
      'etaMaeMin',
      'etaMaeMinWhenWithin60Min',
    ]);
    // No points: nothing to judge.
    expect(verdict(scores.stockout ?? {}, 'brierStockoutWithin60Min', 'lower').beatsBestBaseline).to.equal(null);
  });
});
