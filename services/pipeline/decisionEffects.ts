// What an executed decision changes in the station state the agents see next:
// today, the incentive spend that the traffic agent budgets per hour.
import { listen, type EventBus, type ListenerErrorSink } from '../../eventBus/index.js';
import type { StationStore } from './stationStore.js';
import { hourKey } from '../../agents/index.js';

export function attachDecisionEffects(bus: EventBus, stations: Pick<StationStore, 'get'>, report: ListenerErrorSink): void {
  listen(
    bus,
    'decision.made',
    'decisionEffects',
    ({ decision }) => {
      if (decision.status !== 'executed') return;
      for (const a of decision.actions) {
        if (a.action !== 'offer_incentive' || typeof a.params.amount !== 'number') continue;
        const state = stations.get(decision.stationId);
        if (!state) continue;
        // Time comes from the decision (the signal's ts), never the clock, so replays spend the same.
        const hour = hourKey(decision.ts);
        if (state.incentives.hour !== hour) state.incentives = { hour, spent: 0 };
        state.incentives.spent = Math.round((state.incentives.spent + a.params.amount) * 100) / 100;
      }
    },
    report,
  );
}
