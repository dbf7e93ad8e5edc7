// Throwaway: the copilot's closed-loop figures on the tuning seeds, one scenario per process argument.
import { runPolicyActions } from './evaluate/closedLoop.js';
import type { ScenarioName } from '../simulator/index.js';

const scenario = process.argv[2] as ScenarioName;
const { metrics: m, started } = runPolicyActions('copilot', { scenario, seeds: [1, 2, 3], stations: 20, durationMin: 180 });
console.log(
  JSON.stringify({
    scenario,
    lost: m.lostSwaps,
    swaps: m.swaps,
    over10: +(m.pWaitOver10 * 100).toFixed(1),
    eps: +m.energyCostPerSwap.toFixed(2),
    limit: m.limitViolationIntervals,
    trips: m.chargerTrips,
    tickets: m.maintenanceTickets,
    dsh: +m.decisionsPerStationHour.toFixed(2),
    contra: m.contradictoryPairs,
    started,
  }),
);
