// What a decision changes in the station state the agents see next: the plan it leaves in force,
// packs it quarantined, and the incentive spend the traffic agent budgets per hour. An operator's
// answer changes the plan without a decision; its plan is put in force here too.
import { listen, type EventBus, type ListenerErrorSink } from '../../eventBus/index.js';
import type { Decision, StationPlan, StationState } from '../../eventBus/types.js';
import type { StationStore } from './stationStore.js';
import { hourKey } from '../../agents/index.js';
import { own } from '../../utils/own.js';

export function attachDecisionEffects(bus: EventBus, stations: Pick<StationStore, 'setPlan'>, report: ListenerErrorSink): void {
  listen(
    bus,
    'decision.made',
    'decisionEffects',
    ({ decision, plan }) => {
      const state = stations.setPlan(decision.stationId, plan);
      if (!state) return;
      applyEffects(state, decision, plan);
      bus.emit('plan.updated', { stationId: decision.stationId, plan, decisionId: decision.id, cause: 'decision' });
    },
    report,
  );
  listen(
    bus,
    'approval.settled',
    'decisionEffects',
    ({ stationId, decisionId, plan }) => {
      if (!stations.setPlan(stationId, plan)) return;
      bus.emit('plan.updated', { stationId, plan, decisionId, cause: 'approval' });
    },
    report,
  );
}

/** The state side of a decision, once its plan is in force. Pure on its inputs (time from the decision, never the clock). */
export function applyEffects(state: StationState, decision: Decision, plan: StationPlan): void {
  for (const a of plan.actions) {
    if (a.decisionId !== decision.id || a.status !== 'active') continue;
    if (a.action === 'quarantine_battery') {
      const b = own(state.batteries, a.target);
      if (b) b.quarantined = true;
    }
  }
  if (decision.status !== 'executed') return;
  for (const a of decision.actions) {
    if (a.action !== 'offer_incentive' || typeof a.params.amount !== 'number') continue;
    const hour = hourKey(decision.ts);
    if (state.incentives.hour !== hour) state.incentives = { hour, spent: 0 };
    state.incentives.spent = Math.round((state.incentives.spent + a.params.amount) * 100) / 100;
  }
}
