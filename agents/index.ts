// The agent pipeline for one signal (pure `decide`) and the thin runner that
// puts it on the bus. Everything here is synchronous: a decision is made in
// the same tick the signal arrives.
import { listen, type EventBus } from '../eventBus/index.js';
import type {
  AgentContext,
  AgentName,
  Decision,
  PlanAction,
  Proposal,
  Signal,
  StationPlan,
  StationState,
  SupervisorPolicy,
} from '../eventBus/types.js';
import * as auditor from './AuditorAgent.js';
import * as energy from './EnergyAgent.js';
import * as logistics from './LogisticsAgent.js';
import * as mechanic from './MechanicAgent.js';
import { settle } from './plan.js';
import * as traffic from './TrafficAgent.js';

type Evaluate = (state: StationState, signal: Signal, ctx: AgentContext) => Proposal[];

const AGENTS: readonly (readonly [AgentName, Evaluate])[] = [
  ['traffic', traffic.evaluate],
  ['logistics', logistics.evaluate],
  ['mechanic', mechanic.evaluate],
  ['energy', energy.evaluate],
  ['auditor', auditor.evaluate],
];

/** Level-3 isolation, its ticket and a quarantine end only by an operator's word, never by themselves. */
export function isSticky(a: PlanAction): boolean {
  return (
    a.action === 'take_charger_offline' ||
    a.action === 'quarantine_battery' ||
    (a.action === 'escalate_ticket' && Number(a.params.level) === 3)
  );
}

/**
 * What every enabled agent wants in force (the auditor's vetoes and flags included), settled by the
 * supervisor against the station's plan. `state` is the station state with `signal` already applied
 * (as 'signal.received' carries it); `ctx.assessment` must already hold `assess(state, signal, thresholds)`.
 * `decision` is null when the plan does not change, and when an operator's answer changed it
 * (`answered`: the decision answered; `plan` is then the plan to put in force).
 */
export function decide(
  state: StationState,
  signal: Signal,
  ctx: AgentContext,
  policy: SupervisorPolicy,
): { proposals: Proposal[]; decision: Decision | null; plan: StationPlan; answered?: string } {
  const proposals: Proposal[] = [];
  for (const [name, evaluate] of AGENTS) {
    if (!ctx.disabled.includes(name)) proposals.push(...evaluate(state, signal, ctx));
  }
  if (!ctx.disabled.includes('auditor')) proposals.push(...auditor.review(proposals, state, ctx));
  return { proposals, ...settle(proposals, state, policy, signal, ctx, { sticky: isSticky }) };
}

export interface AgentRunnerDeps {
  contextFor(signal: Signal, state: StationState): AgentContext;
  policy(): SupervisorPolicy;
  onError(err: unknown): void;
}

/**
 * Subscribes the pipeline to 'signal.received'. Emits 'agent.proposed' when
 * any agent proposed something, 'decision.made' when the supervisor decided, and
 * 'approval.settled' when an operator's answer changed the plan; a signal that
 * draws no proposal emits nothing. Returns the unsubscribe.
 */
export function attachAgents(bus: EventBus, deps: AgentRunnerDeps): () => void {
  return listen(
    bus,
    'signal.received',
    'agents',
    ({ signal, state, receivedAt }) => {
      const { proposals, decision, plan, answered } = decide(state, signal, deps.contextFor(signal, state), deps.policy());
      if (proposals.length > 0) bus.emit('agent.proposed', { signal, agents: proposals.map((p) => p.agent), receivedAt });
      if (decision) bus.emit('decision.made', { decision, plan, state, receivedAt });
      else if (answered) bus.emit('approval.settled', { stationId: signal.stationId, decisionId: answered, plan, signalId: signal.id });
    },
    (_where, err) => deps.onError(err),
  );
}

export { assess } from './AuditorAgent.js';
export { arbitrate } from './SupervisorAgent.js';
export { emptyPlan, inForce, isDispatched, planKey, settle } from './plan.js';
export { answerPlan, waitingOn } from './operatorSignals.js';
export { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from './thresholds.js';
export { decisionIdOf, hourKey } from './common.js';
export { servicePerMin, stationWaitMin } from './predictors/wait.js';
export { DEFAULT_PACK_CHARGE_MINUTES, stockView } from './predictors/stockout.js';
export { HYSTERESIS_PAIRS } from './thresholds.js';
export { foldDemand, projectedAverageKW } from './predictors/demand.js';
