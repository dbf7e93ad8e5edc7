// Scoring the predictors against the simulator's ground truth. Pure: the
// evaluate-predictors script collects predictions while folding, then calls these.
import type { ChargerFailure, GroundTruth } from './truth.js';

/** A stretch of time during which a charger's risk stayed at or above the threshold. */
export interface AlarmEpisode {
  chargerId: string;
  startMs: number;
  /** First evaluation back below the threshold, or null if still raised at the end. */
  endMs: number | null;
}

export interface FailureScore {
  failures: number;
  /** Failures with an alarm raised before them (within the lookback). */
  detected: number;
  /** Failures whose first alarm came at least `minLeadMin` before them. */
  detectedWithLead: number;
  recall: number;
  recallWithLead: number;
  minLeadMin: number;
  meanLeadMin: number | null;
  medianLeadMin: number | null;
  alarms: number;
  /** Alarms followed by a failure of the same charger within the horizon. */
  trueAlarms: number;
  precision: number | null;
  byCause: Record<string, { failures: number; detectedWithLead: number }>;
}

const MIN = 60_000;

export function scoreFailures(
  failures: readonly ChargerFailure[],
  alarms: readonly AlarmEpisode[],
  opts: { lookbackMin: number; horizonMin: number; minLeadMin: number },
): FailureScore {
  const leads: number[] = [];
  const byCause: FailureScore['byCause'] = {};
  let detectedWithLead = 0;
  for (const f of failures) {
    const fMs = Date.parse(f.ts);
    const from = fMs - opts.lookbackMin * MIN;
    // The first moment within the lookback at which an alarm was up for this charger.
    let first: number | null = null;
    for (const a of alarms) {
      if (a.chargerId !== f.chargerId || a.startMs >= fMs) continue;
      if (a.endMs !== null && a.endMs <= from) continue;
      const t = Math.max(a.startMs, from);
      if (first === null || t < first) first = t;
    }
    const cause = (byCause[f.cause] ??= { failures: 0, detectedWithLead: 0 });
    cause.failures += 1;
    if (first === null) continue;
    const lead = (fMs - first) / MIN;
    leads.push(lead);
    if (lead >= opts.minLeadMin) {
      detectedWithLead += 1;
      cause.detectedWithLead += 1;
    }
  }
  let trueAlarms = 0;
  for (const a of alarms) {
    const hit = failures.some(
      (f) => f.chargerId === a.chargerId && Date.parse(f.ts) > a.startMs && Date.parse(f.ts) - a.startMs <= opts.horizonMin * MIN,
    );
    if (hit) trueAlarms += 1;
  }
  const n = failures.length;
  return {
    failures: n,
    detected: leads.length,
    detectedWithLead,
    recall: n ? leads.length / n : 0,
    recallWithLead: n ? detectedWithLead / n : 0,
    minLeadMin: opts.minLeadMin,
    meanLeadMin: leads.length ? mean(leads) : null,
    medianLeadMin: leads.length ? median(leads) : null,
    alarms: alarms.length,
    trueAlarms,
    precision: alarms.length ? trueAlarms / alarms.length : null,
    byCause,
  };
}

export interface StockoutPrediction {
  stationId: string;
  ms: number;
  /** Predicted minutes to stockout; Infinity when the stock is not draining. */
  predictedMin: number;
}

export interface StockoutScore {
  points: number;
  /** MAE (minutes) by actual time-to-stockout bucket, predictions capped at `capMin`. */
  etaMae: { withinMin: number; n: number; maeMin: number | null }[];
  capMin: number;
  horizonMin: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number | null;
  recall: number | null;
}

/**
 * Each prediction point is scored against the next stockout of its station.
 * Points inside a stockout are skipped (the answer is trivially 0), and points
 * too close to the run's end to know the outcome within the horizon are left
 * out of precision/recall unless a stockout did follow.
 */
export function scoreStockouts(
  truth: GroundTruth,
  preds: readonly StockoutPrediction[],
  opts: { horizonMin: number; capMin: number; buckets: number[] },
): StockoutScore {
  const endMs = Date.parse(truth.start) + truth.durationMin * MIN;
  const byStation = new Map<string, { startMs: number; endMs: number }[]>();
  for (const s of truth.stockouts) {
    const list = byStation.get(s.stationId) ?? [];
    list.push({ startMs: Date.parse(s.ts), endMs: s.recoveredTs ? Date.parse(s.recoveredTs) : endMs });
    byStation.set(s.stationId, list);
  }
  const errors = opts.buckets.map(() => [] as number[]);
  const cm = { tp: 0, fp: 0, fn: 0, tn: 0 };
  let points = 0;
  for (const p of preds) {
    const episodes = byStation.get(p.stationId) ?? [];
    if (episodes.some((e) => p.ms >= e.startMs && p.ms < e.endMs)) continue;
    points += 1;
    const next = episodes.find((e) => e.startMs > p.ms);
    const actualMin = next ? (next.startMs - p.ms) / MIN : null;
    const predicted = Math.min(p.predictedMin, opts.capMin);
    if (actualMin !== null) {
      opts.buckets.forEach((b, i) => {
        if (actualMin <= b) errors[i]?.push(Math.abs(predicted - actualMin));
      });
    }
    const actualPos = actualMin !== null && actualMin <= opts.horizonMin;
    if (!actualPos && p.ms + opts.horizonMin * MIN > endMs) continue;
    const predPos = p.predictedMin <= opts.horizonMin;
    if (predPos && actualPos) cm.tp += 1;
    else if (predPos) cm.fp += 1;
    else if (actualPos) cm.fn += 1;
    else cm.tn += 1;
  }
  return {
    points,
    etaMae: opts.buckets.map((withinMin, i) => ({
      withinMin,
      n: errors[i]?.length ?? 0,
      maeMin: errors[i]?.length ? mean(errors[i] ?? []) : null,
    })),
    capMin: opts.capMin,
    horizonMin: opts.horizonMin,
    ...cm,
    precision: cm.tp + cm.fp ? cm.tp / (cm.tp + cm.fp) : null,
    recall: cm.tp + cm.fn ? cm.tp / (cm.tp + cm.fn) : null,
  };
}

export interface WaitScore {
  vehicles: number;
  /** Drivers who gave up: their true wait is unknown, so they are not scored. */
  reneged: number;
  meanTrueMin: number | null;
  meanPredictedMin: number | null;
  maeMin: number | null;
  /** MAE of always predicting 0: what the predictor has to beat. */
  zeroBaselineMaeMin: number | null;
}

export function scoreWaits(truth: GroundTruth, predicted: ReadonlyMap<string, number>): WaitScore {
  const pairs: [number, number][] = [];
  let reneged = 0;
  for (const w of truth.waits) {
    const p = predicted.get(w.vehicleId);
    if (p === undefined) continue;
    if (!w.served) {
      reneged += 1;
      continue;
    }
    pairs.push([p, w.waitMin]);
  }
  if (pairs.length === 0)
    return { vehicles: 0, reneged, meanTrueMin: null, meanPredictedMin: null, maeMin: null, zeroBaselineMaeMin: null };
  return {
    vehicles: pairs.length,
    reneged,
    meanTrueMin: mean(pairs.map(([, t]) => t)),
    meanPredictedMin: mean(pairs.map(([p]) => p)),
    maeMin: mean(pairs.map(([p, t]) => Math.abs(p - t))),
    zeroBaselineMaeMin: mean(pairs.map(([, t]) => t)),
  };
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
