// The typed in-process bus. One event map names every event and its payload;
// a Redis-Streams transport can later implement the same EventBus interface.
import { EventEmitter } from 'eventemitter3';
import type {
  ActionOutcome,
  AgentName,
  AnchorInfo,
  Approval,
  Decision,
  DecisionRecord,
  Explanation,
  Signal,
  StationPlan,
  StationState,
} from './types.js';

export interface SignalReceived {
  signal: Signal;
  state: StationState;
  /** Monotonic receive time in ms (performance.now()), for latency metrics only; never used to decide. */
  receivedAt: number;
}

/**
 * Who proposed something on a signal, one entry per proposal. The proposals themselves stay with the
 * decider: the ones that count are in the decision (its actions and the rejected).
 */
export interface AgentProposed {
  signal: Signal;
  agents: AgentName[];
  receivedAt: number;
}

export interface DecisionMade {
  decision: Decision;
  /** The station plan after the decision: the pipeline stores it with the station state. */
  plan: StationPlan;
  /** The station state the decision was made on, so listeners need not remember an earlier event. */
  state: StationState;
  receivedAt: number;
}

export interface DecisionLogged {
  record: DecisionRecord;
  /** The station state the decision was made on (see DecisionMade). */
  state: StationState;
  receivedAt: number;
}

export interface StationUpdated {
  state: StationState;
  signalId: string;
  receivedAt: number;
}

export interface DecisionExplained {
  id: string;
  stationId: string;
  explanation: Explanation;
}

export interface DecisionAnchored {
  id: string;
  stationId: string;
  anchor: AnchorInfo;
  /** Monotonic time (performance.now()) the decision was logged, for the anchoring latency metric. */
  loggedAt?: number;
}

/** A Merkle batch changed state: stored and queued for the chain, anchored, or refused by the contract. */
export interface AnchorBatchChanged {
  batchId: number;
  status: 'queued' | 'anchored' | 'failed';
  root: string;
  leafCount: number;
  reason?: string;
  txHash?: string;
  blockNumber?: number;
}

export interface DecisionApproved {
  id: string;
  stationId: string;
  approval: Approval;
}

/** An actuator answered a command a decision handed over (or the wait for it ended). */
export interface DecisionOutcome {
  /** The decision's id. */
  id: string;
  stationId: string;
  outcome: ActionOutcome;
}

/** What became of asking the LLM to explain a decision (accepted, cache_hit, rejected, or why it was unavailable). */
export interface ExplanationOutcome {
  id: string;
  stationId: string;
  result: string;
  reasons?: string[];
}

/**
 * An operator's answer (an `operator_answer` signal) changed a station's plan without a decision:
 * the pipeline puts `plan` in force, as it does a decision's.
 */
export interface ApprovalSettled {
  stationId: string;
  /** The decision answered. */
  decisionId: string;
  plan: StationPlan;
  /** The `operator_answer` signal that carried the answer. */
  signalId: string;
}

/** A station's plan changed: by a decision, or by an operator's answer to one. */
export interface PlanUpdated {
  stationId: string;
  plan: StationPlan;
  /** The decision that changed it, or that was answered. */
  decisionId: string;
  cause: 'decision' | 'approval';
}

export interface BusEvents {
  'signal.received': [SignalReceived];
  'station.updated': [StationUpdated];
  'agent.proposed': [AgentProposed];
  'decision.made': [DecisionMade];
  'approval.settled': [ApprovalSettled];
  'plan.updated': [PlanUpdated];
  'decision.logged': [DecisionLogged];
  'decision.explained': [DecisionExplained];
  'decision.anchored': [DecisionAnchored];
  'anchor.batch': [AnchorBatchChanged];
  'decision.approved': [DecisionApproved];
  'decision.outcome': [DecisionOutcome];
  'explanation.outcome': [ExplanationOutcome];
}

export type BusEventName = keyof BusEvents;
export type ArgOf<E extends BusEventName> = BusEvents[E][0];

export type EventBus = EventEmitter<BusEvents>;

export function createEventBus(): EventBus {
  return new EventEmitter<BusEvents>();
}

/** Where a listener's failure is reported (logged and counted as copilot_errors_total{where}). */
export type ListenerErrorSink = (where: string, err: unknown) => void;

/**
 * Subscribes `handler` so that its throw or rejection is reported under `where` and never reaches
 * the emitter: eventemitter3 calls listeners in a loop, so one throwing listener would otherwise
 * skip every listener after it and unwind into whoever emitted. Returns the unsubscribe.
 */
export function listen<E extends BusEventName>(
  bus: EventBus,
  event: E,
  where: string,
  handler: (payload: ArgOf<E>) => unknown,
  report: ListenerErrorSink,
): () => void {
  const isolated = (payload: ArgOf<E>): void => {
    try {
      const out = handler(payload);
      if (out instanceof Promise) out.catch((err: unknown) => report(where, err));
    } catch (err) {
      report(where, err);
    }
  };
  // eventemitter3's listener type is a rest-args function over the event's tuple.
  bus.on(event, isolated as never);
  return () => {
    bus.off(event, isolated as never);
  };
}
