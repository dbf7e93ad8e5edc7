// What a device's refusal does to the station plan (`settle` hands `actuation_outcome` signals here): an
// action the equipment did not carry out (rejected, failed, no answer in time) is not in force, so it
// leaves the plan as `failed`, in a decision of its own, and its kind is held back like a declined one
// (declineHoldS) so the agents do not hand the same refused command again at once. The signal comes
// through the signal log, so a replay remakes it. Pure: time from the signal only.
import type {
  AgentContext,
  Decision,
  NearbyStation,
  PlanChanges,
  SignalOf,
  StationState,
  StoppedAction,
  SupervisorPolicy,
} from '../eventBus/types.js';
import type { Settlement } from './plan.js';
import { decisionIdOf } from './common.js';
import { rederive, sameParams } from './setpoints.js';

export function settleActuation(
  state: StationState,
  signal: SignalOf<'actuation_outcome'>,
  ctx: Pick<AgentContext, 'policyVersion' | 'nearby'>,
  policy: Pick<SupervisorPolicy, 'declineHoldS'>,
): Settlement {
  const plan = state.plan;
  const { actionId, kind, params, outcome, detail } = signal.payload;
  const a = plan.actions.find((x) => x.id === actionId);
  // Only the version the device refused: a later adjustment was handed again and gets its own answer.
  if (!a || a.status !== 'active' || !sameParams(a.params, params)) return { decision: null, plan };
  const why = `the ${kind === 'start' ? 'command' : 'new setting'} was ${outcome === 'timeout' ? 'not answered in time' : outcome}${detail ? `: ${detail}` : ''}`;
  const stopped: StoppedAction[] = [{ id: a.id, agent: a.agent, action: a.action, target: a.target, reason: 'failed', note: why }];
  const byId = new Map(plan.actions.map((x) => [x.id, x]));
  const next = new Map(byId);
  next.delete(a.id);
  const changes: PlanChanges = { started: [], adjusted: [], stopped };
  rederive(next, byId, changes, state);
  const actions = [...next.values()];
  const now = signal.ts;
  const until = new Date(Date.parse(now) + policy.declineHoldS * 1000).toISOString();
  const decision: Decision = {
    id: decisionIdOf(signal),
    stationId: signal.stationId,
    signalId: signal.id,
    signalType: signal.type,
    ts: now,
    actions: [],
    rejected: [],
    conflicts: [],
    trail: [
      {
        rule: 'merge',
        note: `plan: 0 started, ${changes.adjusted.length} adjusted, 1 stopped (${a.id} not carried out: ${why}); ${actions.length} in force; held back until ${until}`,
      },
    ],
    risk: { level: 'medium', score: 0.5, reasons: [`${a.id} not carried out: ${why}`] },
    status: 'executed',
    stateVersion: state.version,
    policyVersion: ctx.policyVersion,
    changes,
    nearby: ctx.nearby.map((n): NearbyStation => ({ ...n })),
  };
  const declined = [...plan.declined.filter((d) => d.id !== a.id && d.until > now), { id: a.id, decisionId: a.decisionId, until }].sort(
    (x, y) => (x.id < y.id ? -1 : 1),
  );
  return { decision, plan: { actions, declined, changedAt: now } };
}
