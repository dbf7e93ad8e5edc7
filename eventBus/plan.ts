// The station plan's types (DECISIONS.md): the actions in force at a station and what a decision
// changed in them. Re-exported by types.ts, so importers need not know the split.
import type { ActionName, AgentName } from './types.js';

export type Params = Record<string, number | string | boolean>;

export type PlanActionStatus = 'active' | 'pending_approval';

/** One action in force at a station: what the agents see, the supervisor changes and operators approve. */
export interface PlanAction {
  /** `<action>:<target>`: at most one action of a kind per target is in force. */
  id: string;
  agent: AgentName;
  action: ActionName;
  /** What it acts on: a charger, a battery, or `station`. */
  target: string;
  params: Params;
  urgency: number;
  confidence: number;
  claims: Record<string, number>;
  /** `ts` of the signal whose decision started it. */
  since: string;
  /** `ts` of its last start or adjustment. */
  updatedAt: string;
  /** When it lapses by itself, if it does. */
  until: string | null;
  status: PlanActionStatus;
  /** The decision that started or last adjusted it. */
  decisionId: string;
}

/** Kinds an operator refused, held back (not wanted again) until `until`. */
export interface DeclinedAction {
  id: string;
  decisionId: string;
  until: string;
}

export interface StationPlan {
  /** Sorted by id. */
  actions: PlanAction[];
  declined: DeclinedAction[];
  /** `ts` of the last decision that changed it. */
  changedAt: string | null;
}

/**
 * Why an action left the plan: nobody wants it any more after its dwell (`released`), its time ran out
 * (`expired`), it lost a conflict (`superseded`), or an operator ended it (`operator`: a level-3
 * isolation with its ticket, or a quarantine, which only an operator may end). A rebalance job ends
 * `done` when its packs are due, or `cancelled` when it is no longer needed before they leave. A device
 * action the device did not carry out (rejected, failed, no answer in time) leaves as `failed`.
 */
export const STOP_REASONS = ['released', 'expired', 'superseded', 'operator', 'done', 'cancelled', 'failed'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** One action a decision took out of the plan. */
export interface StoppedAction {
  id: string;
  agent: AgentName;
  action: ActionName;
  target: string;
  reason: StopReason;
  note: string;
  /** With reason `operator`: who ended it (their email, as approvals record) and what they wrote. */
  operator?: { by: string; note: string | null };
}

/** What a decision changed in its station's plan. */
export interface PlanChanges {
  started: PlanAction[];
  adjusted: { id: string; agent: AgentName; action: ActionName; target: string; from: Params; to: Params }[];
  stopped: StoppedAction[];
}
