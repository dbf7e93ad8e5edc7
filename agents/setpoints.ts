// Per-charger kW setpoints for a station-wide power target (peak shaving). The energy agent wants a
// target; the supervisor, once it knows the plan after a change, shares the target among the chargers
// that can draw power: a derated charger keeps its lower cap and what it leaves goes to the others
// (water filling), and the setpoints never add up to more than the target. They are derived from the
// plan itself, so a derate or an isolation changes them in the same decision, never one signal later.
import type { ChargerState, Params, PlanAction, PlanChanges, StationState } from '../eventBus/types.js';

/** Param key of a charger's setpoint in a curtailment's params: `kW:<chargerId>`. */
export const SETPOINT_PREFIX = 'kW:';

/** Params the supervisor derives from the plan (not the agent's own): left out when wants are compared. */
export function isDerivedParam(key: string): boolean {
  return key.startsWith(SETPOINT_PREFIX);
}

const CURTAIL_ID = 'curtail_charging:station';

/**
 * Shares `targetKW` among the chargers that can draw power (not offline, not isolated by the plan;
 * a faulted charger keeps its share, faults clear in minutes). A charger with a derate in force is
 * capped at its derate setpoint; its unused share goes to the others. Each setpoint is rounded down
 * to 0.1 kW so the sum stays at or under the target.
 */
export function chargerSetpoints(
  chargers: Record<string, ChargerState>,
  actions: readonly PlanAction[],
  targetKW: number,
): Record<string, number> {
  const byId = new Map(actions.map((a) => [a.id, a]));
  const caps = Object.keys(chargers)
    .filter((id) => chargers[id]!.status !== 'offline' && !byId.has(`take_charger_offline:${id}`))
    .map((id) => {
      const maxKW = Number(byId.get(`derate_charger:${id}`)?.params.maxKW);
      return { id, cap: Number.isFinite(maxKW) ? maxKW : Infinity };
    })
    .sort((a, b) => a.cap - b.cap || (a.id < b.id ? -1 : 1));
  // In tenths of a kW, as integers, so rounding never lets the sum pass the target.
  const out: Record<string, number> = {};
  let left = Math.max(0, Math.floor(targetKW * 10 + 1e-9));
  caps.forEach(({ id, cap }, i) => {
    const tenths = Math.min(Math.floor(cap * 10 + 1e-9), Math.floor(left / (caps.length - i)));
    out[id] = tenths / 10;
    left -= tenths;
  });
  return out;
}

/**
 * The derived params of the plan's actions after a change: a curtailment in force gets one
 * `kW:<chargerId>` setpoint per charger, in id order, beside the target its agent asked for.
 */
export function deriveSetpoints(actions: readonly PlanAction[], chargers: Record<string, ChargerState>): Map<string, Params> {
  const out = new Map<string, Params>();
  const curtail = actions.find((a) => a.id === CURTAIL_ID);
  if (!curtail) return out;
  const own = Object.fromEntries(Object.entries(curtail.params).filter(([k]) => !isDerivedParam(k)));
  const setpoints = chargerSetpoints(chargers, actions, Number(curtail.params.targetKW));
  const derived = Object.fromEntries(
    Object.keys(setpoints)
      .sort()
      .map((id) => [`${SETPOINT_PREFIX}${id}`, setpoints[id]!]),
  );
  out.set(CURTAIL_ID, { ...own, ...derived });
  return out;
}

export function sameParams(a: Params, b: Params): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * Params derived from the plan as it now stands (a curtailment's per-charger setpoints, which a derate,
 * an isolation or a return to service reshapes) are brought up to date in the decision that changes it.
 */
export function rederive(
  next: Map<string, PlanAction>,
  before: Map<string, PlanAction>,
  changes: PlanChanges,
  state: Pick<StationState, 'chargers'>,
): void {
  for (const [id, params] of deriveSetpoints([...next.values()], state.chargers)) {
    const a = next.get(id)!;
    if (sameParams(a.params, params)) continue;
    next.set(id, { ...a, params });
    const adjusted = changes.adjusted.find((x) => x.id === id);
    if (adjusted) adjusted.to = params;
    else if (before.has(id))
      changes.adjusted.push({ id, agent: a.agent, action: a.action, target: a.target, from: before.get(id)!.params, to: params });
  }
}
