// Prometheus metrics, one registry per app so tests can run several apps in one process.
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';

export interface Metrics {
  registry: Registry;
  signalsAccepted: Counter<'type'>;
  signalsRejected: Counter<'reason'>;
  signalsDuplicate: Counter;
  decisions: Counter<'agent' | 'action' | 'status'>;
  pipelineLatency: Histogram;
  /**
   * Where a request of signals spends the time before its answer, by phase: `queued` (received to
   * taken up), `checked` (validated and claimed against the dedupe window), `decided` (folded and
   * decided), `journaled` (waiting for the signal log's commit). The ack goes out after the last.
   */
  ingestPhase: Histogram<'phase'>;
  /** Write backlogs read at scrape time: register a source per batched log. */
  backlogSources: Map<string, () => number>;
  errors: Counter<'where'>;
  anchorBatches: Counter<'result'>;
  /** LLM explanations by outcome: accepted, cache_hit, rejected (grounding), dropped, or why the LLM was unavailable. */
  llmExplanations: Counter<'result'>;
  llmLatency: Histogram<'purpose'>;
  anchorLatency: Histogram;
  anchorGas: Counter;
  /** Commands handed to the actuator, by what it answered. */
  actuationOutcomes: Counter<'actuator' | 'action' | 'outcome'>;
  actuationLatency: Histogram<'actuator'>;
  /** Leaves waiting to be anchored (open batch + queued batches), read at scrape time. */
  anchorBacklog: { read: () => number };
  /** OCPP charge points connected to this instance, by protocol, read at scrape time. */
  ocppConnected: { read: () => Record<string, number> };
  /** OCPP messages from charge points, by protocol, action and how they were answered. */
  ocppMessages: Counter<'protocol' | 'action' | 'result'>;
  /** OCPP commands sent to charge points: from sending to the answer, by action. */
  ocppCallLatency: Histogram<'action' | 'result'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const backlogSources = new Map<string, () => number>();
  new Gauge({
    name: 'copilot_write_backlog',
    help: 'Documents waiting for a batched insert',
    labelNames: ['log'],
    registers: [registry],
    collect() {
      for (const [log, read] of backlogSources) this.set({ log }, read());
    },
  });
  const anchorBacklog = { read: () => 0 };
  new Gauge({
    name: 'copilot_anchor_backlog_leaves',
    help: 'Leaves (decisions, explanations) not yet anchored on chain',
    registers: [registry],
    collect() {
      this.set(anchorBacklog.read());
    },
  });
  const ocppConnected = { read: (): Record<string, number> => ({}) };
  new Gauge({
    name: 'copilot_ocpp_connected',
    help: 'OCPP charge points connected to this instance',
    labelNames: ['protocol'],
    registers: [registry],
    collect() {
      for (const [protocol, n] of Object.entries(ocppConnected.read())) this.set({ protocol }, n);
    },
  });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  return {
    registry,
    signalsAccepted: new Counter({
      name: 'copilot_signals_accepted_total',
      help: 'Signals accepted, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    signalsRejected: new Counter({
      name: 'copilot_signals_rejected_total',
      help: 'Signals rejected at the edge, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    signalsDuplicate: new Counter({
      name: 'copilot_signals_duplicate_total',
      help: 'Signals answered as duplicates',
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'copilot_decisions_total',
      help: 'Actions decided, by agent, action and decision status',
      labelNames: ['agent', 'action', 'status'],
      registers: [registry],
    }),
    pipelineLatency: new Histogram({
      name: 'copilot_pipeline_latency_seconds',
      help: 'From signal receipt to the decision being hashed and published',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    ingestPhase: new Histogram({
      name: 'copilot_ingest_phase_seconds',
      help: 'Time a request of signals spends in each phase before it is answered (queued, checked, decided, journaled)',
      labelNames: ['phase'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    backlogSources,
    errors: new Counter({
      name: 'copilot_errors_total',
      help: 'Errors caught in background work',
      labelNames: ['where'],
      registers: [registry],
    }),
    anchorBatches: new Counter({
      name: 'copilot_anchor_batches_total',
      help: 'Merkle batches by outcome (anchored, failed, reanchored)',
      labelNames: ['result'],
      registers: [registry],
    }),
    anchorLatency: new Histogram({
      name: 'copilot_anchor_latency_seconds',
      help: 'From a decision being logged to its batch being mined',
      buckets: [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60],
      registers: [registry],
    }),
    llmExplanations: new Counter({
      name: 'copilot_llm_explanations_total',
      help: 'LLM explanations by outcome',
      labelNames: ['result'],
      registers: [registry],
    }),
    llmLatency: new Histogram({
      name: 'copilot_llm_latency_seconds',
      help: 'LLM completion latency, by purpose',
      labelNames: ['purpose'],
      buckets: [0.1, 0.2, 0.3, 0.5, 1, 2, 4, 8, 15],
      registers: [registry],
    }),
    anchorGas: new Counter({ name: 'copilot_anchor_gas_total', help: 'Gas used by anchoring transactions', registers: [registry] }),
    actuationOutcomes: new Counter({
      name: 'copilot_actuation_outcomes_total',
      help: 'Device commands handed to the actuator, by its answer (accepted, rejected, failed, timeout)',
      labelNames: ['actuator', 'action', 'outcome'],
      registers: [registry],
    }),
    actuationLatency: new Histogram({
      name: 'copilot_actuation_latency_seconds',
      help: 'From handing a plan change to the actuator to its answer',
      labelNames: ['actuator'],
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    anchorBacklog,
    ocppConnected,
    ocppMessages: new Counter({
      name: 'copilot_ocpp_messages_total',
      help: 'OCPP messages from charge points, by protocol, action and answer (ok, duplicate, refused, rate_limited, invalid, error)',
      labelNames: ['protocol', 'action', 'result'],
      registers: [registry],
    }),
    ocppCallLatency: new Histogram({
      name: 'copilot_ocpp_call_latency_seconds',
      help: 'OCPP commands to charge points, from sending to the answer, by action and answer',
      labelNames: ['action', 'result'],
      buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
  };
}
