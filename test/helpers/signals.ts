import { randomUUID } from 'node:crypto';

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
