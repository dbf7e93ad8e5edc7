// The decision pipeline without a server: the same fold, agents, supervisor, plan and effects the
// live pipeline runs, over an in-memory set of stations. For evaluation and replay, where a
// signal log must give exactly the decisions (and hashes) the live pipeline gave.
import type { Decision, NearbyStation, Signal, StationRegistration, StationState } from '../../eventBus/types.js';
import { initialState } from './stationFold.js';
import { Decider, type AgentSettings } from './decider.js';

/**
 * The decider on one thread, over registrations: evaluation, replay and benchmarks run exactly the
 * code the decision worker runs (decider.ts), so a log gives the decisions (and hashes) it gave live.
 */
export class OfflinePipeline {
  private readonly decider: Decider;

  constructor(stations: StationRegistration[], settings: AgentSettings, reach: { nearbyKm: number; maxNearby: number }) {
    // The settings are read on every signal: a caller that changes them changes what comes next.
    this.decider = new Decider(
      stations.map((r) => initialState(r)),
      settings,
      reach,
    );
  }

  get states(): ReadonlyMap<string, StationState> {
    return this.decider.states;
  }

  /** A station that joins later (a replay of a log where it was registered mid-run): it is a neighbour from now on. */
  register(r: StationRegistration): void {
    if (this.states.has(r.id)) throw new Error(`station ${r.id} is already registered`);
    this.decider.change({ kind: 'registered', state: initialState(r) });
  }

  nearby(id: string, now: string): NearbyStation[] {
    return this.decider.nearby(id, now);
  }

  /**
   * Folds one signal and runs the agents and the supervisor; the decision, if one changed the plan.
   * An operator's answer changes it without one (`answered`): its plan is put in force all the same.
   */
  ingest(signal: Signal): Decision | null {
    return this.decider.step(signal).decision;
  }
}
