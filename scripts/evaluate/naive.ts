// The `naive` policy of the evaluation (DECISIONS.md): the threshold rules an operator might write on a
// first day, with no station plan, no hysteresis beyond a simple off level, no dwell, no conflicts
// settled and no view of the other stations beyond "the nearest". It acts on the same folded station
// state the copilot sees, through the same simulated actuator, so the two are compared on equal terms.
import { chargerSetpoints } from '../../agents/setpoints.js';
import type { PlanAction, Signal, StationPlan, StationRegistration, StationState } from '../../eventBus/types.js';
import { applySignal, initialState } from '../../services/pipeline/index.js';
import { haversineKm } from '../../utils/geo.js';

export const NAIVE_RULES = {
  /** Take a charger offline at this temperature; bring it back below the second. */
  offlineAtC: 70,
  backBelowC: 60,
  /** Curtail to 90 % of the limit when the draw passes 95 %; stop below 85 %. */
  curtailAtFraction: 0.95,
  curtailToFraction: 0.9,
  curtailOffFraction: 0.85,
  /** Ask the nearest station with more than 10 charged packs for 10 when 5 or fewer are left. */
  rebalanceAtCharged: 5,
  rebalancePacks: 10,
  /** Send drivers to the nearest station when 8 wait; stop below 4. */
  incentiveAtWaiting: 8,
  incentiveOffWaiting: 4,
  /** Defer charging at a price of 0.45 per kWh or more. */
  deferAtPrice: 0.45,
};

export interface NaiveStep {
  plan: StationPlan;
  started: PlanAction[];
  /** Whether the plan changed (a decision, for the counts). */
  changed: boolean;
}

export class NaivePolicy {
  private readonly states = new Map<string, StationState>();
  private readonly nearest = new Map<string, string[]>();

  constructor(stations: StationRegistration[]) {
    for (const r of stations) this.states.set(r.id, initialState(r));
    for (const r of stations) {
      const others = stations
        .filter((o) => o.id !== r.id)
        .sort((a, b) => haversineKm(r.location, a.location) - haversineKm(r.location, b.location));
      this.nearest.set(
        r.id,
        others.map((o) => o.id),
      );
    }
  }

  ingest(signal: Signal): NaiveStep | null {
    const state = this.states.get(signal.stationId);
    if (!state) return null;
    applySignal(state, signal);
    const before = state.plan;
    const wanted = this.rules(state, signal);
    const byId = new Map(before.actions.map((a) => [a.id, a]));
    const started = wanted.filter((a) => !byId.has(a.id));
    const same = started.length === 0 && wanted.length === before.actions.length;
    // One-shot resets leave the plan at once; they still count as a decision when they start.
    const plan: StationPlan = same
      ? before
      : { actions: wanted.filter((a) => a.action !== 'reset_charger').map((a) => byId.get(a.id) ?? a), declined: [], changedAt: signal.ts };
    state.plan = plan;
    return same ? null : { plan, started, changed: true };
  }

  private rules(s: StationState, signal: Signal): PlanAction[] {
    const r = NAIVE_RULES;
    const out: PlanAction[] = [];
    const now = signal.ts;
    const had = (id: string) => s.plan.actions.some((a) => a.id === id);
    const act = (action: PlanAction['action'], target: string, params: PlanAction['params']): PlanAction => ({
      id: `${action}:${target}`,
      agent: 'energy',
      action,
      target,
      params,
      urgency: 1,
      confidence: 1,
      claims: {},
      since: now,
      updatedAt: now,
      until: null,
      status: 'active',
      decisionId: `naive-${signal.id}`,
    });
    for (const c of Object.values(s.chargers)) {
      const id = `take_charger_offline:${c.id}`;
      if (c.tempC !== null && (c.tempC >= r.offlineAtC || (had(id) && c.tempC >= r.backBelowC)))
        out.push(act('take_charger_offline', c.id, { chargerId: c.id }));
      if (c.status === 'faulted' && signal.type === 'charger_status' && signal.payload.chargerId === c.id)
        out.push(act('reset_charger', c.id, { chargerId: c.id }));
    }
    const { drawKW, limitKW } = s.power;
    if (drawKW !== null && limitKW !== null && limitKW > 0) {
      const on = drawKW >= r.curtailAtFraction * limitKW || (had('curtail_charging:station') && drawKW >= r.curtailOffFraction * limitKW);
      if (on) {
        const targetKW = r.curtailToFraction * limitKW;
        const sp = chargerSetpoints(s.chargers, [], targetKW);
        out.push(
          act('curtail_charging', 'station', { targetKW, ...Object.fromEntries(Object.entries(sp).map(([k, v]) => [`kW:${k}`, v])) }),
        );
      }
    }
    if (s.inventory.updatedAt !== null && s.inventory.charged <= r.rebalanceAtCharged) {
      const donor = (this.nearest.get(s.id) ?? []).find((id) => (this.states.get(id)?.inventory.charged ?? 0) > r.rebalancePacks);
      if (donor) out.push(act('request_rebalance', 'station', { fromStationId: donor, packs: r.rebalancePacks }));
    } else if (had('request_rebalance:station')) {
      // Kept once asked until the stock is back above the trigger.
      out.push(s.plan.actions.find((a) => a.id === 'request_rebalance:station')!);
    }
    const waiting = s.queue.waiting;
    if (waiting >= r.incentiveAtWaiting || (had('offer_incentive:station') && waiting >= r.incentiveOffWaiting)) {
      const target = this.nearest.get(s.id)?.[0];
      if (target) out.push(act('offer_incentive', 'station', { targetStationId: target }));
    }
    const price = s.price.current;
    if (price && price.validFrom <= now && price.validTo > now && price.pricePerKWh >= r.deferAtPrice)
      out.push(act('defer_charging', 'station', {}));
    return out;
  }
}
