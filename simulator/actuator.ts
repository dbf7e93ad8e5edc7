// The simulator as the actuator of the demo (SIMULATE=1): every plan the pipeline puts in force (a
// decision, an operator's approval) is handed to the running simulated world, which carries it out from
// its next second. What became active since the station's last plan is started once (a remote reset, a
// rebalance transport); the rest are standing controls (kW caps, isolation, deferral, offers).
import { listen, type EventBus, type ListenerErrorSink } from '../eventBus/index.js';
import type { PlanAction } from '../eventBus/types.js';
import type { Simulation } from './simulation.js';

export function attachSimulatorActuator(bus: EventBus, current: () => Simulation | null, report: ListenerErrorSink): () => void {
  // Per station, the ids of the actions active in the last plan handed over (bounded by the stations).
  const active = new Map<string, Set<string>>();
  return listen(
    bus,
    'plan.updated',
    'simulatorActuator',
    ({ stationId, plan }) => {
      const sim = current();
      if (!sim) return;
      const before = active.get(stationId) ?? new Set<string>();
      const now = plan.actions.filter((a) => a.status === 'active');
      const started: PlanAction[] = now.filter((a) => !before.has(a.id));
      active.set(stationId, new Set(now.map((a) => a.id)));
      sim.act(stationId, plan, started);
    },
    report,
  );
}
