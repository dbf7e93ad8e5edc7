// The agent pipeline for one signal (pure `decide`) and the thin runner that
// puts it on the bus. Everything here is synchronous: a decision is made in
// the same tick the signal arrives.
import { listen, type EventBus } from '../eventBus/index.js';
import type { AgentContext, AgentName, Decision, Proposal, Signal, StationState, SupervisorPolicy } from '../eventBus/types.js';
import * as auditor from './AuditorAgent.js';
import * as energy from './EnergyAgent.js';
import * as logistics from './LogisticsAgent.js';
import * as mechanic from './MechanicAgent.js';
import { resolve } from './SupervisorAgent.js';
import * as traffic from './TrafficAgent.js';

type Evaluate = (state: StationState, signal: Signal, ctx: AgentContext) => Proposal[];

const AGENTS: readonly (readonly [AgentName, Evaluate])[] = [
  ['traffic', traffic.evaluate],
  ['logistics', logistics.evaluate],
  ['mechanic', mechanic.evaluate],
  ['energy', energy.evaluate],
  ['auditor', auditor.evaluate],
];

/**
 * Proposals of every enabled agent, the auditor's vetoes on them (when the
 * auditor is enabled), and the supervisor's decision. `state` is the station
 * state with `signal` already applied (as 'signal.received' carries it);
 * `ctx.assessment` must already hold `assess(state, signal, thresholds)`,
 * which works on that post-fold state too.
 */
export function decide(
  state: StationState,
  signal: Signal,
  ctx: AgentContext,
  policy: SupervisorPolicy,
): { proposals: Proposal[]; decision: Decision | null } {
  const proposals: Proposal[] = [];
  for (const [name, evaluate] of AGENTS) {
    if (!ctx.disabled.includes(name)) proposals.push(...evaluate(state, signal, ctx));
  }
  if (!ctx.disabled.includes('auditor')) proposals.push(...auditor.review(proposals, state, ctx));
  return { proposals, decision: resolve(proposals, state, policy, signal) };
}

export interface AgentRunnerDeps {
  contextFor(signal: Signal, state: StationState): AgentContext;
  policy(): SupervisorPolicy;
  onError(err: unknown): void;
}

/**
 * Subscribes the pipeline to 'signal.received'. Emits 'agent.proposed' when
 * any agent proposed something and 'decision.made' when the supervisor
 * decided; a signal that draws no proposal emits nothing. Returns the unsubscribe.
 */
export function attachAgents(bus: EventBus, deps: AgentRunnerDeps): () => void {
  return listen(
    bus,
    'signal.received',
    'agents',
    ({ signal, state, receivedAt }) => {
      const { proposals, decision } = decide(state, signal, deps.contextFor(signal, state), deps.policy());
      if (proposals.length > 0) bus.emit('agent.proposed', { signal, proposals, receivedAt });
      if (decision) bus.emit('decision.made', { decision, state, receivedAt });
    },
    (_where, err) => deps.onError(err),
  );
}

export { assess } from './AuditorAgent.js';
export { resolve } from './SupervisorAgent.js';
export { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from './thresholds.js';
export { hourKey } from './common.js';
export { stationWaitMin } from './predictors/wait.js';
