// Small helpers shared by the agents and the supervisor.
import { AGENT_NAMES, type AgentName } from '../eventBus/types.js';

/** Fixed agent order: evaluation order in `decide` and the supervisor's last tie-break. */
export const AGENT_ORDER: readonly AgentName[] = AGENT_NAMES;

/**
 * Evidence and params are quoted by explanations and hashed, so numbers are
 * rounded (stable text, no float noise) and must be finite (JSON has no Infinity).
 */
export function round(x: number, decimals = 2): number {
  if (!Number.isFinite(x)) throw new RangeError(`cannot put non-finite ${x} into evidence`);
  const f = 10 ** decimals;
  const r = Math.round(x * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

export function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** UTC hour bucket of an ISO time ('2024-05-01T13'), the period of the incentive budget. */
export function hourKey(iso: string): string {
  return new Date(Date.parse(iso)).toISOString().slice(0, 13);
}

/**
 * A decision's id, from its triggering signal: the station and the signal id, joined by "~", which
 * neither a station id nor a signal id may hold, so two stations' equal signal ids never share one
 * (signal ids are unique per station, not across stations).
 */
export function decisionIdOf(signal: { stationId: string; id: string }): string {
  return `dec-${signal.stationId}~${signal.id}`;
}
