// The deciding side of the live pipeline: its own copy of every station's state, folded from the same
// signals in the same order as the station store's, the agents and the supervisor run over it, and the
// plan and effects of what they decide put in force on it. It runs in the decision worker
// (deciderWorker.ts), off the thread that answers senders; the station store folds the same signals
// when their steps come back, so both copies stay equal without one being sent to the other. The
// offline pipeline (evaluation, replay, benchmarks) runs this same class on one thread.
import type {
  AgentContext,
  AgentName,
  AgentThresholds,
  Decision,
  NearbyStation,
  Signal,
  StationCapacity,
  StationPlan,
  StationState,
  SupervisorPolicy,
} from '../../eventBus/types.js';
import { assess, decide } from '../../agents/index.js';
import { applySignal } from './stationFold.js';
import { applyEffects } from './decisionEffects.js';
import { Neighbourhood } from './neighbours.js';

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

/** What deciding one signal gave: the decision (if the plan changed), or an operator's answer put in force. */
export interface Step {
  decision: Decision | null;
  /** The plan to put in force: with a decision, or with an operator's answer; null otherwise. */
  plan: StationPlan | null;
  /** The decision an operator's answer settled (the plan changed without a decision). */
  answered: string | null;
  /** Who proposed something, one entry per proposal. */
  agents: AgentName[];
}

/** A change to the set of stations, made on the station store and repeated here in the same order. */
export type StationChange =
  | { kind: 'registered'; state: StationState }
  | { kind: 'unregistered'; id: string }
  | { kind: 'capacity'; id: string; capacity: StationCapacity }
  /** A station's state read again (a partition of the stream log taken over): same place, new figures. */
  | { kind: 'replaced'; state: StationState };

export interface Reach {
  nearbyKm: number;
  maxNearby: number;
}

export class Decider {
  private readonly byId = new Map<string, StationState>();
  private readonly neighbourhood: Neighbourhood;

  constructor(
    states: Iterable<StationState>,
    private settings: AgentSettings,
    reach: Reach,
  ) {
    for (const s of states) this.byId.set(s.id, s);
    this.neighbourhood = new Neighbourhood(this.byId, reach);
    this.neighbourhood.rebuild();
  }

  setSettings(settings: AgentSettings): void {
    this.settings = settings;
  }

  change(c: StationChange): void {
    if (c.kind === 'registered') {
      this.byId.set(c.state.id, c.state);
      this.neighbourhood.add(c.state);
    } else if (c.kind === 'unregistered') {
      if (this.byId.delete(c.id)) this.neighbourhood.rebuild();
    } else if (c.kind === 'replaced') {
      if (this.byId.has(c.state.id)) this.byId.set(c.state.id, c.state);
    } else {
      const state = this.byId.get(c.id);
      if (state) {
        state.capacity = { ...c.capacity };
        state.bays.total = c.capacity.bays;
      }
    }
  }

  /** The decider's own copy of every station's state (read it; change it only through `step` and `change`). */
  get states(): ReadonlyMap<string, StationState> {
    return this.byId;
  }

  /** What the agents see of `id`'s neighbours at `now`. */
  nearby(id: string, now: string): NearbyStation[] {
    return this.neighbourhood.nearby(id, now);
  }

  /** Folds one signal, runs the agents and the supervisor, and puts what they settled in force. */
  step(signal: Signal): Step {
    const state = this.byId.get(signal.stationId);
    if (!state) throw new Error(`signal ${signal.id} names unknown station ${signal.stationId}`);
    applySignal(state, signal);
    const { proposals, decision, plan, answered } = decide(
      state,
      signal,
      agentContext(signal, state, this.settings, () => this.nearby(state.id, signal.ts)),
      this.settings.policy,
    );
    if (decision) {
      state.plan = plan;
      applyEffects(state, decision, plan);
    } else if (answered) state.plan = plan;
    return {
      decision,
      plan: decision || answered ? plan : null,
      answered: answered ?? null,
      agents: proposals.map((p) => p.agent),
    };
  }
}
