// A decision that only stops actions (an operator's release, a device's refusal): they leave the plan,
// the setpoints of what stays are reshaped, nothing starts, and the decision says so in one trail step.
import type {
  AgentContext,
  Decision,
  NearbyStation,
  PlanAction,
  PlanChanges,
  Signal,
  StationState,
  StoppedAction,
} from '../eventBus/types.js';
import { decisionIdOf } from './common.js';
import { rederive } from './setpoints.js';

export function stopOnlyDecision(
  state: StationState,
  signal: Signal,
  ctx: Pick<AgentContext, 'policyVersion' | 'nearby'>,
  stopped: StoppedAction[],
  /** The trail's note and the risk, once it is known what was adjusted and what stays in force. */
  describe: (changes: PlanChanges, inForce: number) => { note: string; risk: Decision['risk'] },
): { decision: Decision; actions: PlanAction[] } {
  const byId = new Map(state.plan.actions.map((a) => [a.id, a]));
  const next = new Map(byId);
  for (const s of stopped) next.delete(s.id);
  const changes: PlanChanges = { started: [], adjusted: [], stopped };
  rederive(next, byId, changes, state);
  const actions = [...next.values()];
  const { note, risk } = describe(changes, actions.length);
  const decision: Decision = {
    id: decisionIdOf(signal),
    stationId: signal.stationId,
    signalId: signal.id,
    signalType: signal.type,
    ts: signal.ts,
    actions: [],
    rejected: [],
    conflicts: [],
    trail: [{ rule: 'merge', note }],
    risk,
    status: 'executed',
    stateVersion: state.version,
    policyVersion: ctx.policyVersion,
    changes,
    nearby: ctx.nearby.map((n): NearbyStation => ({ ...n })),
  };
  return { decision, actions };
}
