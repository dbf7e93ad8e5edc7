// What operators' own signals do to the station plan (`settle` hands them here): a release ends an
// action only an operator may end and makes a decision; an answer to a pending_approval decision puts
// its waiting actions in force or takes them out, and makes none (the approval is its own record).
// Both come through the signal log, so a replay remakes them. Pure: time from the signal only.
import type { AgentContext, PlanAction, SignalOf, StationPlan, StationState, StoppedAction, SupervisorPolicy } from '../eventBus/types.js';
import type { Settlement } from './plan.js';
import { stopOnlyDecision } from './stopDecision.js';

/** What an operator's release of `actionId` ends: that action, and with a charger's isolation its level-3 ticket. */
export function releasedWith(plan: StationPlan, actionId: string): PlanAction[] {
  const named = plan.actions.find((a) => a.id === actionId);
  if (!named) return [];
  const ticket =
    named.action === 'take_charger_offline'
      ? plan.actions.find((a) => a.id === `escalate_ticket:${named.target}` && Number(a.params.level) === 3)
      : undefined;
  return ticket ? [named, ticket] : [named];
}

/**
 * An operator ends an action only they may end (DECISIONS.md: bringing a charger back after a level-3
 * fault needs a human). The decision does that and nothing else: the operator's request is its
 * approval, so it is executed; what the agents want now they get on the next signal. A release of
 * anything else (not in the plan, or not sticky) changes nothing.
 */
export function settleRelease(
  state: StationState,
  signal: SignalOf<'operator_release'>,
  ctx: Pick<AgentContext, 'policyVersion' | 'nearby'>,
  sticky: (a: PlanAction) => boolean,
): Settlement {
  const plan = state.plan;
  const { actionId, by, note } = signal.payload;
  const ended = releasedWith(plan, actionId);
  if (ended.length === 0 || !sticky(ended[0]!)) return { decision: null, plan };
  const named = ended[0]!;
  const what =
    named.action === 'take_charger_offline'
      ? 'returned to service'
      : named.action === 'quarantine_battery'
        ? 'released from quarantine'
        : 'closed';
  const said = `${what} by ${by}${note ? `: ${note}` : ''}`;
  const stopped: StoppedAction[] = ended.map((a) => ({
    id: a.id,
    agent: a.agent,
    action: a.action,
    target: a.target,
    reason: 'operator',
    note: a === named ? said : `closed with ${named.id}, ${said}`,
    operator: { by, note },
  }));
  const now = signal.ts;
  const { decision, actions } = stopOnlyDecision(state, signal, ctx, stopped, (changes, inForce) => ({
    note: `plan: 0 started, ${changes.adjusted.length} adjusted, ${stopped.length} stopped by operator ${by}; ${inForce} in force`,
    risk: { level: 'low', score: 0, reasons: [`ended by operator ${by}`] },
  }));
  return { decision, plan: { actions, declined: plan.declined.filter((d) => d.until > now), changedAt: now } };
}

/** The ids of the actions of `decisionId` still waiting for an operator in the plan. */
export function waitingOn(plan: StationPlan, decisionId: string): string[] {
  return plan.actions.filter((a) => a.decisionId === decisionId && a.status === 'pending_approval').map((a) => a.id);
}

/** An operator's answer to a pending decision, applied to the plan it left behind. */
export function answerPlan(
  plan: StationPlan,
  decisionId: string,
  outcome: 'approved' | 'rejected',
  at: string,
  declineHoldS: number,
): { plan: StationPlan; affected: string[] } {
  const affected = waitingOn(plan, decisionId);
  if (affected.length === 0) return { plan, affected };
  const ids = new Set(affected);
  if (outcome === 'approved') {
    return { plan: { ...plan, actions: plan.actions.map((a) => (ids.has(a.id) ? { ...a, status: 'active' as const } : a)) }, affected };
  }
  const until = new Date(Date.parse(at) + declineHoldS * 1000).toISOString();
  return {
    plan: {
      actions: plan.actions.filter((a) => !ids.has(a.id)),
      declined: [...plan.declined.filter((d) => !ids.has(d.id)), ...affected.map((id) => ({ id, decisionId, until }))].sort((x, y) =>
        x.id < y.id ? -1 : 1,
      ),
      changedAt: plan.changedAt,
    },
    affected,
  };
}

/**
 * An operator's answer (signal `operator_answer`) to a pending_approval decision: its waiting actions
 * become active (approved), or leave the plan with their kind held back for `declineHoldS` from the
 * signal's time (rejected). No decision: the answer is its own anchored record. If those actions left
 * the plan since the operator was shown them (stopped, superseded, answered), nothing changes.
 */
export function settleAnswer(
  plan: StationPlan,
  signal: SignalOf<'operator_answer'>,
  policy: Pick<SupervisorPolicy, 'declineHoldS'>,
): Settlement {
  const { decisionId, outcome } = signal.payload;
  const answered = answerPlan(plan, decisionId, outcome, signal.ts, policy.declineHoldS);
  if (answered.affected.length === 0) return { decision: null, plan };
  return { decision: null, plan: answered.plan, answered: decisionId };
}
