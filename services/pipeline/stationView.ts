import { DEVICE_ACTIONS, type ActuationOutcome, type PlanAction, type StationState } from '../../eventBus/types.js';
import { isDispatched } from '../../agents/index.js';

/** The list view: what a dashboard tile needs, without the raw windows. */
export function stationSummary(s: StationState, predictedWaitMin: number) {
  return {
    id: s.id,
    name: s.name,
    location: s.location,
    capacity: s.capacity,
    version: s.version,
    updatedAt: s.updatedAt,
    queueWaiting: s.queue.waiting,
    predictedWaitMin: Math.round(predictedWaitMin * 10) / 10,
    inventory: s.inventory,
    power: s.power,
    staff: s.staff.count,
    bays: s.bays,
    chargers: Object.values(s.chargers).map((c) => ({ id: c.id, status: c.status, tempC: c.tempC })),
    /** The plan's actions in force, in short (the whole plan: `GET /stations/:id/plan`). */
    actions: s.plan.actions.map((a) => ({ id: a.id, agent: a.agent, action: a.action, target: a.target, status: a.status })),
  };
}

/**
 * Where an action in force stands in being carried out: waiting for an operator; a device action
 * `recorded` only (no actuator), `handed` to the actuator, or its answer; a job (no device) `requested`
 * or `dispatched` (a rebalance's packs on the road; any other job handed to people).
 */
export type Execution = 'awaiting_approval' | 'recorded' | 'handed' | ActuationOutcome | 'requested' | 'dispatched';

/** The device side of it, when an actuator is configured: what became of the action's last command. */
export type DeviceExecution = (stationId: string, actionId: string) => 'recorded' | 'handed' | ActuationOutcome | undefined;

export function executionOf(stationId: string, a: PlanAction, now: string, device: DeviceExecution | null): Execution {
  if (a.status === 'pending_approval') return 'awaiting_approval';
  if (DEVICE_ACTIONS.has(a.action)) return device ? (device(stationId, a.id) ?? 'handed') : 'recorded';
  if (a.action === 'request_rebalance') return isDispatched(a, now) ? 'dispatched' : 'requested';
  return 'dispatched';
}

/** A station's plan as clients read it: every action with where it stands in being carried out. */
export function planView(s: StationState, device: DeviceExecution | null): (PlanAction & { execution: Execution })[] {
  const now = s.updatedAt ?? '';
  return s.plan.actions.map((a) => ({ ...a, execution: executionOf(s.id, a, now, device) }));
}
