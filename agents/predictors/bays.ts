// What the swap bays can do: shared by the wait and stockout predictors.
import type { StationState } from '../../eventBus/types.js';

/** A swap takes about three minutes (AGENTS.md); used until the station has reported swaps. */
export const DEFAULT_SERVICE_TIME_S = 180;

/** Bays that can serve: open bays, limited by staff on duty when the station reports staff. */
export function activeBays(state: StationState): number {
  const open = state.bays.open;
  return state.staff.count === null ? open : Math.min(open, state.staff.count);
}

/** Mean swap time in minutes: the measured one, or the default before any swap. */
export function serviceMinutes(serviceTimeS: number): number {
  return (serviceTimeS > 0 ? serviceTimeS : DEFAULT_SERVICE_TIME_S) / 60;
}
