// Predicted wait for a driver arriving now: their place in line, how fast the bays free up, and,
// when the shelf runs short, how fast the chargers turn out packs.
import type { StationState } from '../../eventBus/types.js';
import { activeBays, DEFAULT_SERVICE_TIME_S, serviceMinutes } from './bays.js';
import { DEFAULT_PACK_CHARGE_MINUTES, observedRechargeRatePerMin } from './stockout.js';

export { activeBays, DEFAULT_SERVICE_TIME_S };

/** Cap so "no bay can serve" still yields a finite, JSON-safe number. */
export const MAX_WAIT_MIN = 240;
/**
 * Drivers give up after 20 to 45 minutes in line (about half an hour typically): a wait predicted
 * beyond that is a wait nobody sits through, since those ahead who would take longer leave, and a
 * newcomer facing it leaves too. Predictions stop here.
 */
export const PATIENCE_MIN = 32.5;

export interface WaitInput {
  /** Vehicles in line, not counting those being served. */
  waiting: number;
  /** Mean swap duration; 0 or less means unknown (the default is used). */
  serviceTimeS: number;
  /** Bays that can actually serve: open and staffed. */
  servers: number;
  /** Charged packs on the shelf; omitted when packs are not the limit. */
  charged?: number;
  /** Charged packs the chargers turn out per minute: the pace of the line once the shelf is empty. */
  packSupplyPerMin?: number;
  /** Minutes since the last arrival and since the last completed swap; null or omitted when unknown. */
  sinceArrivalMin?: number | null;
  sinceSwapMin?: number | null;
}

/**
 * Minutes a driver arriving now waits before a bay takes them: a median (what the driver is told,
 * and what an absolute error scores), not a mean. The newcomer is number k = N + 1 in line.
 * - Bays: with N > 0 every bay is busy, and their remaining swap times are spread over a swap time S,
 *   so the k-th bay to free up does so after (m + j / (c + 1)) * S, with k = m * c + j, 1 <= j <= c
 *   (m full rounds of the c bays, then the j-th of the next). With nobody waiting, a bay is free unless
 *   it is known to be taken: with one bay, a driver who arrived less than S ago and has not finished
 *   is still in it (the line is empty, so they went straight in); the newcomer waits the rest of that swap.
 * - Packs: when fewer charged packs than k are on the shelf, the newcomer also waits for the
 *   missing ones, turned out at the supply rate r; the median time of the s-th of a steady stream
 *   is about (s - 1/3) / r.
 * The wait is the longer of the two, at most PATIENCE_MIN. No active bay: MAX_WAIT_MIN.
 */
export function predictWaitMin(input: WaitInput): number {
  const c = Math.floor(input.servers);
  if (c <= 0) return MAX_WAIT_MIN;
  const s = serviceMinutes(input.serviceTimeS);
  const n = Math.max(0, Math.floor(input.waiting));
  const k = n + 1;
  let bays = 0;
  if (n > 0) {
    const rounds = Math.floor((k - 1) / c);
    bays = (rounds + (k - rounds * c) / (c + 1)) * s;
  } else if (c === 1) {
    const sinceArrival = input.sinceArrivalMin ?? null;
    const sinceSwap = input.sinceSwapMin ?? null;
    const inBay = sinceArrival !== null && sinceArrival < s && (sinceSwap === null || sinceSwap > sinceArrival);
    if (inBay) bays = s - sinceArrival;
  }
  let packs = 0;
  const short = input.charged === undefined ? 0 : k - Math.max(0, input.charged);
  if (short > 0) {
    const supply = Math.max(0, input.packSupplyPerMin ?? 0);
    packs = supply > 0 ? (short - 1 / 3) / supply : PATIENCE_MIN;
  }
  return Math.min(PATIENCE_MIN, Math.max(bays, packs));
}

/** Drivers per minute the staffed bays can swap. */
export function servicePerMin(state: StationState): number {
  return activeBays(state) / serviceMinutes(state.queue.serviceTimeS);
}

/** The wait inputs a station's state gives; `now` is the last applied signal's time (never the clock). */
export function waitInput(state: StationState, packChargeMinutes = DEFAULT_PACK_CHARGE_MINUTES): WaitInput {
  const q = state.queue;
  const now = state.updatedAt === null ? null : Date.parse(state.updatedAt);
  const since = (ts: string | null) => (now === null || ts === null ? null : Math.max(0, (now - Date.parse(ts)) / 60_000));
  const input: WaitInput = {
    waiting: q.waiting,
    serviceTimeS: q.serviceTimeS,
    servers: activeBays(state),
    sinceArrivalMin: since(q.lastArrivalTs),
    sinceSwapMin: since(q.lastSwapTs),
  };
  // Before the first stock report the shelf is unknown, and not assumed empty.
  if (state.inventory.updatedAt !== null) {
    input.charged = state.inventory.charged;
    input.packSupplyPerMin = observedRechargeRatePerMin(state, packChargeMinutes);
  }
  return input;
}

export function stationWaitMin(state: StationState): number {
  return predictWaitMin(waitInput(state));
}
