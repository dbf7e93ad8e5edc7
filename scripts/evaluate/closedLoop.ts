// The closed-loop evaluation (DECISIONS.md): each policy runs the same simulated world (same seeds, the
// world's own draws apart from those of the actions), and what it decides is carried out by the
// simulator as the actuator. `none` leaves the stations alone, `naive` is a first-day rule set, and
// `copilot` is the real pipeline (agents, supervisor, plan).
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import type { AgentThresholds, StationPlan, SupervisorPolicy } from '../../eventBus/types.js';
import { OfflinePipeline, nearbyReach, policyVersionOf } from '../../services/pipeline/index.js';
import { createSimulation, type GroundTruth, type ScenarioName } from '../../simulator/index.js';
import type { WorldParams } from '../../simulator/controls.js';
import { contradictions } from './coherence.js';
import { NaivePolicy } from './naive.js';

export const POLICIES = ['none', 'naive', 'copilot'] as const;
export type PolicyName = (typeof POLICIES)[number];

/** DECISIONS.md's per-policy figures (M). */
export interface PolicyMetrics {
  lostSwaps: number;
  swaps: number;
  pWaitOver10: number;
  energyCostPerSwap: number;
  limitViolationIntervals: number;
  chargerTrips: number;
  maintenanceTickets: number;
  decisionsPerStationHour: number;
  planChangeShare: number;
  contradictoryPairs: number;
  conflictsRecorded: number;
  stationHours: number;
}

export interface LoopOptions {
  scenario: ScenarioName;
  seeds: number[];
  stations: number;
  durationMin: number;
  world?: Partial<WorldParams>;
  thresholds?: AgentThresholds;
  policy?: SupervisorPolicy;
}

const TICKET_ACTIONS = new Set(['escalate_ticket', 'schedule_maintenance']);

export function runPolicy(name: PolicyName, o: LoopOptions): PolicyMetrics {
  return runPolicyActions(name, o).metrics;
}

/**
 * The figures, and how often the policy started each action (summed over the seeds): a world parameter
 * that only an action reaches (an offer, a reset, a transport, a derate) is never read in a run where the
 * action never started, so that run is the same whatever the parameter's value.
 */
export function runPolicyActions(name: PolicyName, o: LoopOptions): { metrics: PolicyMetrics; started: Record<string, number> } {
  const thresholds = o.thresholds ?? DEFAULT_THRESHOLDS;
  const policy = o.policy ?? DEFAULT_POLICY;
  const tally = {
    drivers: 0,
    lost: 0,
    over10: 0,
    swaps: 0,
    cost: 0,
    violations: 0,
    trips: 0,
    tickets: 0,
    decisions: 0,
    changed: 0,
    contradictions: 0,
    conflicts: 0,
    stationHours: 0,
  };
  const actions: Record<string, number> = {};
  for (const seed of o.seeds) {
    const sim = createSimulation({ stations: o.stations, scenario: o.scenario, seed, durationMin: o.durationMin, world: o.world });
    const pipeline =
      name === 'copilot'
        ? new OfflinePipeline(
            sim.stations,
            { thresholds, policy, policyVersion: policyVersionOf(thresholds, policy), disabled: [] },
            nearbyReach(thresholds),
          )
        : null;
    const naive = name === 'naive' ? new NaivePolicy(sim.stations) : null;
    const count = (plan: StationPlan, started: { action: string }[]) => {
      tally.decisions += 1;
      for (const a of started) actions[a.action] = (actions[a.action] ?? 0) + 1;
      tally.tickets += started.filter((a) => TICKET_ACTIONS.has(a.action)).length;
      tally.contradictions += contradictions(plan).length;
    };
    for (const signal of sim.signals()) {
      if (pipeline) {
        const d = pipeline.ingest(signal);
        if (!d) continue;
        const plan = pipeline.states.get(d.stationId)!.plan;
        count(plan, d.changes.started);
        if (d.changes.started.length + d.changes.adjusted.length + d.changes.stopped.length > 0) tally.changed += 1;
        tally.conflicts += d.conflicts.length;
        sim.act(d.stationId, plan, d.changes.started);
      } else if (naive) {
        const step = naive.ingest(signal);
        if (!step) continue;
        count(step.plan, step.started);
        tally.changed += 1;
        sim.act(signal.stationId, step.plan, step.started);
      }
    }
    addTruth(tally, sim.truth);
    tally.stationHours += (sim.stations.length * o.durationMin) / 60;
  }
  const r = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
  const metrics: PolicyMetrics = {
    lostSwaps: tally.lost,
    swaps: tally.swaps,
    pWaitOver10: tally.drivers ? r(tally.over10 / tally.drivers, 4) : 0,
    energyCostPerSwap: tally.swaps ? r(tally.cost / tally.swaps) : 0,
    limitViolationIntervals: tally.violations,
    chargerTrips: tally.trips,
    maintenanceTickets: tally.tickets,
    decisionsPerStationHour: r(tally.decisions / tally.stationHours, 2),
    planChangeShare: tally.decisions ? r(tally.changed / tally.decisions) : 1,
    contradictoryPairs: tally.contradictions,
    conflictsRecorded: tally.conflicts,
    stationHours: r(tally.stationHours, 1),
  };
  return { metrics, started: actions };
}

/**
 * Every driver counts. Lost: reneged or turned away. Waiting over 10 minutes: served after more than 10,
 * reneged or still waiting at the end after more than 10 (a censored wait lasted at least that long),
 * and turned away (denied a swap outright, counted as the worst wait).
 */
function addTruth(
  tally: { drivers: number; lost: number; over10: number; swaps: number; cost: number; violations: number; trips: number },
  truth: GroundTruth,
): void {
  for (const w of truth.waits) {
    tally.drivers += 1;
    if (w.outcome === 'reneged' || w.outcome === 'turned_away') tally.lost += 1;
    if (w.outcome === 'turned_away' || w.waitMin > 10) tally.over10 += 1;
  }
  tally.swaps += truth.counts.swaps;
  for (const e of Object.values(truth.energy)) {
    tally.cost += e.cost;
    tally.violations += e.intervalsOverLimit;
  }
  tally.trips += truth.failures.filter((f) => f.cause === 'overheat').length;
}
