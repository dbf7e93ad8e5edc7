// A charger's open charging sessions, folded from `charging_session` signals (OCPP transactions, or a
// sender's own). Part of the station fold (stationFold.ts), which bounds and calls it.
import type { ChargerState, ChargingSession, SignalPayloads } from '../../eventBus/types.js';

/**
 * One charging transaction event on a charger's sessions (kept by transaction id, which the charger
 * makes unique). `started` opens the session, replacing any open on the same connector (one
 * transaction per connector at a time: that one's end was lost) or under the same id (the start
 * restated). `updated` refreshes the delivered energy and state of charge; for a transaction not open
 * (its start was lost) it opens one from here, with no meter start, so its delivered energy stays
 * unknown. `ended` removes it. The sessions array appears with the charger's first open session. At
 * most `max` are kept.
 */
export function foldSession(c: ChargerState, p: SignalPayloads['charging_session'], ts: string, max: number): void {
  const open = c.sessions?.find((x) => x.transactionId === p.transactionId);
  if (p.event === 'ended') {
    if (open) c.sessions = c.sessions!.filter((x) => x !== open);
    return;
  }
  if (p.event === 'updated' && open) {
    if (p.energyWh !== undefined) open.energyWh = delivered(open.meterStartWh, p.energyWh);
    if (p.socPct !== undefined) open.socPct = p.socPct;
    open.updatedAt = ts;
    return;
  }
  const meterStartWh = p.event === 'started' ? (p.energyWh ?? null) : null;
  const session: ChargingSession = {
    transactionId: p.transactionId,
    connectorId: p.connectorId,
    startedAt: ts,
    meterStartWh,
    energyWh: meterStartWh === null ? null : 0,
    socPct: p.socPct ?? null,
    updatedAt: ts,
  };
  const kept = (c.sessions ?? []).filter((x) => x.connectorId !== p.connectorId && x.transactionId !== p.transactionId);
  kept.push(session);
  // The oldest go first (`STATE_LIMITS.chargerSessions`).
  c.sessions = kept.slice(-max);
}

/**
 * Energy delivered since the start: the reading less the meter start. Unknown without a start, and
 * when the reading is below it (the meter was reset or replaced mid-session).
 */
function delivered(meterStartWh: number | null, readingWh: number): number | null {
  if (meterStartWh === null || readingWh < meterStartWh) return null;
  return readingWh - meterStartWh;
}
