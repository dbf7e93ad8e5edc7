// Failure risk of one charger, 0..1, from temperature, its trend, recent faults and error codes.
import type { ChargerFault, ChargerState } from '../../eventBus/types.js';

/** Temperature starts to count this many degrees below the limit. */
export const TEMP_MARGIN_C = 15;
/** A rise of this many degrees per minute counts as a full-strength trend. */
export const TREND_FULL_C_PER_MIN = 1;
/** Only readings this recent make the trend: older heat says little about now. */
export const TREND_WINDOW_MIN = 15;
export const RISK_WEIGHTS = { temp: 0.5, trend: 0.2, faults: 0.4 } as const;

export interface FailureRiskInput {
  charger: ChargerState;
  /** ISO time the risk is judged at (the signal's ts). */
  now: string;
  tempLimitC: number;
  faultWindowMin: number;
  repeatedFaults: number;
  criticalErrorCodes: readonly string[];
}

export interface FailureRisk {
  score: number;
  tempScore: number;
  trendCPerMin: number;
  recentFaults: number;
  /** The critical error code seen in the window, if any. */
  criticalCode: string | null;
}

export function faultsWithin(faults: readonly ChargerFault[], now: string, windowMin: number): ChargerFault[] {
  const end = Date.parse(now);
  const start = end - windowMin * 60_000;
  return faults.filter((f) => {
    const t = Date.parse(f.ts);
    return t >= start && t <= end;
  });
}

/** Least-squares slope of temperature over time, degrees C per minute; 0 with fewer than two readings. */
export function tempTrendCPerMin(temps: readonly { ts: string; tempC: number }[], now: string, windowMin = TREND_WINDOW_MIN): number {
  const end = Date.parse(now);
  const pts = temps.map((t) => ({ x: (Date.parse(t.ts) - end) / 60_000, y: t.tempC })).filter((p) => p.x >= -windowMin && p.x <= 0);
  if (pts.length < 2) return 0;
  const mx = pts.reduce((s, p) => s + p.x, 0) / pts.length;
  const my = pts.reduce((s, p) => s + p.y, 0) / pts.length;
  let sxy = 0;
  let sxx = 0;
  for (const p of pts) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/**
 * risk = 1 if a critical error code occurred within the fault window, else
 * min(1, 0.5*temp + 0.2*trend + 0.4*faults) where
 * temp   = clamp((tempC - (limit - 15)) / 15, 0, 1)  (1 at or above the limit),
 * trend  = clamp(slope / 1 C per min, 0, 1)          (only rising counts),
 * faults = min(1, recent faults / repeatedFaults).
 * A charger at its limit alone scores 0.5, the default maintenance threshold.
 */
export function failureRisk(input: FailureRiskInput): FailureRisk {
  const { charger, now, tempLimitC } = input;
  const recent = faultsWithin(charger.faults, now, input.faultWindowMin);
  const critical = new Set(input.criticalErrorCodes);
  const criticalFault = [...recent].reverse().find((f) => f.errorCode !== undefined && critical.has(f.errorCode));
  const tempScore = charger.tempC === null ? 0 : clamp01((charger.tempC - (tempLimitC - TEMP_MARGIN_C)) / TEMP_MARGIN_C);
  const trendCPerMin = tempTrendCPerMin(charger.temps, now);
  const trendScore = clamp01(trendCPerMin / TREND_FULL_C_PER_MIN);
  const faultScore = input.repeatedFaults > 0 ? Math.min(1, recent.length / input.repeatedFaults) : 0;
  const score = criticalFault
    ? 1
    : Math.min(1, RISK_WEIGHTS.temp * tempScore + RISK_WEIGHTS.trend * trendScore + RISK_WEIGHTS.faults * faultScore);
  return { score, tempScore, trendCPerMin, recentFaults: recent.length, criticalCode: criticalFault?.errorCode ?? null };
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
