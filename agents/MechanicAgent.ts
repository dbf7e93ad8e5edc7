// Mechanic: equipment safety, judged on every charger and pack on every signal.
// - Packs: SOH below the limit -> quarantine_battery (kept: a worn pack does not heal).
// - Heat: a hot charger is first derated (a kW setpoint), and taken offline only if it reaches the
//   limit while derated, or runs far beyond it. The alarm looks at the level, the rise, and the
//   charger against its peers, not only at the limit.
// - Faults, three levels: level 1 a remote reset (reset_charger) while it is faulted; level 2 a
//   technician ticket when a fault recurs or persists, and scheduled maintenance for a failure risk at
//   the threshold (faults, a cooling defect: hotter than its peers per kW of load, or a projected
//   temperature far beyond the limit); level 3 offline plus a level-3 ticket for a
//   critical code that does not clear by itself, a critical code that repeats, or repeated faults.
//   Level-3 isolation and quarantine are sticky: only an operator ends them. After an operator returned
//   a charger to service (or released a pack), evidence from before that is not held against it again.
import type { AgentContext, ChargerState, Evidence, PlanAction, Proposal, Signal, StationState } from '../eventBus/types.js';
import { round } from './common.js';
import { inForce, standing } from './plan.js';
import { faultsWithin, failureRisk, stationHeat, type ChargerHeat, type FailureRisk } from './predictors/failureRisk.js';

/** A fault still open after this long is persistent (level 2). */
export const PERSISTENT_FAULT_MIN = 15;
/** Degrees above the median of its working peers at which a charger counts as running hot. */
export const PEER_DELTA_C = 15;
/** A rise this fast (C per minute) within the derate band's lower reach counts as heating. */
export const RISING_C_PER_MIN = 0.5;
/** Heat is judged this many minutes ahead: a charger whose trend reaches the derate threshold by then is derated now. */
export const HEAT_LEAD_MIN = 15;
/** When a charger is derated, its peers within this many degrees of the threshold are derated in the same decision. */
export const CO_DERATE_MARGIN_C = 4;
/** Beyond the limit by this much, a charger goes offline at once (no derate first). */
export const SEVERE_OVER_LIMIT_C = 5;

const WORKING = new Set(['available', 'occupied']);

export function evaluate(state: StationState, _signal: Signal, ctx: AgentContext): Proposal[] {
  const out: Proposal[] = [];
  const t = ctx.thresholds.mechanic;
  for (const id of Object.keys(state.batteries).sort()) {
    const b = state.batteries[id]!;
    // Released by an operator: only a reading taken after the release may quarantine the pack again.
    if (b.releasedAt !== undefined && !(Date.parse(b.updatedAt) > Date.parse(b.releasedAt))) continue;
    if (b.sohPct >= t.sohQuarantinePct && !inForce(state, 'quarantine_battery', id)) continue;
    out.push({
      agent: 'mechanic',
      action: 'quarantine_battery',
      params: { batteryId: id },
      urgency: 0.6,
      confidence: 0.9,
      evidence: { batteryId: id, level: 1, sohPct: b.sohPct, sohQuarantinePct: t.sohQuarantinePct, cycles: b.cycles },
      claims: { [`battery:${id}`]: 1 },
    });
  }
  const chargers = Object.keys(state.chargers)
    .sort()
    .map((id) => sinceReturn(state.chargers[id]!));
  const temps = chargers
    .filter((c) => WORKING.has(c.status) && c.tempC !== null)
    .map((c) => c.tempC!)
    .sort((a, b) => a - b);
  const heat = heatOfStation(state, t.tempDerateC);
  const cooling = coolingComparison(state, chargers, ctx.now);
  for (const c of chargers) out.push(...chargerWants(state, c, cooling, temps, heat, ctx));
  return withPeersDerated(out, state, ctx);
}

/**
 * Heat comes to a station's chargers together (the weather, the load): when one charger is newly
 * derated, those within CO_DERATE_MARGIN_C of the threshold are derated in the same decision rather
 * than one decision each a few minutes apart.
 */
function withPeersDerated(wants: Proposal[], state: StationState, ctx: AgentContext): Proposal[] {
  const t = ctx.thresholds.mechanic;
  const derating = new Set(wants.filter((p) => p.action === 'derate_charger').map((p) => String(p.params.chargerId)));
  const newlyHot = [...derating].some((id) => !inForce(state, 'derate_charger', id));
  if (!newlyHot) return wants;
  const isolating = new Set(wants.filter((p) => p.action === 'take_charger_offline').map((p) => String(p.params.chargerId)));
  const out = wants.slice();
  for (const id of Object.keys(state.chargers).sort()) {
    const c = state.chargers[id]!;
    if (derating.has(id) || isolating.has(id) || !WORKING.has(c.status) || c.tempC === null) continue;
    if (c.tempC < t.tempDerateC - CO_DERATE_MARGIN_C) continue;
    out.push({
      agent: 'mechanic',
      action: 'derate_charger',
      params: { chargerId: id, maxKW: t.derateKW },
      urgency: 0.6,
      confidence: 0.65,
      evidence: {
        chargerId: id,
        tempC: round(c.tempC, 1),
        reason: 'with_peers',
        tempDerateC: t.tempDerateC,
        coDerateMarginC: CO_DERATE_MARGIN_C,
        maxKW: t.derateKW,
      },
      claims: {},
    });
  }
  return out;
}

/**
 * What a charger's cooling is judged against, worked out once for all of them: the chargers the plan
 * does not derate (a derated charger runs at its setpoint, not at the others' load) and the draw they
 * share (the station's, less what derated chargers that are charging draw at most). A derated charger
 * is not judged on cooling while derated: its load is not known well enough.
 */
function coolingComparison(
  state: StationState,
  chargers: readonly ChargerState[],
  now: string,
): { heat: ChargerHeat[]; stationKW: number | null } {
  const derated = (id: string) => inForce(state, 'derate_charger', id);
  const cappedKW = chargers.filter((c) => c.status === 'occupied').reduce((sum, c) => sum + (Number(derated(c.id)?.params.maxKW) || 0), 0);
  const drawKW = state.power.drawKW;
  return {
    heat: stationHeat(
      chargers.filter((c) => !derated(c.id)),
      now,
    ),
    stationKW: drawKW === null ? null : Math.max(0, drawKW - cappedKW),
  };
}

/** Whether the station's chargers that run at full power (no derate in force) are hot: the heat has not passed. */
function heatOfStation(state: StationState, derateC: number): { hotPeers: boolean } {
  const free = Object.values(state.chargers).filter(
    (c) => WORKING.has(c.status) && c.tempC !== null && !inForce(state, 'derate_charger', c.id),
  );
  if (free.length === 0) return { hotPeers: false };
  return { hotPeers: (median(free.map((c) => c.tempC!).sort((a, b) => a - b)) ?? 0) >= derateC - CO_DERATE_MARGIN_C };
}

/** A charger as the mechanic judges it: once an operator returned it to service, only the evidence since. */
export function sinceReturn(charger: ChargerState): ChargerState {
  if (charger.returnedAt === undefined) return charger;
  const returned = Date.parse(charger.returnedAt);
  const after = (ts: string) => Date.parse(ts) > returned;
  const { lastErrorCode, ...rest } = charger;
  const temps = charger.temps.filter((x) => after(x.ts));
  const faults = charger.faults.filter((f) => after(f.ts));
  return {
    ...rest,
    temps,
    faults,
    tempC: temps.length > 0 ? temps[temps.length - 1]!.tempC : null,
    ...(faults.length > 0 && lastErrorCode !== undefined ? { lastErrorCode } : {}),
  };
}

function median(sorted: number[]): number | null {
  if (sorted.length === 0) return null;
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/**
 * What the mechanic wants for one charger. Judged first on an upper bound of its failure risk (the
 * cooling comparison over the trend window is the mechanic's largest cost, on every charger and every
 * signal): a risk at most the bound proposes nothing the bound does not, so a calm charger is done
 * there, and a charger with anything to propose is judged again on the exact figures its evidence needs.
 */
function chargerWants(
  state: StationState,
  charger: ChargerState,
  cooling: { heat: ChargerHeat[]; stationKW: number | null },
  peerTemps: number[],
  heat: { hotPeers: boolean },
  ctx: AgentContext,
): Proposal[] {
  const t = ctx.thresholds.mechanic;
  const offline = inForce(state, 'take_charger_offline', charger.id);
  const ticket = inForce(state, 'escalate_ticket', charger.id);
  // Sticky: a charger this copilot isolated stays isolated until an operator brings it back.
  const returned = offline !== undefined && charger.returnedAt !== undefined && Date.parse(charger.returnedAt) >= Date.parse(offline.since);
  if (offline && !returned) return [standing(offline), ...(ticket ? [standing(ticket)] : [])];
  // Taken out by the station itself: nothing to act on.
  if (charger.status === 'offline') return [];

  const derated = inForce(state, 'derate_charger', charger.id);
  const riskOf = (coolingBound: boolean) =>
    failureRisk({
      charger,
      now: ctx.now,
      tempLimitC: t.tempLimitC,
      faultWindowMin: t.faultWindowMin,
      repeatedFaults: t.repeatedFaults,
      criticalErrorCodes: t.criticalErrorCodes,
      coolingBound,
      ...(derated ? {} : cooling),
    });
  const bound = riskOf(true);
  const wants = judgeCharger(state, charger, bound, derated, ticket, peerTemps, heat, ctx);
  return wants.length === 0 || !bound.bounded ? wants : judgeCharger(state, charger, riskOf(false), derated, ticket, peerTemps, heat, ctx);
}

/** A charger in service judged on its failure risk: what it needs for heat and faults. */
function judgeCharger(
  state: StationState,
  charger: ChargerState,
  risk: FailureRisk,
  derated: PlanAction | undefined,
  ticket: PlanAction | undefined,
  peerTemps: number[],
  heat: { hotPeers: boolean },
  ctx: AgentContext,
): Proposal[] {
  const t = ctx.thresholds.mechanic;
  const recent = faultsWithin(charger.faults, ctx.now, t.faultWindowMin);
  const critical = new Set(t.criticalErrorCodes);
  const criticalFaults = recent.filter((f) => f.errorCode !== undefined && critical.has(f.errorCode));
  const faulted = charger.status === 'faulted';
  const lastFault = charger.faults[charger.faults.length - 1];
  const faultedMin = faulted && lastFault ? (Date.parse(ctx.now) - Date.parse(lastFault.ts)) / 60_000 : 0;
  const others = peerTemps.slice();
  if (charger.tempC !== null && WORKING.has(charger.status)) others.splice(others.indexOf(charger.tempC), 1);
  const peerMedian = median(others);
  const tempC = charger.tempC;

  // What every proposal for this charger reports; built only for a charger that has one.
  let built: Evidence | undefined;
  const evidence = (): Evidence => {
    if (built) return built;
    const e: Evidence = {
      chargerId: charger.id,
      riskScore: round(risk.score),
      limitC: t.tempLimitC,
      tempTrendCPerMin: round(risk.trendCPerMin),
      recentFaults: risk.recentFaults,
      repeatedFaults: t.repeatedFaults,
      faultWindowMin: t.faultWindowMin,
    };
    if (tempC !== null) e.tempC = round(tempC, 1);
    if (peerMedian !== null) e.peerMedianC = round(peerMedian, 1);
    if (risk.projectedC !== null) e.projectedC = round(risk.projectedC, 1);
    if (risk.excessCPerKW !== null) e.excessCPerKW = round(risk.excessCPerKW, 3);
    const code = [...charger.faults].reverse().find((f) => f.errorCode !== undefined)?.errorCode ?? charger.lastErrorCode;
    if (code !== undefined) e.errorCode = code;
    return (built = e);
  };

  // Level 3. A critical code that cleared by itself (the charger works again) is not critical unless it repeats.
  const criticalNow = criticalFaults.length > 0 && (faulted || criticalFaults.length >= 2);
  const repeated = recent.length >= t.repeatedFaults;
  const overheated = tempC !== null && (tempC >= t.tempLimitC + SEVERE_OVER_LIMIT_C || (tempC >= t.tempLimitC && derated !== undefined));
  if (criticalNow || repeated || overheated) {
    const reason = criticalNow ? 'critical_fault' : repeated ? 'repeated_faults' : 'overheating';
    const l3: Evidence = {
      ...evidence(),
      level: 3,
      critical: criticalNow,
      otherWorkingChargers: Object.values(state.chargers).filter((c) => c.id !== charger.id && WORKING.has(c.status)).length,
    };
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

  const out: Proposal[] = [];
  // Heat: derate before it gets dangerous; kept until it cools below the off-threshold.
  if (tempC !== null) {
    const hotVsPeers = peerMedian !== null && tempC - peerMedian >= PEER_DELTA_C && tempC >= t.tempDerateOffC - 10;
    const rising = risk.trendCPerMin >= RISING_C_PER_MIN && tempC >= t.tempDerateC - 5;
    const projected = tempC >= t.tempDerateC - 8 && tempC + risk.trendCPerMin * HEAT_LEAD_MIN >= t.tempDerateC;
    // Heat moves slowly: a derate in force stays at least derateMinMinutes, then until it cools below the
    // off-threshold, and while the chargers running at full power beside it are hot (the heat has not passed).
    const deratedMin = derated ? (Date.parse(ctx.now) - Date.parse(derated.since)) / 60_000 : 0;
    const hot = derated
      ? tempC > t.tempDerateOffC || deratedMin < t.derateMinMinutes || heat.hotPeers
      : tempC >= t.tempDerateC || hotVsPeers || rising || projected;
    if (hot) {
      const why = tempC >= t.tempDerateC ? 'temperature' : hotVsPeers ? 'hotter_than_peers' : rising ? 'rising' : 'projected';
      out.push({
        agent: 'mechanic',
        action: 'derate_charger',
        params: { chargerId: charger.id, maxKW: t.derateKW },
        urgency: round(Math.min(0.9, 0.6 + risk.score / 2)),
        confidence: why === 'temperature' ? 0.85 : 0.7,
        evidence: { ...evidence(), reason: why, tempDerateC: t.tempDerateC, tempDerateOffC: t.tempDerateOffC, maxKW: t.derateKW },
        claims: {},
      });
    }
  }
  // Level 2: a fault that recurs or persists needs a technician; so does a high failure risk.
  if (recent.length >= 2 || faultedMin >= PERSISTENT_FAULT_MIN) {
    out.push({
      agent: 'mechanic',
      action: 'escalate_ticket',
      params: { chargerId: charger.id, level: 2, reason: recent.length >= 2 ? 'recurring_fault' : 'persistent_fault' },
      urgency: 0.7,
      confidence: 0.8,
      evidence: { ...evidence(), level: 2, faultedMin: round(faultedMin, 1), persistentFaultMin: PERSISTENT_FAULT_MIN },
      claims: {},
    });
  } else if (ticket && Number(ticket.params.level) === 2 && faulted) {
    out.push(standing(ticket));
  }
  const maintaining = inForce(state, 'schedule_maintenance', charger.id);
  // A derate is already the answer to heat: if the charger keeps heating it goes offline with a
  // ticket; a maintenance visit in between would only be noise. Maintenance is for risk without a
  // derate, and for a defect a derate does not mend: faults, or cooling worse than its peers'.
  const defect = risk.recentFaults > 0 || risk.coolingScore >= 0.5;
  const heatOnly = !defect && (derated !== undefined || out.some((p) => p.action === 'derate_charger'));
  if (!heatOnly && risk.score >= (maintaining ? t.riskMaintenanceOff : t.riskMaintenance)) {
    out.push({
      agent: 'mechanic',
      action: 'schedule_maintenance',
      params: { chargerId: charger.id, level: 2 },
      urgency: round(risk.score),
      // A risk built from heat alone is an inference; recorded faults make it firmer.
      confidence: risk.recentFaults > 0 ? 0.8 : 0.65,
      evidence: { ...evidence(), level: 2, riskMaintenance: t.riskMaintenance, riskMaintenanceOff: t.riskMaintenanceOff },
      claims: { [`charger:${charger.id}`]: 1 },
    });
  }
  // Level 1: while it is faulted (and nothing worse applies), try a remote reset.
  if (faulted) {
    out.push({
      agent: 'mechanic',
      action: 'reset_charger',
      params: { chargerId: charger.id, level: 1 },
      urgency: 0.5,
      confidence: 0.7,
      evidence: { ...evidence(), level: 1, faultedMin: round(faultedMin, 1) },
      claims: {},
    });
  }
  return out;
}

/** Chargers that can serve right now, sorted by id. */
export function workingChargers(state: StationState): ChargerState[] {
  return Object.keys(state.chargers)
    .sort()
    .map((id) => state.chargers[id]!)
    .filter((c) => WORKING.has(c.status));
}
