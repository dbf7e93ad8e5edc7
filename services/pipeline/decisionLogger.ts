// Turns a supervisor decision into its record: canonical JSON (RFC 8785),
// SHA-256, a template explanation; stores it with batched inserts and publishes it.
import { listen, type EventBus } from '../../eventBus/index.js';
import type { Approval, Decision, DecisionRecord, Explanation, StationState } from '../../eventBus/types.js';
import type { DecisionLogDoc } from '../../models/index.js';
import type { BatchWriter } from '../platform/index.js';
import type { Metrics } from '../platform/index.js';
import type { LeafInput } from '../audit/index.js';
import { canonicalDecision, explanationHash } from '../audit/index.js';

/**
 * The stored form: the canonical text as one string (exactly the hashed bytes, and one cheap BSON
 * string instead of a deep document), plus the fields queries filter on.
 */
export function toDoc(r: DecisionRecord, canonical: string, seqs: { explanation?: number } = {}): DecisionLogDoc {
  return {
    decisionId: r.id,
    stationId: r.stationId,
    signalId: r.signalId,
    ts: r.ts,
    status: r.status,
    riskLevel: r.risk.level,
    canonical,
    agents: [...new Set(r.actions.map((a) => a.agent))].sort(),
    actionNames: [...new Set(r.actions.map((a) => a.action))].sort(),
    hash: r.hash,
    explanation: r.explanation as unknown as Record<string, unknown>,
    anchorSeq: r.anchor.seq,
    explanationSeq: seqs.explanation,
    createdAt: new Date(r.createdAt),
  };
}

export function fromDoc(d: DecisionLogDoc): DecisionRecord {
  const content = JSON.parse(d.canonical) as Decision;
  return {
    ...content,
    hash: d.hash,
    explanation: d.explanation as unknown as Explanation,
    // Where the record stands on chain is the anchoring service's to say (see DecisionQuery).
    anchor: { status: 'pending', seq: d.anchorSeq },
    ...(d.approval ? { approval: d.approval as unknown as Approval } : {}),
    createdAt: new Date(d.createdAt).toISOString(),
  };
}

export interface DecisionLoggerDeps {
  bus: EventBus;
  writer: BatchWriter<DecisionLogDoc>;
  metrics: Metrics;
  /** Gives the decision's and the explanation's leaves their anchoring sequence numbers. */
  anchoring: { enqueue(leaves: LeafInput[], loggedAt?: number): number[] };
  /** The deterministic explanation every record is born with (the LLM may replace it later). */
  template: { promptVersion: string; explain(decision: Decision): string };
  onError(err: unknown): void;
}

export class DecisionLogger {
  /**
   * Records published but not yet inserted, so a lookup right after `decision:created` finds them.
   * Bounded by the decision writer's backlog: an entry leaves once its insert settles, stored or not.
   */
  private readonly unflushed = new Map<string, DecisionLogDoc>();
  private readonly storing = new Map<string, Promise<void>>();
  /**
   * Decisions already in the log, made again while a stream partition is replayed after a takeover:
   * deterministic ids make them the same records, so they are not stored, anchored or announced twice.
   * Set just before their signals are decided again, and emptied as they come.
   */
  private readonly recorded = new Set<string>();

  constructor(private readonly deps: DecisionLoggerDeps) {}

  attach(): void {
    listen(
      this.deps.bus,
      'decision.made',
      'decisionLogger',
      ({ decision, state, receivedAt }) => this.log(decision, state, receivedAt),
      (_where, err) => this.deps.onError(err),
    );
  }

  peek(id: string): DecisionLogDoc | undefined {
    return this.unflushed.get(id);
  }

  /** Resolves once the record is in the database (at once if it already is). */
  async stored(id: string): Promise<void> {
    await this.storing.get(id);
  }

  /** Resolves once every record logged so far is in the database (or failed to be). */
  async settled(): Promise<void> {
    await Promise.all(this.storing.values());
  }

  /** These decisions are already stored: when they are made again (a replay), they are not logged again. */
  skipRecorded(ids: Iterable<string>): void {
    for (const id of ids) this.recorded.add(id);
  }

  /** Forgets what `skipRecorded` was told and did not meet (a replay that made other decisions). */
  clearRecorded(): void {
    this.recorded.clear();
  }

  log(decision: Decision, state: StationState, receivedAt: number): DecisionRecord | null {
    if (this.recorded.delete(decision.id)) return null;
    // One serialisation: the canonical text is hashed, and parsing it back gives exactly what the
    // store and any client will see (no undefined, no prototypes), so their hash is the same.
    const { canonical, hash } = canonicalDecision(decision);
    const content = JSON.parse(canonical) as Decision;
    // The agent's own key order reads best; the figures are the same as in the canonical content.
    const text = this.deps.template.explain(decision);
    const partial = { text, source: 'template' as const, promptVersion: this.deps.template.promptVersion };
    const explanation: Explanation = { ...partial, hash: explanationHash(content.id, partial) };
    const [seq, explanationSeq] = this.deps.anchoring.enqueue(
      [
        { kind: 'decision', refId: content.id, hash, stationId: content.stationId },
        { kind: 'explanation', refId: content.id, hash: explanation.hash, stationId: content.stationId },
      ],
      receivedAt,
    );
    const anchor = { status: 'pending' as const, seq, reason: 'waiting for its batch to close' };
    const record: DecisionRecord = { ...content, hash, explanation, anchor, createdAt: new Date().toISOString() };
    const doc = toDoc(record, canonical, { explanation: explanationSeq });
    this.unflushed.set(record.id, doc);
    // A record that failed to store is forgotten too (it would otherwise stay for the life of the process).
    const stored = this.deps.writer
      .append([doc])
      .catch((err: unknown) => this.deps.onError(err))
      .finally(() => {
        this.unflushed.delete(record.id);
        this.storing.delete(record.id);
      });
    this.storing.set(record.id, stored);
    for (const a of record.actions) this.deps.metrics.decisions.inc({ agent: a.agent, action: a.action, status: record.status });
    this.deps.metrics.pipelineLatency.observe((performance.now() - receivedAt) / 1000);
    this.deps.bus.emit('decision.logged', { record, state, receivedAt });
    return record;
  }
}
