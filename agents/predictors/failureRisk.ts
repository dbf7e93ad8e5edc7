// Failure risk of one charger, 0..1: recent faults and error codes, a cooling defect (it runs hotter
// than its peers at the same load), and heat it is heading for (its projected steady temperature).
import type { ChargerFault, ChargerState } from '../../eventBus/types.js';

/** Only readings this recent make the trend: older heat says little about now. */
export const TREND_WINDOW_MIN = 15;
/**
 * First-order thermal time constant of a charger cabinet, minutes: after a change of load its
 * temperature closes 63 % of the gap to the new steady temperature in this time. The projected steady
 * temperature is the reading plus this times the current slope.
 */
export const THERMAL_TAU_MIN = 15;
/** Readings needed in the trend window before a slope (and so a projection or a comparison) counts. */
export const MIN_READINGS = 5;
/** Projected this far above the limit, overheating alone reaches the maintenance threshold (0.5). */
export const OVERHEAT_MARGIN_C = 15;
/**
 * Degrees per kW of load by which a charger runs hotter than the hottest quarter of its peers before it
 * counts as a cooling defect. A healthy charger rises about 0.5 C per kW above the air, give or take
 * 10 % between units, so the hottest healthy ones run about 5 % over the typical one; dusty filters or
 * a failing fan add 30 % or more: (1.3 - 1.05) * 0.5 = 0.125 C/kW and up. Pack loads that differ (one
 * pack in its slow last few percent) blur the comparison by a few hundredths more.
 */
export const COOLING_EXCESS_C_PER_KW = 0.13;
/** Below this load per charger (kW) the chargers barely heat, and a comparison per kW means nothing. */
export const MIN_COMPARED_KW = 10;
/** Peer readings further apart than this from the charger's own are not compared. */
export const PEER_ALIGN_S = 30;
export const RISK_WEIGHTS = { faults: 0.4, cooling: 0.5, overheat: 0.5 } as const;

const WORKING = new Set(['available', 'occupied']);

export interface FailureRiskInput {
  charger: ChargerState;
  /** ISO time the risk is judged at (the signal's ts). */
  now: string;
  tempLimitC: number;
  faultWindowMin: number;
  repeatedFaults: number;
  criticalErrorCodes: readonly string[];
  /**
   * The station's chargers (the charger itself is skipped): the same air and the same kind of load,
   * so a charger that heats more than they do has a cooling defect. Without them only faults and the
   * projected temperature count.
   */
  peers?: readonly ChargerState[];
  /** The same, worked out once by stationHeat for many calls at one `now` (takes precedence over peers). */
  heat?: readonly ChargerHeat[];
  /** The station's power draw, kW: shared by the chargers that are charging, the load per charger. */
  stationKW?: number | null;
  /**
   * Judge the cooling on the comparison now alone, an upper bound of the full one (which also looks back
   * over the trend window and is most of the cost). Every score is then at least the exact one: a
   * caller that proposes nothing on the bound would propose nothing on the exact figures either.
   */
  coolingBound?: boolean;
}

export interface FailureRisk {
  score: number;
  trendCPerMin: number;
  /** Reading plus THERMAL_TAU_MIN times the slope: where the charger is heading at this load; null with too few readings. */
  projectedC: number | null;
  /** Degrees per kW of load above its peers (the lower of now and over the trend window); null when it cannot be judged. */
  excessCPerKW: number | null;
  coolingScore: number;
  overheatScore: number;
  recentFaults: number;
  /** The critical error code seen in the window, if any. */
  criticalCode: string | null;
  /** Whether the cooling figure is the bound (`coolingBound` was asked for and a bound was needed): not exact. */
  bounded: boolean;
}

export function faultsWithin(faults: readonly ChargerFault[], now: string, windowMin: number): ChargerFault[] {
  const end = Date.parse(now);
  const start = end - windowMin * 60_000;
  return faults.filter((f) => {
    const t = Date.parse(f.ts);
    return t >= start && t <= end;
  });
}

type Reading = { ts: string; tempC: number };
/** A reading with its time parsed: minutes relative to `now` (negative in the past). */
type Point = { x: number; y: number };

/**
 * A reading's time in ms, parsed once: every signal judges every charger's readings again, and
 * parsing the same timestamps over and over was the mechanic's largest cost. Weakly held, so the
 * cache lives exactly as long as the readings do.
 */
const parsedTs = new WeakMap<Reading, number>();
function msOf(r: Reading): number {
  let ms = parsedTs.get(r);
  if (ms === undefined) parsedTs.set(r, (ms = Date.parse(r.ts)));
  return ms;
}

/** A charger's readings within the trend window, oldest first, with times in minutes before `now`. */
function windowPoints(temps: readonly Reading[], now: string, windowMin: number): Point[] {
  const end = Date.parse(now);
  const out: Point[] = [];
  for (const t of temps) {
    const x = (msOf(t) - end) / 60_000;
    if (x <= 0 && x >= -windowMin) out.push({ x, y: t.tempC });
  }
  return out;
}

function slope(pts: readonly Point[]): number {
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

/** Least-squares slope of temperature over time, degrees C per minute; 0 with fewer than two readings. */
export function tempTrendCPerMin(temps: readonly Reading[], now: string, windowMin = TREND_WINDOW_MIN): number {
  return slope(windowPoints(temps, now, windowMin));
}

/** One charger as the heat comparison sees it. */
export interface ChargerHeat {
  id: string;
  status: ChargerState['status'];
  /** Readings within the trend window, oldest first (minutes before now). */
  points: Point[];
  /** Reading plus THERMAL_TAU_MIN times the slope; null with fewer than MIN_READINGS in the window. */
  projectedC: number | null;
}

export function chargerHeat(charger: ChargerState, now: string): ChargerHeat {
  const points = windowPoints(charger.temps, now, TREND_WINDOW_MIN);
  const projectedC = charger.tempC === null || points.length < MIN_READINGS ? null : charger.tempC + THERMAL_TAU_MIN * slope(points);
  return { id: charger.id, status: charger.status, points, projectedC };
}

/**
 * A station's chargers as the heat comparison sees them, worked out once for the many chargers
 * judged on one signal (each judged against all the others).
 */
export function stationHeat(chargers: readonly ChargerState[], now: string): ChargerHeat[] {
  return chargers.filter((c) => WORKING.has(c.status) && c.tempC !== null).map((c) => chargerHeat(c, now));
}

/** The steady temperature a charger is heading for at its present load (first-order response); null with too few readings. */
export function projectedTempC(charger: ChargerState, now: string): number | null {
  return chargerHeat(charger, now).projectedC;
}

/**
 * How much hotter than its peers a charger runs, per kW of load. Two views must agree, so one
 * moment (a peer idle, a peer's pack in its slow last few percent) does not make a defect:
 * - now: its projected temperature above the upper quartile of the chargers that are charging (those
 *   at full power are the hottest healthy ones);
 * - over the trend window: the median, over its own readings, of its reading above the upper quartile
 *   of its working peers' readings taken within PEER_ALIGN_S.
 * The load per charger is the station's draw shared by the chargers that are charging.
 * Null without at least two comparable peers, enough readings, or a load of MIN_COMPARED_KW per charger
 * (chargers paused by a price deferral stay occupied but draw nothing).
 */
export function coolingExcessCPerKW(own: ChargerHeat, heat: readonly ChargerHeat[], stationKW: number, bound = false): number | null {
  const others = heat.filter((p) => p.id !== own.id);
  const charging = others.filter((p) => p.status === 'occupied');
  const loaded = charging.length + (own.status === 'occupied' ? 1 : 0);
  if (own.projectedC === null || loaded === 0 || !(stationKW / loaded >= MIN_COMPARED_KW)) return null;
  const projected = charging.map((p) => p.projectedC).filter((x): x is number => x !== null);
  if (projected.length < 2) return null;
  const nowExcess = own.projectedC - quantile(projected, 0.75);
  // min(now, window) <= now, and "no figure" scores lowest of all.
  if (bound) return nowExcess / (stationKW / loaded);
  const samples = besideExcess(own.points, others);
  if (samples.length < MIN_READINGS) return null;
  return Math.min(nowExcess, median(samples)) / (stationKW / loaded);
}

/**
 * For each of the charger's own readings that has at least two peer readings within PEER_ALIGN_S (the
 * nearest of each peer), the reading above the upper quartile of those. Every charger is judged
 * against every other on every signal, so this runs with reused buffers and no sort per reading.
 */
function besideExcess(own: readonly Point[], others: readonly ChargerHeat[]): number[] {
  const n = own.length;
  const width = others.length;
  if (scratch.length < n * width) scratch = new Float64Array(Math.max(n * width, scratch.length * 2));
  if (counts.length < n) counts = new Uint16Array(Math.max(n, counts.length * 2));
  counts.fill(0, 0, n);
  const tol = PEER_ALIGN_S / 60;
  for (const p of others) {
    const peer = p.points;
    let j = 0;
    for (let i = 0; i < n; i++) {
      const x = own[i]!.x;
      while (j + 1 < peer.length && Math.abs(peer[j + 1]!.x - x) <= Math.abs(peer[j]!.x - x)) j++;
      const q = peer[j];
      if (q && Math.abs(q.x - x) <= tol) scratch[i * width + counts[i]!++] = q.y;
    }
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = counts[i]!;
    if (k >= 2) out.push(own[i]!.y - sortedAt(scratch.subarray(i * width, i * width + k), Math.floor(0.75 * k)));
  }
  return out;
}

let scratch = new Float64Array(256);
let counts = new Uint16Array(64);

/** The k-th smallest of a few values, sorting them in place (insertion sort: a handful of peers). */
function sortedAt(xs: Float64Array, k: number): number {
  for (let i = 1; i < xs.length; i++) {
    const v = xs[i]!;
    let j = i - 1;
    while (j >= 0 && xs[j]! > v) {
      xs[j + 1] = xs[j]!;
      j--;
    }
    xs[j + 1] = v;
  }
  return xs[k]!;
}

/**
 * risk = 1 if a critical error code occurred within the fault window, else
 * min(1, 0.4*faults + 0.5*cooling + 0.5*overheat) where
 * faults   = min(1, recent faults / repeatedFaults),
 * cooling  = clamp(excess over peers per kW / COOLING_EXCESS_C_PER_KW, 0, 1)  (a latent cooling defect),
 * overheat = clamp((projected steady temperature - limit) / OVERHEAT_MARGIN_C, 0, 1).
 * Each of a cooling defect and a projection 15 C beyond the limit alone scores 0.5, the default
 * maintenance threshold. Heat on a hot day that every charger shares is not a defect: derating
 * answers it (MechanicAgent); a maintenance visit is for a charger that heats more than its load explains.
 */
export function failureRisk(input: FailureRiskInput): FailureRisk {
  const { charger, now, tempLimitC } = input;
  const recent = faultsWithin(charger.faults, now, input.faultWindowMin);
  const critical = new Set(input.criticalErrorCodes);
  const criticalFault = [...recent].reverse().find((f) => f.errorCode !== undefined && critical.has(f.errorCode));
  const own = input.heat?.find((h) => h.id === charger.id) ?? chargerHeat(charger, now);
  const trendCPerMin = slope(own.points);
  const projectedC = own.projectedC;
  const heat = input.heat ?? (input.peers ? stationHeat(input.peers, now) : null);
  const excessCPerKW = heat && input.stationKW != null ? coolingExcessCPerKW(own, heat, input.stationKW, input.coolingBound) : null;
  const bounded = input.coolingBound === true && excessCPerKW !== null;
  const coolingScore = excessCPerKW === null ? 0 : clamp01(excessCPerKW / COOLING_EXCESS_C_PER_KW);
  const overheatScore = projectedC === null ? 0 : clamp01((projectedC - tempLimitC) / OVERHEAT_MARGIN_C);
  const faultScore = input.repeatedFaults > 0 ? Math.min(1, recent.length / input.repeatedFaults) : 0;
  const score = criticalFault
    ? 1
    : Math.min(1, RISK_WEIGHTS.faults * faultScore + RISK_WEIGHTS.cooling * coolingScore + RISK_WEIGHTS.overheat * overheatScore);
  return {
    score,
    trendCPerMin,
    projectedC,
    excessCPerKW,
    coolingScore,
    overheatScore,
    recentFaults: recent.length,
    criticalCode: criticalFault?.errorCode ?? null,
    bounded,
  };
}

/** The element at floor(q * n) of the sorted list (for a few peers, the upper quartile is the hottest). */
/** Sorted ascending: a typed array sorts numbers natively, several times faster than a comparator (hot path). */
const sorted = (xs: readonly number[]): Float64Array => Float64Array.from(xs).sort();

function quantile(xs: readonly number[], q: number): number {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

function median(xs: readonly number[]): number {
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
