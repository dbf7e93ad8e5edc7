// What a plan change asks of a station's devices: the difference between the active actions last handed
// over and those active now. Pure, so the service's bookkeeping is the only state.
import { DEVICE_ACTIONS, type ActuationCommand, type CommandKind, type PlanAction, type StationPlan } from '../../eventBus/types.js';
import { canonicalize } from '../audit/index.js';

/** The active actions of a plan by id: what is carried out (pending ones wait for an operator). */
export function activeById(plan: StationPlan): Map<string, PlanAction> {
  return new Map(plan.actions.filter((a) => a.status === 'active').map((a) => [a.id, a]));
}

/**
 * The device commands between what was handed (`before`) and the plan now: a start for a new device
 * action, an adjust when its parameters changed (a new setpoint), a stop when it left. Ordered stops
 * first (so a charger is freed before another action takes it), then starts and adjusts, each by id.
 */
export function commandsBetween(
  before: ReadonlyMap<string, PlanAction>,
  now: ReadonlyMap<string, PlanAction>,
  decisionId: string,
): ActuationCommand[] {
  const out: ActuationCommand[] = [];
  const command = (kind: CommandKind, a: PlanAction): ActuationCommand => ({
    ref: `${decisionId}/${kind}/${a.id}`,
    kind,
    actionId: a.id,
    action: a.action,
    target: a.target,
    params: a.params,
  });
  const byId = (x: PlanAction, y: PlanAction) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
  for (const a of [...before.values()].sort(byId)) {
    if (DEVICE_ACTIONS.has(a.action) && !now.has(a.id)) out.push(command('stop', a));
  }
  for (const a of [...now.values()].sort(byId)) {
    if (!DEVICE_ACTIONS.has(a.action)) continue;
    const was = before.get(a.id);
    if (!was) out.push(command('start', a));
    else if (canonicalize(was.params) !== canonicalize(a.params)) out.push(command('adjust', a));
  }
  return out;
}

/** The actions that became active since `before`, devices and jobs alike. */
export function startedSince(before: ReadonlyMap<string, PlanAction>, now: ReadonlyMap<string, PlanAction>): PlanAction[] {
  return [...now.values()].filter((a) => !before.has(a.id));
}
