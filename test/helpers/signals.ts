import { randomUUID } from 'node:crypto';
import { decisionIdOf } from '../../agents/common.js';

let clock = Date.parse('2026-03-02T08:00:00.000Z');

/** A signal envelope with a fresh id and a ts one second after the previous one. */
export function sig(stationId: string, type: string, payload: Record<string, unknown>, over: Record<string, unknown> = {}) {
  clock += 1000;
  return { id: randomUUID(), stationId, type, ts: new Date(clock).toISOString(), payload, ...over };
}

/** A critical charger fault: the mechanic takes the charger offline and escalates (a decision every time). */
export function criticalFault(stationId: string, chargerId = 'C1') {
  return sig(stationId, 'charger_status', { chargerId, status: 'faulted', errorCode: 'GroundFailure' });
}

/** Moves the signal clock on (the plan's dwell and release rounds run on signal time). */
export function advanceClock(minutes: number): void {
  clock += minutes * 60_000;
}

/**
 * A grid limit and a draw far above it: the energy agent curtails more than half the draw, which
 * an operator must approve. The decision is the power reading's (`dec-<draw.id>`). One per station:
 * while that curtailment is in the plan, more overload changes nothing.
 */
export function overload(stationId: string, limitKW = 100, drawKW = 400) {
  const limit = sig(stationId, 'grid_limit', { kW: limitKW });
  const draw = sig(stationId, 'power_draw', { kW: drawKW });
  return { limit, draw, signals: [limit, draw], decisionId: `${decisionIdOf(draw)}` };
}
