// Mechanic: equipment safety in three levels. Level 1 quarantines a worn pack
// automatically, level 2 schedules maintenance on a risky charger, level 3
// takes a dangerous charger offline and hands it to a human.
import type { AgentContext, ChargerState, Evidence, Proposal, Signal, StationState } from '../eventBus/types.js';
import { round } from './common.js';
import { failureRisk } from './predictors/failureRisk.js';

export function evaluate(state: StationState, signal: Signal, ctx: AgentContext): Proposal[] {
  const t = ctx.thresholds.mechanic;
  if (signal.type === 'battery_health') {
    const p = signal.payload;
    // Quarantine is sticky in the state, so an already quarantined pack is never proposed again.
    if (state.batteries[p.batteryId]?.quarantined || p.sohPct >= t.sohQuarantinePct) return [];
    return [
      {
        agent: 'mechanic',
        action: 'quarantine_battery',
        params: { batteryId: p.batteryId },
        urgency: 0.6,
        confidence: 0.9,
        evidence: { batteryId: p.batteryId, level: 1, sohPct: p.sohPct, sohQuarantinePct: t.sohQuarantinePct, cycles: p.cycles },
        claims: { [`battery:${p.batteryId}`]: 1 },
      },
    ];
  }
  if (signal.type !== 'charger_status' && signal.type !== 'charger_temp') return [];

  // Judge the charger the signal is about, on its whole recorded history.
  const charger = state.chargers[signal.payload.chargerId];
  // An offline charger is already out of service: nothing more to take down or schedule.
  if (!charger || charger.status === 'offline') return [];
  const risk = failureRisk({
    charger,
    now: ctx.now,
    tempLimitC: t.tempLimitC,
    faultWindowMin: t.faultWindowMin,
    repeatedFaults: t.repeatedFaults,
    criticalErrorCodes: t.criticalErrorCodes,
  });
  const evidence: Evidence = {
    chargerId: charger.id,
    riskScore: round(risk.score),
    limitC: t.tempLimitC,
    tempTrendCPerMin: round(risk.trendCPerMin),
    recentFaults: risk.recentFaults,
    repeatedFaults: t.repeatedFaults,
    faultWindowMin: t.faultWindowMin,
  };
  if (charger.tempC !== null) evidence.tempC = round(charger.tempC, 1);

  const repeated = risk.recentFaults >= t.repeatedFaults;
  if (risk.criticalCode !== null || repeated) {
    const l3: Evidence = {
      ...evidence,
      level: 3,
      critical: risk.criticalCode !== null,
      otherWorkingChargers: workingChargers(state).filter((c) => c.id !== charger.id).length,
    };
    const code =
      risk.criticalCode ?? [...charger.faults].reverse().find((f) => f.errorCode !== undefined)?.errorCode ?? charger.lastErrorCode;
    if (code !== undefined) l3.errorCode = code;
    const reason = risk.criticalCode !== null ? 'critical_fault' : 'repeated_faults';
    return [
      {
        agent: 'mechanic',
        action: 'take_charger_offline',
        params: { chargerId: charger.id, reason },
        urgency: 0.95,
        confidence: 0.9,
        evidence: l3,
        claims: { [`charger:${charger.id}`]: 1, 'service.capacity': -1 },
      },
      {
        agent: 'mechanic',
        action: 'escalate_ticket',
        params: { chargerId: charger.id, level: 3, reason },
        urgency: 0.9,
        confidence: 0.9,
        evidence: l3,
        claims: {},
      },
    ];
  }
  if (risk.score >= t.riskMaintenance) {
    return [
      {
        agent: 'mechanic',
        action: 'schedule_maintenance',
        params: { chargerId: charger.id, level: 2 },
        urgency: round(risk.score),
        // A risk built from heat alone is an inference; recorded faults make it firmer.
        confidence: risk.recentFaults > 0 ? 0.8 : 0.65,
        evidence: { ...evidence, level: 2, riskMaintenance: t.riskMaintenance },
        claims: { [`charger:${charger.id}`]: 1 },
      },
    ];
  }
  return [];
}

/** Chargers that can serve right now, sorted by id. */
export function workingChargers(state: StationState): ChargerState[] {
  return Object.keys(state.chargers)
    .sort()
    .map((id) => state.chargers[id]!)
    .filter((c) => c.status === 'available' || c.status === 'occupied');
}
