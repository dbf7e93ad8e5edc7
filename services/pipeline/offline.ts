// The decision pipeline without a server: the same fold, agents, supervisor, plan and effects the
// live pipeline runs, over an in-memory set of stations. For evaluation and replay, where a
// signal log must give exactly the decisions (and hashes) the live pipeline gave.
import type {
  AgentContext,
  AgentThresholds,
  Decision,
  NearbyStation,
  Signal,
  StationRegistration,
  StationState,
  SupervisorPolicy,
} from '../../eventBus/types.js';
import { assess, decide, stationWaitMin } from '../../agents/index.js';
import { applySignal, initialState } from './stationFold.js';
import { applyEffects } from './decisionEffects.js';
import { nearbyFigures, neighbourList, pledgesOn, type Neighbour } from './neighbours.js';

export interface AgentSettings {
  thresholds: AgentThresholds;
  policy: SupervisorPolicy;
  policyVersion: string;
  disabled: AgentContext['disabled'];
}

/**
 * The context agents get for one signal (the live pipeline builds it the same way). The other stations'
 * figures are read only when an agent (or the decision record) asks for them: most signals change
 * nothing that needs the neighbours, and reading them is the costliest part of a context.
 */
export function agentContext(signal: Signal, state: StationState, settings: AgentSettings, nearby: () => NearbyStation[]): AgentContext {
  let figures: NearbyStation[] | null = null;
  return {
    now: signal.ts,
    policyVersion: settings.policyVersion,
    thresholds: settings.thresholds,
    get nearby(): NearbyStation[] {
      return (figures ??= nearby());
    },
    assessment: assess(state, signal, settings.thresholds),
    disabled: settings.disabled,
  };
}

export class OfflinePipeline {
  readonly states = new Map<string, StationState>();
  private readonly neighbours = new Map<string, Neighbour[]>();

  constructor(
    stations: StationRegistration[],
    private readonly settings: AgentSettings,
    private readonly opts: { nearbyKm: number; maxNearby: number },
  ) {
    for (const r of stations) this.states.set(r.id, initialState(r));
    for (const r of stations) this.neighbours.set(r.id, neighbourList(r, stations, opts.nearbyKm, opts.maxNearby));
  }

  /** A station that joins later (a replay of a log where it was registered mid-run): it is a neighbour from now on. */
  register(r: StationRegistration): void {
    if (this.states.has(r.id)) throw new Error(`station ${r.id} is already registered`);
    this.states.set(r.id, initialState(r));
    const all = [...this.states.values()];
    for (const s of all) this.neighbours.set(s.id, neighbourList(s, all, this.opts.nearbyKm, this.opts.maxNearby));
  }

  nearby(id: string, now: string): NearbyStation[] {
    return (this.neighbours.get(id) ?? []).map((n) => {
      const s = this.states.get(n.id)!;
      const near = (this.neighbours.get(n.id) ?? []).map((m) => this.states.get(m.id)!);
      return nearbyFigures(s, n.distanceKm, stationWaitMin(s), pledgesOn(s, near, now));
    });
  }

  /**
   * Folds one signal and runs the agents and the supervisor; the decision, if one changed the plan.
   * An operator's answer changes it without one (`answered`): its plan is put in force all the same.
   */
  ingest(signal: Signal): Decision | null {
    const state = this.states.get(signal.stationId);
    if (!state) throw new Error(`signal ${signal.id} names unknown station ${signal.stationId}`);
    applySignal(state, signal);
    const { decision, plan, answered } = decide(
      state,
      signal,
      agentContext(signal, state, this.settings, () => this.nearby(state.id, signal.ts)),
      this.settings.policy,
    );
    if (decision) {
      state.plan = plan;
      applyEffects(state, decision, plan);
    } else if (answered) state.plan = plan;
    return decision;
  }
}
