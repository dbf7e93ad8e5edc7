// Scoring the predictors against the simulator's ground truth. Pure: the
// evaluate-predictors script collects predictions while folding, then calls these.
import type { ChargerFailure, ChargerTruth, DriverOutcome, GroundTruth, VehicleWait } from './truth.js';

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

/** A prediction point outside a stockout, with what followed it. */
interface StockoutPoint {
  pred: StockoutPrediction;
  /** Minutes to the station's next stockout, or null if none followed before the run ended. */
  actualMin: number | null;
  /** Minutes from the point to the end of the run. */
  remainingMin: number;
}

/**
 * Points inside a stockout are skipped: the answer there is trivially 0. A stockout lasts until the stock
 * is back to a few packs (rearmedTs): a shelf that empties again before then is the same shortage, which
 * the truth does not count as a new stockout, so a point there could only be scored wrong.
 */
function stockoutPoints(truth: GroundTruth, preds: readonly StockoutPrediction[]): StockoutPoint[] {
  const endMs = Date.parse(truth.start) + truth.durationMin * MIN;
  const byStation = new Map<string, { startMs: number; endMs: number }[]>();
  for (const s of truth.stockouts) {
    const list = byStation.get(s.stationId) ?? [];
    list.push({ startMs: Date.parse(s.ts), endMs: s.rearmedTs ? Date.parse(s.rearmedTs) : endMs });
    byStation.set(s.stationId, list);
  }
  const out: StockoutPoint[] = [];
  for (const p of preds) {
    const episodes = byStation.get(p.stationId) ?? [];
    if (episodes.some((e) => p.ms >= e.startMs && p.ms < e.endMs)) continue;
    const next = episodes.find((e) => e.startMs > p.ms);
    out.push({ pred: p, actualMin: next ? (next.startMs - p.ms) / MIN : null, remainingMin: (endMs - p.ms) / MIN });
  }
  return out;
}

/** Whether a stockout followed within the horizon; null when the run ended too soon to know. */
function stockoutWithin(pt: StockoutPoint, horizonMin: number): boolean | null {
  if (pt.actualMin !== null && pt.actualMin <= horizonMin) return true;
  return pt.remainingMin < horizonMin ? null : false;
}

/**
 * Each prediction point is scored against the next stockout of its station.
 * Points too close to the run's end to know the outcome within the horizon are
 * left out of precision/recall unless a stockout did follow.
 */
export function scoreStockouts(
  truth: GroundTruth,
  preds: readonly StockoutPrediction[],
  opts: { horizonMin: number; capMin: number; buckets: number[] },
): StockoutScore {
  const errors = opts.buckets.map(() => [] as number[]);
  const cm = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const points = stockoutPoints(truth, preds);
  for (const pt of points) {
    const { actualMin } = pt;
    const predicted = Math.min(pt.pred.predictedMin, opts.capMin);
    if (actualMin !== null) {
      opts.buckets.forEach((b, i) => {
        if (actualMin <= b) errors[i]?.push(Math.abs(predicted - actualMin));
      });
    }
    const actualPos = stockoutWithin(pt, opts.horizonMin);
    if (actualPos === null) continue;
    const predPos = pt.pred.predictedMin <= opts.horizonMin;
    if (predPos && actualPos) cm.tp += 1;
    else if (predPos) cm.fp += 1;
    else if (actualPos) cm.fn += 1;
    else cm.tn += 1;
  }
  return {
    points: points.length,
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

export interface StockoutForecastScore {
  horizonMin: number;
  /** Points whose outcome within the horizon is known. */
  points: number;
  /** Of those, points followed by a stockout within the horizon. */
  positives: number;
  /** positives / points: the share the base-rate forecast always says. */
  baseRate: number | null;
  /** Brier score of "stockout within the horizon" (mean squared error of the probability; lower is better). */
  brier: { model: number | null; constant: number | null; baseRate: number | null };
  /** 1 - brier.model / brier.baseRate: above 0 beats the base rate. */
  brierSkill: number | null;
  /**
   * ETA error (minutes, predictions and truth capped at capMin) over every point outside a stockout: where
   * no stockout followed before the end, the truth is at least the time left (censored, as waits are).
   */
  etaMae: { points: number; model: number | null; constant: number | null };
  /** Same, only points followed by a stockout within the horizon (where an ETA matters most). */
  etaMaeWithinHorizon: { points: number; model: number | null; constant: number | null };
  constantEtaMin: number;
  capMin: number;
}

/**
 * The stockout predictor as a forecast: the probability of a stockout within the horizon (from the
 * predicted ETA through `probability`) against a constant ETA put through the same mapping and the
 * observed base rate; and its ETA against the constant.
 */
export function scoreStockoutForecasts(
  truth: GroundTruth,
  preds: readonly StockoutPrediction[],
  opts: { horizonMin: number; capMin: number; constantEtaMin: number; probability: (etaMin: number) => number },
): StockoutForecastScore {
  const points = stockoutPoints(truth, preds);
  const known = points.flatMap((pt) => {
    const y = stockoutWithin(pt, opts.horizonMin);
    return y === null ? [] : [{ y: y ? 1 : 0, p: opts.probability(pt.pred.predictedMin) }];
  });
  const positives = known.filter((k) => k.y === 1).length;
  const base = known.length ? positives / known.length : null;
  const brier = (p: (k: { y: number; p: number }) => number) => (known.length ? mean(known.map((k) => (p(k) - k.y) ** 2)) : null);
  const constP = opts.probability(opts.constantEtaMin);
  const b = { model: brier((k) => k.p), constant: brier(() => constP), baseRate: base === null ? null : brier(() => base) };
  const etaError = (pt: StockoutPoint, etaMin: number) => {
    const predicted = Math.min(etaMin, opts.capMin);
    if (pt.actualMin !== null) return Math.abs(predicted - Math.min(pt.actualMin, opts.capMin));
    return Math.max(0, Math.min(pt.remainingMin, opts.capMin) - predicted);
  };
  const eta = (pts: StockoutPoint[]) => ({
    points: pts.length,
    model: pts.length ? mean(pts.map((pt) => etaError(pt, pt.pred.predictedMin))) : null,
    constant: pts.length ? mean(pts.map((pt) => etaError(pt, opts.constantEtaMin))) : null,
  });
  return {
    horizonMin: opts.horizonMin,
    points: known.length,
    positives,
    baseRate: base,
    brier: b,
    brierSkill: b.model !== null && b.baseRate ? 1 - b.model / b.baseRate : null,
    etaMae: eta(points),
    etaMaeWithinHorizon: eta(points.filter((pt) => stockoutWithin(pt, opts.horizonMin) === true)),
    constantEtaMin: opts.constantEtaMin,
    capMin: opts.capMin,
  };
}

export interface DefectAlarmScore {
  alarms: number;
  /** Alarms raised on a charger with poor cooling (the latent defect heat alarms are for). */
  onPoorCooling: number;
  poorCoolingPrecision: number | null;
  poorCoolingChargers: number;
  /** Poor-cooling chargers with at least one alarm. */
  poorCoolingAlarmed: number;
  poorCoolingRecall: number | null;
  /** Alarms on a charger with any latent defect: poor cooling, or wear that ends in a failure in the run. */
  onDefect: number;
  defectPrecision: number | null;
}

/** Alarms against the chargers' hidden condition rather than against failures, which only some defects reach in a run. */
export function scoreAlarmDefects(
  alarms: readonly AlarmEpisode[],
  chargers: readonly ChargerTruth[],
  failures: readonly ChargerFailure[],
): DefectAlarmScore {
  const poor = new Set(chargers.filter((c) => c.poorCooling).map((c) => c.chargerId));
  const worn = new Set(failures.filter((f) => f.cause === 'wear').map((f) => f.chargerId));
  const onPoorCooling = alarms.filter((a) => poor.has(a.chargerId)).length;
  const onDefect = alarms.filter((a) => poor.has(a.chargerId) || worn.has(a.chargerId)).length;
  const alarmed = new Set(alarms.map((a) => a.chargerId));
  const poorCoolingAlarmed = [...poor].filter((id) => alarmed.has(id)).length;
  return {
    alarms: alarms.length,
    onPoorCooling,
    poorCoolingPrecision: alarms.length ? onPoorCooling / alarms.length : null,
    poorCoolingChargers: poor.size,
    poorCoolingAlarmed,
    poorCoolingRecall: poor.size ? poorCoolingAlarmed / poor.size : null,
    onDefect,
    defectPrecision: alarms.length ? onDefect / alarms.length : null,
  };
}

export interface WaitScore {
  /** Every driver in the truth, by how the visit ended. */
  outcomes: Record<DriverOutcome, number>;
  /** Drivers scored: the served, and the censored (reneged, still waiting) who had a prediction. */
  vehicles: number;
  served: number;
  censored: number;
  /** Drivers who gave up waiting (scored as censored). */
  reneged: number;
  /** Drivers who joined a line but had no prediction; 0 unless the predictions missed some. */
  unpredicted: number;
  /** Mean of waitMin over the scored drivers (a lower bound: censored waits lasted at least this long). */
  meanTrueMin: number | null;
  meanPredictedMin: number | null;
  /** Mean error with censoring (see waitError): the figure predictors are compared on. */
  maeMin: number | null;
  /** MAE over served drivers only. */
  servedMaeMin: number | null;
  /** Censored MAE of always predicting 0. */
  zeroBaselineMaeMin: number | null;
}

/**
 * Error of a predicted wait against what happened. A served driver's wait is known; a driver who
 * reneged or still waited at the end waited at least waitMin (censored), so only a prediction below
 * that is wrong, by the shortfall. A driver turned away never joined the line: null (not scored).
 */
export function waitError(w: Pick<VehicleWait, 'outcome' | 'waitMin'>, predictedMin: number): number | null {
  switch (w.outcome) {
    case 'served':
      return Math.abs(predictedMin - w.waitMin);
    case 'reneged':
    case 'waiting':
      return Math.max(0, w.waitMin - predictedMin);
    case 'turned_away':
      return null;
  }
}

export function scoreWaits(truth: Pick<GroundTruth, 'waits'>, predicted: ReadonlyMap<string, number>): WaitScore {
  const outcomes: Record<DriverOutcome, number> = { served: 0, reneged: 0, turned_away: 0, waiting: 0 };
  const scored: { p: number; t: number; err: number; zeroErr: number; served: boolean }[] = [];
  let unpredicted = 0;
  for (const w of truth.waits) {
    outcomes[w.outcome] += 1;
    if (w.outcome === 'turned_away') continue;
    const p = predicted.get(w.vehicleId);
    if (p === undefined) {
      unpredicted += 1;
      continue;
    }
    scored.push({ p, t: w.waitMin, err: waitError(w, p) ?? 0, zeroErr: waitError(w, 0) ?? 0, served: w.outcome === 'served' });
  }
  const served = scored.filter((x) => x.served);
  const avg = (xs: number[]) => (xs.length ? mean(xs) : null);
  return {
    outcomes,
    vehicles: scored.length,
    served: served.length,
    censored: scored.length - served.length,
    reneged: outcomes.reneged,
    unpredicted,
    meanTrueMin: avg(scored.map((x) => x.t)),
    meanPredictedMin: avg(scored.map((x) => x.p)),
    maeMin: avg(scored.map((x) => x.err)),
    servedMaeMin: avg(served.map((x) => x.err)),
    zeroBaselineMaeMin: avg(scored.map((x) => x.zeroErr)),
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
