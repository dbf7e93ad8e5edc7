// Auditor: data quality and policy. `assess` scores the triggering signal
// before the other agents run, `evaluate` flags a doubtful signal, and `review`
// vetoes proposals that break policy.
//
// Policy, as decided here:
// - veto: a power increase while any charger is over its temperature limit;
//   a power increase beyond the grid limit (or with the headroom unknown);
//   an incentive when this hour's budget is already spent.
// - no veto, higher risk: an incentive that only partly exceeds what is left of
//   the budget, and any action taken on anomalous or stale data. The supervisor
//   raises the decision's risk for these (the flag_anomaly proposal carries the
//   data-quality facts), which sends it to an operator under the default policy.
import type { AgentContext, AgentThresholds, Proposal, Signal, SignalAssessment, StationState } from '../eventBus/types.js';
import { metricOf } from '../utils/anomalyReading.js';
import { hourKey, round } from './common.js';
import { zScore } from './predictors/anomaly.js';

/**
 * Works on the state before or after the signal was applied: when
 * `state.lastSignalId` is this signal's id, the fold already pushed the value
 * (it is dropped from the window) and moved `updatedAt` (the previous one is used).
 */
export function assess(state: StationState, signal: Signal, thresholds: AgentThresholds): SignalAssessment {
  const t = thresholds.auditor;
  const applied = state.lastSignalId === signal.id;
  const reasons: string[] = [];

  let z: number | null = null;
  const reading = metricOf(signal);
  if (reading) {
    const all = state.recent[reading.metric] ?? [];
    const history = applied ? all.slice(0, -1) : all;
    const raw = zScore(reading.value, history.slice(-t.window), reading.minStd);
    z = raw === null ? null : round(raw);
    if (z !== null && Math.abs(z) > t.zScoreLimit) {
      reasons.push(`${reading.metric} z-score ${z} beyond ${t.zScoreLimit}`);
    }
  }

  const previous = applied ? (state.previousUpdatedAt ?? null) : state.updatedAt;
  const ageS = previous === null ? null : round((Date.parse(signal.ts) - Date.parse(previous)) / 1000, 0);
  const stale = ageS !== null && ageS > t.staleSeconds;
  if (stale) reasons.push(`station state ${ageS} s old, beyond ${t.staleSeconds} s`);

  return { anomalous: z !== null && Math.abs(z) > t.zScoreLimit, zScore: z, stale, ageS, reasons };
}

export function evaluate(_state: StationState, signal: Signal, ctx: AgentContext): Proposal[] {
  const a = ctx.assessment;
  if (!a.anomalous && !a.stale) return [];
  const t = ctx.thresholds.auditor;
  const reading = metricOf(signal);
  const evidence: Proposal['evidence'] = {
    anomalous: a.anomalous,
    stale: a.stale,
    zScoreLimit: t.zScoreLimit,
    staleSeconds: t.staleSeconds,
  };
  if (reading) {
    evidence.metric = reading.metric;
    evidence.value = reading.value;
  }
  if (a.zScore !== null) evidence.zScore = a.zScore;
  if (a.ageS !== null) evidence.ageS = a.ageS;
  return [
    {
      agent: 'auditor',
      action: 'flag_anomaly',
      params: { signalId: signal.id, reason: a.reasons.join('; ') },
      urgency: 0.5,
      confidence: 0.9,
      evidence,
      claims: {},
    },
  ];
}

/** The auditor's veto of one proposal. */
function veto(p: Proposal, reason: string, evidence: Proposal['evidence']): Proposal {
  return {
    agent: 'auditor',
    action: 'veto',
    params: { target: p.action, targetAgent: p.agent, reason },
    urgency: 1,
    confidence: 1,
    evidence,
    claims: {},
  };
}

/** At most one veto per proposal, the first policy it breaks, in the order listed above. */
export function review(proposals: readonly Proposal[], state: StationState, ctx: AgentContext): Proposal[] {
  const vetoes: Proposal[] = [];
  const limitC = ctx.thresholds.mechanic.tempLimitC;
  const hot = Object.keys(state.chargers)
    .sort()
    .map((id) => state.chargers[id]!)
    .filter((c) => c.tempC !== null && c.tempC > limitC);
  const { drawKW, limitKW } = state.power;

  for (const p of proposals) {
    if (p.agent === 'auditor') continue;
    const increaseKW = p.claims['power.kW'] ?? 0;
    if (increaseKW > 0) {
      if (hot.length > 0) {
        const c = hot[0]!;
        vetoes.push(
          veto(p, `no power increase while charger ${c.id} is over its temperature limit`, {
            chargerId: c.id,
            tempC: round(c.tempC!, 1),
            limitC,
            powerIncreaseKW: round(increaseKW, 1),
            hotChargers: hot.length,
          }),
        );
        continue;
      }
      if (drawKW === null || limitKW === null) {
        vetoes.push(veto(p, 'power increase with unknown grid headroom', { powerIncreaseKW: round(increaseKW, 1) }));
        continue;
      }
      if (drawKW + increaseKW > limitKW) {
        vetoes.push(
          veto(p, 'power increase beyond the grid limit', {
            drawKW: round(drawKW, 1),
            limitKW: round(limitKW, 1),
            powerIncreaseKW: round(increaseKW, 1),
            plannedKW: round(drawKW + increaseKW, 1),
          }),
        );
        continue;
      }
    }
    if (p.action === 'offer_incentive') {
      const budget = ctx.thresholds.traffic.hourlyBudget;
      const spent = state.incentives.hour === hourKey(ctx.now) ? state.incentives.spent : 0;
      if (spent >= budget) {
        vetoes.push(
          veto(p, 'incentive budget for this hour is spent', {
            hourlyBudget: budget,
            budgetSpent: round(spent),
            amount: Number(p.params.amount ?? 0),
          }),
        );
      }
    }
  }
  return vetoes;
}
