// The trivial predictors each real one must beat (evaluate-predictors), and the comparison in
// DECISIONS.md's shape: { "<metric>": { "model": x, "baselines": { "<baseline>": y } } }.
import { ETA_HALF_SHARE, ETA_STEEPNESS, stockoutChanceWithin } from '../../agents/predictors/stockout.js';
import { activeBays, DEFAULT_SERVICE_TIME_S, MAX_WAIT_MIN } from '../../agents/predictors/wait.js';
import type { StationState } from '../../eventBus/types.js';
import type { VehicleWait } from '../../simulator/index.js';
import type { AlarmEpisode, DefectAlarmScore, FailureScore, StockoutForecastScore, WaitScore } from '../../simulator/score.js';
import { fmt, pct, table } from './table.js';

/** Wait baseline: the drivers in line times the mean swap time, over the staffed bays (as the state knows them). */
export function queueTimesServiceOverBays(state: StationState): number {
  const bays = activeBays(state);
  if (bays <= 0) return MAX_WAIT_MIN;
  const serviceMin = (state.queue.serviceTimeS > 0 ? state.queue.serviceTimeS : DEFAULT_SERVICE_TIME_S) / 60;
  return Math.min(MAX_WAIT_MIN, (state.queue.waiting * serviceMin) / bays);
}

export interface ArrivalPoint {
  /** The key the predictions are stored under. */
  key: string;
  stationId: string;
  vehicleId: string;
  ms: number;
}

/**
 * Wait baseline: the wait of the last driver a bay took at the same station before this arrival
 * (0 before the first). Known at the arrival: that driver's swap had started.
 */
export function lastServedWaits(waits: readonly VehicleWait[], arrivals: readonly ArrivalPoint[]): Map<string, number> {
  const byStation = new Map<string, { startMs: number; waitMin: number }[]>();
  for (const w of waits) {
    if (w.outcome !== 'served') continue;
    // Waits are rounded to 1/1000 min; swaps start on whole simulated seconds.
    const startMs = Math.round((Date.parse(w.arrivalTs) + w.waitMin * 60_000) / 1000) * 1000;
    const list = byStation.get(w.stationId) ?? [];
    list.push({ startMs, waitMin: w.waitMin });
    byStation.set(w.stationId, list);
  }
  for (const list of byStation.values()) list.sort((a, b) => a.startMs - b.startMs);
  const out = new Map<string, number>();
  for (const a of arrivals) {
    const list = byStation.get(a.stationId) ?? [];
    // An arrival in the same second as a swap start is folded first (arrivals come before the bays move).
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid]?.startMs ?? Infinity) < a.ms) lo = mid + 1;
      else hi = mid;
    }
    out.set(a.key, lo > 0 ? (list[lo - 1]?.waitMin ?? 0) : 0);
  }
  return out;
}

/**
 * Alarm episodes of one alarm rule over many chargers: raised while the rule holds, cleared when it
 * stops or the charger is down; raised again within `rearmMin` of clearing, it is the same alarm
 * (a figure hovering at a threshold flickers with sensor noise).
 */
export class AlarmTracker {
  readonly alarms: AlarmEpisode[] = [];
  private readonly open = new Map<string, AlarmEpisode>();
  private readonly last = new Map<string, AlarmEpisode>();

  constructor(private readonly rearmMin: number) {}

  update(chargerId: string, ms: number, raised: boolean): void {
    const episode = this.open.get(chargerId);
    if (raised && !episode) {
      const prev = this.last.get(chargerId);
      if (prev?.endMs != null && ms - prev.endMs < this.rearmMin * 60_000) {
        prev.endMs = null;
        this.open.set(chargerId, prev);
      } else {
        const a: AlarmEpisode = { chargerId, startMs: ms, endMs: null };
        this.alarms.push(a);
        this.open.set(chargerId, a);
        this.last.set(chargerId, a);
      }
    } else if (!raised && episode) {
      episode.endMs = ms;
      this.open.delete(chargerId);
    }
  }
}

/** P(stockout within the horizon) from a predicted ETA: the stockout predictor's own calibrated mapping (stockoutChanceWithin). */
export function stockoutProbability(etaMin: number, horizonMin: number): number {
  return stockoutChanceWithin(etaMin, horizonMin);
}

export interface Comparison {
  model: number | null;
  baselines: Record<string, number | null>;
}

export type PredictorScores = Record<string, Record<string, Comparison>>;

export interface Verdict {
  /** The metric the predictor is judged on. */
  metric: string;
  better: 'lower' | 'higher';
  model: number | null;
  bestBaseline: string | null;
  best: number | null;
  /** null when the metric is undefined for the model or every baseline (e.g. no failures in the run). */
  beatsBestBaseline: boolean | null;
}

export function verdict(scores: Record<string, Comparison>, metric: string, better: 'lower' | 'higher'): Verdict {
  const c = scores[metric];
  let bestBaseline: string | null = null;
  let best: number | null = null;
  for (const [name, y] of Object.entries(c?.baselines ?? {})) {
    if (y === null || !Number.isFinite(y)) continue;
    if (best === null || (better === 'lower' ? y < best : y > best)) {
      best = y;
      bestBaseline = name;
    }
  }
  const model = c?.model ?? null;
  const beatsBestBaseline = model === null || best === null ? null : better === 'lower' ? model < best : model > best;
  return { metric, better, model, bestBaseline, best, beatsBestBaseline };
}

/** Harmonic mean of precision and recall; null when either is unknown. */
export function f1(precision: number | null, recall: number | null): number | null {
  if (precision === null || recall === null) return null;
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

/** The baselines' own scores, behind the comparison. */
export interface BaselineDetail {
  wait: { lastServedWait: WaitScore; queueTimesServiceOverBays: WaitScore };
  stockout: StockoutForecastScore;
  failure: { temperatureThreshold: FailureScore; defects: { model: DefectAlarmScore; temperatureThreshold: DefectAlarmScore } };
}

/** The stockout forecast's headline metric: the Brier score of "a stockout within the horizon". */
export const brierMetric = (horizonMin: number): string => `brierStockoutWithin${horizonMin}Min`;

/** Each predictor's metrics, model against baselines (DECISIONS.md's shape). */
export function predictorScores(model: { wait: WaitScore; failure: FailureScore }, base: BaselineDetail): PredictorScores {
  const { wait } = model;
  const stock = base.stockout;
  const waitMetric = (k: 'maeMin' | 'servedMaeMin'): Comparison => ({
    model: wait[k],
    baselines: {
      lastServedWait: base.wait.lastServedWait[k],
      queueTimesServiceOverBays: base.wait.queueTimesServiceOverBays[k],
      ...(k === 'maeMin' ? { zero: wait.zeroBaselineMaeMin } : {}),
    },
  });
  const { defects } = base.failure;
  const failMetric = (get: (s: FailureScore, d: DefectAlarmScore) => number | null): Comparison => ({
    model: get(model.failure, defects.model),
    baselines: { temperatureThreshold: get(base.failure.temperatureThreshold, defects.temperatureThreshold) },
  });
  // Recall is undefined (not 0) in a run without failures.
  const ifFailures = (x: number | null) => (model.failure.failures > 0 ? x : null);
  const skill = (b: number | null) => (b !== null && stock.brier.baseRate ? 1 - b / stock.brier.baseRate : null);
  return {
    wait: { maeMin: waitMetric('maeMin'), servedMaeMin: waitMetric('servedMaeMin') },
    stockout: {
      [brierMetric(stock.horizonMin)]: {
        model: stock.brier.model,
        baselines: { constant: stock.brier.constant, baseRate: stock.brier.baseRate },
      },
      brierSkillVsBaseRate: { model: stock.brierSkill, baselines: { constant: skill(stock.brier.constant), baseRate: 0 } },
      etaMaeMin: { model: stock.etaMae.model, baselines: { constant: stock.etaMae.constant } },
      [`etaMaeMinWhenWithin${stock.horizonMin}Min`]: {
        model: stock.etaMaeWithinHorizon.model,
        baselines: { constant: stock.etaMaeWithinHorizon.constant },
      },
    },
    failure: {
      precision: failMetric((s) => s.precision),
      recall: failMetric((s) => ifFailures(s.recall)),
      recallWithLead: failMetric((s) => ifFailures(s.recallWithLead)),
      medianLeadMin: failMetric((s) => s.medianLeadMin),
      f1: failMetric((s) => ifFailures(f1(s.precision ?? 0, s.recallWithLead))),
      poorCoolingPrecision: failMetric((_s, d) => d.poorCoolingPrecision),
      poorCoolingRecall: failMetric((_s, d) => d.poorCoolingRecall),
      // Issue 12's ground truth for maintenance: an alarm is right when its charger is going bad (a
      // latent cooling defect, or wear that ends in a failure), and overheat trips are what it must foresee.
      defectPrecision: failMetric((_s, d) => d.defectPrecision),
      overheatRecallWithLead: failMetric((s) => {
        const o = s.byCause.overheat;
        return o && o.failures > 0 ? o.detectedWithLead / o.failures : null;
      }),
    },
  };
}

interface Scored {
  scenario: string;
  scores: PredictorScores;
  verdicts: Record<string, Verdict>;
  baselines: BaselineDetail;
}

/** The stockout forecast and the alarms against their baselines, and one verdict line per predictor. */
export function renderBaselines(reports: readonly Scored[], opts: { tempDerateC: number; minLeadMin: number }): string {
  const stock = reports[0]?.baselines.stockout;
  const h = stock?.horizonMin ?? 0;
  const forecast = table(
    ['scenario', 'points', 'base rate', 'Brier', 'constant', 'base rate', 'skill', 'ETA MAE', 'constant', `ETA MAE <=${h}m`, 'constant'],
    reports.map(({ scenario, baselines: { stockout: s } }) => [
      scenario,
      String(s.points),
      pct(s.baseRate),
      fmt(s.brier.model, 3),
      fmt(s.brier.constant, 3),
      fmt(s.brier.baseRate, 3),
      fmt(s.brierSkill),
      fmt(s.etaMae.model, 1),
      fmt(s.etaMae.constant, 1),
      fmt(s.etaMaeWithinHorizon.model, 1),
      fmt(s.etaMaeWithinHorizon.constant, 1),
    ]),
  );
  const pair = (c: Comparison | undefined, f: (x: number | null) => string) =>
    `${f(c?.model ?? null)} / ${f(c?.baselines.temperatureThreshold ?? null)}`;
  const alarms = table(
    ['scenario', 'alarms', 'precision', `recall@${opts.minLeadMin}m`, 'median lead', 'F1', 'poor cooling: precision', 'recall'],
    reports.map(({ scenario, scores, baselines: { failure } }) => {
      const f = scores.failure ?? {};
      return [
        scenario,
        `${failure.defects.model.alarms} / ${failure.defects.temperatureThreshold.alarms}`,
        pair(f.precision, pct),
        pair(f.recallWithLead, pct),
        pair(f.medianLeadMin, (x) => fmt(x, 1)),
        pair(f.f1, (x) => fmt(x)),
        pair(f.poorCoolingPrecision, pct),
        pair(f.poorCoolingRecall, pct),
      ];
    }),
  );
  const line = (name: string, vs: { scenario: string; v: Verdict | undefined }[]) => {
    const first = vs[0]?.v;
    const wins = vs.filter((x) => x.v?.beatsBestBaseline === true).length;
    const detail = vs
      .map(({ scenario, v }) =>
        v?.beatsBestBaseline === null || !v
          ? `${scenario} undetermined`
          : `${scenario} ${fmt(v.model, 3)} vs ${fmt(v.best, 3)} ${v.bestBaseline}${v.beatsBestBaseline ? '' : ' (does not beat)'}`,
      )
      .join('; ');
    return `${name} (${first?.metric}, ${first?.better} is better): beats its best baseline in ${wins}/${vs.length} scenarios: ${detail}`;
  };
  const verdicts = Object.keys(reports[0]?.verdicts ?? {}).map((name) =>
    line(
      name,
      reports.map((r) => ({ scenario: r.scenario, v: r.verdicts[name] })),
    ),
  );
  // Alarms judged against the defect itself rather than against the failures it led to in the run.
  verdicts.push(
    line(
      'failure alarms on the latent defect',
      reports.map((r) => ({ scenario: r.scenario, v: verdict(r.scores.failure ?? {}, 'poorCoolingPrecision', 'higher') })),
    ),
  );
  return [
    `Stockout forecast: P(stockout within ${h} min) = 1 / (1 + (ETA / ${fmt(ETA_HALF_SHARE * h, 0)})^${ETA_STEEPNESS}), the stockout predictor's mapping calibrated on the tuning seeds; Brier (lower is better) against a constant ETA of ${stock?.constantEtaMin ?? '-'} min through the same mapping and the observed base rate; skill = 1 - Brier / Brier(base rate); ETA MAE censored at the run's end`,
    forecast,
    '',
    `Maintenance alarms, model / temperature threshold alone (alarm while temperature >= ${opts.tempDerateC} C); poor cooling: alarms on, and chargers with, a latent cooling defect (truth)`,
    alarms,
    '',
    'Model against its best baseline',
    ...verdicts,
  ].join('\n');
}
