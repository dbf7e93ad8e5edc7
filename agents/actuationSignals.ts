// What a device's refusal does to the station plan (`settle` hands `actuation_outcome` signals here): an
// action the equipment did not carry out (rejected, failed, no answer in time) is not in force, so it
// leaves the plan as `failed`, in a decision of its own, and its kind is held back like a declined one
// (declineHoldS) so the agents do not hand the same refused command again at once. The signal comes
// through the signal log, so a replay remakes it. Pure: time from the signal only.
import type { AgentContext, SignalOf, StationState, StoppedAction, SupervisorPolicy } from '../eventBus/types.js';
import type { Settlement } from './plan.js';
import { sameParams } from './setpoints.js';
import { stopOnlyDecision } from './stopDecision.js';

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
  const now = signal.ts;
  const until = new Date(Date.parse(now) + policy.declineHoldS * 1000).toISOString();
  const { decision, actions } = stopOnlyDecision(state, signal, ctx, stopped, (changes, inForce) => ({
    note: `plan: 0 started, ${changes.adjusted.length} adjusted, 1 stopped (${a.id} not carried out: ${why}); ${inForce} in force; held back until ${until}`,
    risk: { level: 'medium', score: 0.5, reasons: [`${a.id} not carried out: ${why}`] },
  }));
  const declined = [...plan.declined.filter((d) => d.id !== a.id && d.until > now), { id: a.id, decisionId: a.decisionId, until }].sort(
    (x, y) => (x.id < y.id ? -1 : 1),
  );
  return { decision, plan: { actions, declined, changedAt: now } };
}
