// The station plan (DECISIONS.md): the actions in force. Agents say which actions they want in force
// now; `settle` arbitrates those wants together with what is already in force and makes a decision
// only when the plan changes (an action started, adjusted or stopped). Pure: same state, wants,
// policy and signal in, the same decision and plan out.
import type {
  AgentContext,
  Decision,
  NearbyStation,
  Params,
  PlanAction,
  PlanChanges,
  Proposal,
  RejectedProposal,
  Signal,
  StationPlan,
  StationState,
  SupervisorPolicy,
  TrailStep,
} from '../eventBus/types.js';
import { decisionIdOf } from './common.js';
import { settleAnswer, settleRelease } from './operatorSignals.js';
import { settleActuation } from './actuationSignals.js';
import { isDerivedParam, rederive } from './setpoints.js';
import { CAPACITY_RESOURCES } from './claims.js';
import { arbitrate, assessRisk } from './SupervisorAgent.js';

export function emptyPlan(): StationPlan {
  return { actions: [], declined: [], changedAt: null };
}

/** Jobs: once started they stay until done or until they lapse (policy.jobTtlS), not until the condition eases. */
export function isJob(p: Pick<Proposal, 'action' | 'params'>): boolean {
  return p.action === 'schedule_maintenance' || (p.action === 'escalate_ticket' && Number(p.params.level) === 2);
}

/**
 * A rebalance whose packs have left the donor (`dispatchAt` passed): it is on the road and stays until
 * they are due (`etaAt`, its `until`), whatever the stock does meanwhile. Before that it can be cancelled.
 */
export function isDispatched(a: Pick<PlanAction, 'action' | 'params'>, now: string): boolean {
  return a.action === 'request_rebalance' && typeof a.params.dispatchAt === 'string' && a.params.dispatchAt <= now;
}

/**
 * Housekeeping that is not urgent: a worn pack set aside, a surplus offered, and a derate foreseen
 * before the charger reaches the threshold (its heat is projected, or its peers are being derated).
 * Such changes wait for the station's round (like releases) or go out with the next change, so they do
 * not make a decision each; heat at the threshold is derated at once.
 */
export function isRoundWork(p: Pick<Proposal, 'action' | 'evidence'>): boolean {
  if (p.action === 'derate_charger') return p.evidence.reason === 'projected' || p.evidence.reason === 'with_peers';
  return p.action === 'quarantine_battery' || p.action === 'offer_surplus';
}

/** Actions that are data-quality facts or verdicts, never something put in force. */
const NOT_PLANNED = new Set(['flag_anomaly', 'veto']);

/** What an action acts on: the unit it names, else the whole station. */
export function targetOf(p: Pick<Proposal, 'action' | 'params'>): string {
  const { params } = p;
  for (const k of ['chargerId', 'batteryId'] as const) if (typeof params[k] === 'string') return params[k] as string;
  return 'station';
}

export function planKey(p: Pick<Proposal, 'action' | 'params'>): string {
  return `${p.action}:${targetOf(p)}`;
}

/** The action of this kind on this target in force (or waiting for an operator), if any. */
export function inForce(state: Pick<StationState, 'plan'>, action: Proposal['action'], target = 'station'): PlanAction | undefined {
  const actions = state.plan.actions;
  // Agents ask this for every charger and pack on every signal: a plan's actions are indexed once.
  let byId = planIndex.get(actions);
  if (!byId) planIndex.set(actions, (byId = new Map(actions.map((a) => [a.id, a]))));
  return byId.get(`${action}:${target}`);
}

/** A plan's actions are never changed in place (settle makes a new list), so an index per list stays true. */
const planIndex = new WeakMap<readonly PlanAction[], Map<string, PlanAction>>();

/**
 * Whether a standing action's parameters moved enough to be worth a decision. Params the supervisor
 * derives from the plan (per-charger setpoints) are not the agent's and are left out.
 */
export function materiallyDifferent(from: Params, to: Params, deadband: number): boolean {
  const keys = new Set([...Object.keys(from), ...Object.keys(to)].filter((k) => !isDerivedParam(k)));
  for (const k of keys) {
    const a = from[k];
    const b = to[k];
    if (typeof a === 'number' && typeof b === 'number') {
      const scale = Math.max(Math.abs(a), Math.abs(b));
      // Counts (packs, bays) move by one all the time: a step of one is never material.
      const floor = Number.isInteger(a) && Number.isInteger(b) ? 1 : 0;
      if (Math.abs(a - b) > Math.max(deadband * scale, floor)) return true;
    } else if (a !== b) return true;
  }
  return false;
}

/** An action in force as a proposal: held in arbitration against new wants, or wanted again as it stands. */
export function standing(a: PlanAction): Proposal {
  return {
    agent: a.agent,
    action: a.action,
    params: a.params,
    urgency: a.urgency,
    confidence: a.confidence,
    evidence: { inForceSince: a.since },
    claims: heldClaims(a.claims),
  };
}

/**
 * What an action in force still claims. Countable resources (bays, staff, packs, slots) were granted
 * when it started and its effect has used them (the bay is open now, the slots are reserved): they are
 * not claimed again against what is left, or the action would lose to its own effect. Units and
 * directions stay claimed.
 */
export function heldClaims(claims: Record<string, number>): Record<string, number> {
  let held = heldOf.get(claims);
  if (!held) {
    held = Object.fromEntries(Object.entries(claims).filter(([r]) => !CAPACITY_RESOURCES.includes(r.split('@')[0]!)));
    heldOf.set(claims, held);
  }
  return held;
}

/** An action in force is held against new wants on every signal that changes anything: its claims are worked out once. */
const heldOf = new WeakMap<Record<string, number>, Record<string, number>>();

const seconds = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / 1000;

export interface Settlement {
  decision: Decision | null;
  /** The plan after the decision (the same object when nothing changed). */
  plan: StationPlan;
  /**
   * Set when an operator's answer changed the plan without a decision: the id of the decision
   * answered. The new plan must still be put in force (the approval is its own record).
   */
  answered?: string;
}

export interface SettleOptions {
  /** Actions whose agent wants them kept though their condition eased (sticky: only an operator ends them). */
  sticky?: (a: PlanAction) => boolean;
}

/**
 * Wants (from every enabled agent, auditor vetoes and flags included) against the plan in force.
 * A standing action nobody wants any more is held until its minimum dwell has passed, then
 * released; one that loses a conflict to a new want is superseded at once. Operators' signals
 * (`operator_release`, `operator_answer`) and a device's refusal (`actuation_outcome`) are settled on
 * their own (agents/operatorSignals.ts, agents/actuationSignals.ts), the
 * agents' wants set aside: what they want they get on the next signal.
 */
export function settle(
  wants: Proposal[],
  state: StationState,
  policy: SupervisorPolicy,
  signal: Signal,
  ctx: Pick<AgentContext, 'policyVersion' | 'nearby'>,
  opts: SettleOptions = {},
): Settlement {
  if (signal.type === 'operator_release') return settleRelease(state, signal, ctx, opts.sticky ?? (() => false));
  if (signal.type === 'operator_answer') return settleAnswer(state.plan, signal, policy);
  if (signal.type === 'actuation_outcome') return settleActuation(state, signal, ctx, policy);
  const now = signal.ts;
  const plan = state.plan;
  const byId = new Map(plan.actions.map((a) => [a.id, a]));
  const declined = new Set(plan.declined.filter((d) => d.until > now).map((d) => d.id));
  const flags = wants.filter((p) => p.action === 'flag_anomaly');
  const wanted = wants.filter((p) => !NOT_PLANNED.has(p.action) && !declined.has(planKey(p)));
  const vetoes = wants.filter((p) => p.action === 'veto');
  const wantedIds = new Set(wanted.map(planKey));

  // Standing actions nobody asks for now, still in force: within their dwell, sticky, or awaiting an operator.
  const held: Proposal[] = [];
  const heldIds = new Set<string>();
  const expired = new Set<string>();
  for (const a of plan.actions) {
    if (wantedIds.has(a.id)) continue;
    if (a.until !== null && a.until <= now) {
      expired.add(a.id);
      continue;
    }
    if (opts.sticky?.(a) || isJob(a) || isDispatched(a, now) || seconds(a.updatedAt, now) < policy.minDwellS) {
      held.push(standing(a));
      heldIds.add(a.id);
    }
  }

  // The steady state: every action in force is still wanted as it stands (or held), nothing new is
  // asked for and nothing is vetoed. Nothing can change, so there is nothing to arbitrate. This is
  // most signals; arbitration (pairwise over all wants) runs only when something differs.
  const steady =
    vetoes.length === 0 &&
    expired.size === 0 &&
    wanted.every((w) => {
      const current = byId.get(planKey(w));
      return current !== undefined && !materiallyDifferent(current.params, w.params, policy.adjustDeadband);
    }) &&
    plan.actions.every((a) => wantedIds.has(a.id) || heldIds.has(a.id));
  if (steady) return { decision: null, plan };

  const { winners, rejected, conflicts, trail } = arbitrate([...wanted, ...held, ...vetoes], state);
  const winnerIds = new Set(winners.map(planKey));
  const lost = new Map<string, RejectedProposal>();
  for (const r of rejected) lost.set(planKey(r.proposal), r);

  const changes: PlanChanges = { started: [], adjusted: [], stopped: [] };
  const acted: Proposal[] = [];
  for (const w of winners) {
    const id = planKey(w);
    if (heldIds.has(id)) continue;
    const current = byId.get(id);
    if (!current) {
      acted.push(w);
    } else if (materiallyDifferent(current.params, w.params, policy.adjustDeadband)) {
      acted.push(w);
      changes.adjusted.push({ id, agent: w.agent, action: w.action, target: targetOf(w), from: current.params, to: w.params });
    }
  }
  for (const a of plan.actions) {
    if (winnerIds.has(a.id)) continue;
    const base = { id: a.id, agent: a.agent, action: a.action, target: a.target };
    const rebalance = a.action === 'request_rebalance';
    if (expired.has(a.id))
      changes.stopped.push(
        rebalance
          ? { ...base, reason: 'done', note: `packs due at ${a.until}` }
          : { ...base, reason: 'expired', note: `lapsed at ${a.until}` },
      );
    else if (lost.has(a.id)) {
      const r = lost.get(a.id)!;
      changes.stopped.push({ ...base, reason: 'superseded', note: `${r.rule}: ${r.reason}` });
    } else if (!heldIds.has(a.id))
      changes.stopped.push(
        rebalance
          ? { ...base, reason: 'cancelled', note: `no longer needed before dispatch at ${a.params.dispatchAt}` }
          : { ...base, reason: 'released', note: `no longer wanted by ${a.agent}` },
      );
  }
  // Rejected wants that were never in force and changed nothing are not news; they ride along when something else changes.
  const decisionId = decisionIdOf(signal);
  const startedNew = acted.filter((w) => !byId.has(planKey(w)));
  if (acted.length === 0 && changes.stopped.length === 0) return { decision: null, plan };
  // Releases and housekeeping are not urgent (an action only stays a little longer, a worn pack waits
  // a little): alone, they wait for the station's round (releaseEveryS after its last change).
  // The end of a price deferral is not housekeeping: the price has dropped and charging should resume now.
  const onlyRoundWork = acted.every(isRoundWork) && changes.stopped.every((x) => x.reason === 'released' && x.action !== 'defer_charging');
  if (onlyRoundWork && plan.changedAt !== null && seconds(plan.changedAt, now) < policy.releaseEveryS) return { decision: null, plan };

  const risk = assessRisk(acted, [...acted, ...flags], conflicts.length, state, policy);
  // Safety acts first: isolating or derating a charger never waits for an operator.
  const needsOperator = (p: Proposal) => risk.approval && p.agent !== 'mechanic';
  const toAction = (w: Proposal, since: string): PlanAction => ({
    id: planKey(w),
    agent: w.agent,
    action: w.action,
    target: targetOf(w),
    params: w.params,
    urgency: w.urgency,
    confidence: w.confidence,
    claims: w.claims,
    since,
    updatedAt: now,
    until: isJob(w)
      ? new Date(Date.parse(now) + policy.jobTtlS * 1000).toISOString()
      : typeof w.params.etaAt === 'string'
        ? w.params.etaAt
        : null,
    status: needsOperator(w) ? 'pending_approval' : 'active',
    decisionId,
  });
  const next = new Map(byId);
  for (const s of changes.stopped) next.delete(s.id);
  for (const w of acted) next.set(planKey(w), toAction(w, byId.get(planKey(w))?.since ?? now));
  rederive(next, byId, changes, state);
  changes.started = startedNew.map((w) => next.get(planKey(w))!);
  const actions = [...next.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  // The arbitration's merge step becomes the plan step: what the decision does to the plan.
  const steps: TrailStep[] = [
    ...trail.filter((t) => t.rule !== 'merge'),
    {
      rule: 'merge',
      note: `plan: ${changes.started.length} started, ${changes.adjusted.length} adjusted, ${changes.stopped.length} stopped; ${actions.length} in force`,
    },
  ];
  const decision: Decision = {
    id: decisionId,
    stationId: signal.stationId,
    signalId: signal.id,
    signalType: signal.type,
    ts: now,
    actions: acted,
    rejected,
    conflicts,
    trail: steps,
    risk: { level: risk.level, score: risk.score, reasons: risk.reasons },
    status: acted.some(needsOperator) ? 'pending_approval' : 'executed',
    stateVersion: state.version,
    policyVersion: ctx.policyVersion,
    changes,
    nearby: ctx.nearby.map((n): NearbyStation => ({ ...n })),
  };
  return { decision, plan: { actions, declined: plan.declined.filter((d) => d.until > now), changedAt: now } };
}
