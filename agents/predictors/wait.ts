// Predicted wait for a driver arriving now, from an M/M/c queue (c active bays).
import type { StationState } from '../../eventBus/types.js';

/** A swap takes about three minutes (AGENTS.md); used until the station has reported swaps. */
export const DEFAULT_SERVICE_TIME_S = 180;
/** Cap so "no bay can serve" still yields a finite, JSON-safe number. */
export const MAX_WAIT_MIN = 240;

export interface WaitInput {
  /** Vehicles in line, not counting those being served. */
  waiting: number;
  arrivalRatePerMin: number;
  /** Mean swap duration; 0 or less means unknown (the default is used). */
  serviceTimeS: number;
  /** Bays that can actually serve: open and staffed. */
  servers: number;
}

/**
 * Erlang C: probability that an arrival finds all c servers busy, for offered
 * load a = lambda/mu < c. Computed with the term recursion a^k/k! so large c
 * does not overflow.
 */
export function erlangC(c: number, a: number): number {
  if (c <= 0) return 1;
  if (a <= 0) return 0;
  if (a >= c) return 1;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const last = (term * a) / c;
  const tail = last * (c / (c - a));
  return tail / (sum + tail);
}

/**
 * Minutes a driver arriving now waits before a bay takes them, with
 * mu = 60 / serviceTimeS swaps per minute per bay:
 * - N > 0 drivers already waiting: every bay is busy, so the newcomer waits
 *   for N + 1 departures at rate c*mu: W = (N + 1) / (c*mu). The observed line
 *   beats any steady-state formula when we have it.
 * - N = 0: the M/M/c steady-state wait Wq = C(c, a) / (c*mu - lambda); if the
 *   arrival rate reaches capacity (rho >= 1) the bays are saturated and the
 *   newcomer waits one departure, 1 / (c*mu).
 * - No active bay: MAX_WAIT_MIN.
 */
export function predictWaitMin(input: WaitInput): number {
  const c = Math.floor(input.servers);
  if (c <= 0) return MAX_WAIT_MIN;
  const serviceMin = (input.serviceTimeS > 0 ? input.serviceTimeS : DEFAULT_SERVICE_TIME_S) / 60;
  const capacity = c / serviceMin; // c*mu, swaps per minute
  const n = Math.max(0, input.waiting);
  let wait: number;
  if (n > 0) {
    wait = (n + 1) / capacity;
  } else {
    const lambda = Math.max(0, input.arrivalRatePerMin);
    if (lambda === 0) wait = 0;
    else if (lambda >= capacity) wait = 1 / capacity;
    else wait = erlangC(c, lambda * serviceMin) / (capacity - lambda);
  }
  return Math.min(MAX_WAIT_MIN, wait);
}

/** Bays that can serve: open bays, limited by staff on duty when the station reports staff. */
export function activeBays(state: StationState): number {
  const open = state.bays.open;
  return state.staff.count === null ? open : Math.min(open, state.staff.count);
}

/** Drivers per minute the staffed bays can swap. */
export function servicePerMin(state: StationState): number {
  const serviceS = state.queue.serviceTimeS > 0 ? state.queue.serviceTimeS : DEFAULT_SERVICE_TIME_S;
  return (60 * activeBays(state)) / serviceS;
}

export function stationWaitMin(state: StationState): number {
  return predictWaitMin({
    waiting: state.queue.waiting,
    arrivalRatePerMin: state.queue.arrivalRatePerMin,
    serviceTimeS: state.queue.serviceTimeS,
    servers: activeBays(state),
  });
}
