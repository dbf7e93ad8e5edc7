// Whether the copilot's decisions are worth acting on (DECISIONS.md, evaluation report): how many
// decisions per station-hour, how many of them change the plan, how often two contradicting
// actions are in force at once, and how many conflicts were recorded with their rule. Runs the
// real agents, supervisor and plan offline over the simulator's signals.
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import type { PlanAction, StationPlan } from '../../eventBus/types.js';
import { OfflinePipeline, policyVersionOf } from '../../services/pipeline/index.js';
import { createSimulation, type ScenarioName } from '../../simulator/index.js';

export interface Coherence {
  decisions: number;
  stationHours: number;
  decisionsPerStationHour: number;
  /** Share of decisions that started, adjusted or stopped something. */
  planChangeShare: number;
  /** Pairs of actions in force together at one station that pull one resource opposite ways, summed over plan changes. */
  contradictoryPairs: number;
  conflictsRecorded: number;
  /** Decisions by action started (what operators would see). */
  started: Record<string, number>;
  /** Per rule, conflicts recorded. */
  conflictsByRule: Record<string, number>;
  pendingApproval: number;
}

/** Resources whose claims have a direction: opposite signs in force at once contradict (curtail vs boost, prioritise vs defer). */
const DIRECTIONAL = ['charging.rate', 'service.capacity'];

export function contradictions(plan: StationPlan): [PlanAction, PlanAction][] {
  const out: [PlanAction, PlanAction][] = [];
  const live = plan.actions.filter((a) => a.status === 'active');
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i]!;
      const b = live[j]!;
      if (DIRECTIONAL.some((r) => (a.claims[r] ?? 0) * (b.claims[r] ?? 0) < 0)) out.push([a, b]);
    }
  }
  return out;
}

export function coherence(
  scenario: ScenarioName,
  seeds: number[],
  stations: number,
  durationMin: number,
  thresholds = DEFAULT_THRESHOLDS,
  policy = DEFAULT_POLICY,
): Coherence {
  const out: Coherence = {
    decisions: 0,
    stationHours: 0,
    decisionsPerStationHour: 0,
    planChangeShare: 0,
    contradictoryPairs: 0,
    conflictsRecorded: 0,
    started: {},
    conflictsByRule: {},
    pendingApproval: 0,
  };
  let changed = 0;
  for (const seed of seeds) {
    const sim = createSimulation({ stations, scenario, seed, durationMin });
    const pipeline = new OfflinePipeline(
      sim.stations,
      { thresholds, policy, policyVersion: policyVersionOf(thresholds, policy), disabled: [] },
      { nearbyKm: Math.max(thresholds.traffic.nearbyKm, thresholds.logistics.nearbyKm), maxNearby: 10 },
    );
    for (const signal of sim.signals()) {
      const d = pipeline.ingest(signal);
      if (!d) continue;
      out.decisions++;
      const c = d.changes;
      if (c.started.length + c.adjusted.length + c.stopped.length > 0) changed++;
      for (const a of c.started) out.started[a.action] = (out.started[a.action] ?? 0) + 1;
      out.conflictsRecorded += d.conflicts.length;
      for (const k of d.conflicts) out.conflictsByRule[k.rule] = (out.conflictsByRule[k.rule] ?? 0) + 1;
      if (d.status === 'pending_approval') out.pendingApproval++;
      out.contradictoryPairs += contradictions(pipeline.states.get(d.stationId)!.plan).length;
    }
    out.stationHours += (sim.stations.length * durationMin) / 60;
  }
  out.decisionsPerStationHour = Math.round((out.decisions / out.stationHours) * 100) / 100;
  out.planChangeShare = out.decisions ? Math.round((changed / out.decisions) * 1000) / 1000 : 1;
  return out;
}
