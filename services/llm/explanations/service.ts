// LLM explanations, asked for in the background: every decision has its template explanation at
// once; when an LLM is configured and answers in time, its text replaces the template only if it
// passes the grounding check. The pipeline never waits for it.
import type { Logger } from 'pino';
import { listen, type EventBus } from '../../../eventBus/index.js';
import type { DecisionRecord, Explanation } from '../../../eventBus/types.js';
import type { Models } from '../../../models/index.js';
import type { AnchoringService } from '../../audit/index.js';
import type { DecisionLogger } from '../../pipeline/index.js';
import { explanationHash } from '../../audit/index.js';
import type { Metrics } from '../../platform/index.js';
import type { StationStore } from '../../pipeline/index.js';
import { LlmUnavailableError, type LlmClient } from '../types.js';
import { ExplanationCache, fill, situationKey, toTemplate, type CachedText } from './cache.js';
import { checkGrounding } from './grounding.js';
import { explainMessages, loadPrompt } from './prompt.js';

export interface ExplainabilityDeps {
  bus: EventBus;
  models: Models;
  llm: LlmClient;
  stations: StationStore;
  decisions: DecisionLogger;
  anchoring: AnchoringService;
  metrics: Metrics;
  logger: Logger;
  onError(err: unknown): void;
}

/** Accepted explanations waiting to be written; beyond this, new ones keep the template (counted). */
const MAX_PENDING_WRITES = 200;

export class ExplainabilityService {
  private readonly prompt = loadPrompt('explain.v1');
  readonly cache = new ExplanationCache(2000);
  private pendingWrites = 0;
  /** Situations being asked about now: the same situation waits for that answer instead of a second call. */
  private readonly inflight = new Map<string, Promise<CachedText | null>>();
  private knownIds: string[] = [];
  private knownFor = -1;

  constructor(private readonly deps: ExplainabilityDeps) {}

  get promptVersion(): string {
    return this.prompt.version;
  }

  attach(): void {
    if (!this.deps.llm.configured) return;
    listen(
      this.deps.bus,
      'decision.logged',
      'explainability',
      ({ record }) => this.onDecision(record),
      (_where, err) => this.deps.onError(err),
    );
  }

  /** Station ids and names the text may not name unless the decision does; refreshed when stations change. */
  private known(): string[] {
    const s = this.deps.stations;
    if (this.knownFor !== s.size) {
      this.knownIds = s.list().flatMap((st) => [st.id, st.name]);
      this.knownFor = s.size;
    }
    return this.knownIds;
  }

  private onDecision(r: DecisionRecord): void {
    // An operator's release keeps its template: the prompt carries no plan changes, so an LLM could not say who returned what.
    if (r.signalType === 'operator_release') return;
    const key = situationKey(r, this.prompt.version);
    const cached = this.cache.get(key);
    if (cached && this.fromCache(r, cached)) return;
    const asking = this.inflight.get(key);
    if (asking) {
      void asking.then((c) => {
        if (!c || !this.fromCache(r, c)) void this.ask(r, key);
      });
      return;
    }
    // Refused anyway (breaker open, queue full): say so now instead of building a request for nothing.
    const refused = this.deps.llm.refusal('explain');
    if (refused) {
      this.outcome(r, refused);
      return;
    }
    const answer = this.ask(r, key);
    this.inflight.set(key, answer);
    void answer.finally(() => this.inflight.delete(key));
  }

  /** Uses a cached text when it fills with this decision's figures and passes the check. */
  private fromCache(r: DecisionRecord, c: CachedText): boolean {
    const text = fill(c, r);
    if (text === null || !checkGrounding(text, r, this.known()).ok) return false;
    void this.accept(r, text, c.model, 'cache_hit');
    return true;
  }

  /** Asks the LLM; resolves with what was cached (null when nothing was). */
  private async ask(r: DecisionRecord, key: string): Promise<CachedText | null> {
    const m = this.deps.metrics;
    try {
      const station = this.deps.stations.get(r.stationId);
      const c = await this.deps.llm.complete({
        purpose: 'explain',
        messages: explainMessages(this.prompt, r, station?.name ?? null),
        maxTokens: 220,
        temperature: 0.2,
      });
      m.llmLatency.observe({ purpose: 'explain' }, c.latencyMs / 1000);
      const text = (c.content ?? '').trim();
      const g = checkGrounding(text, r, this.known());
      if (!g.ok) {
        this.deps.logger.info(
          { decisionId: r.id, reasons: g.reasons },
          'LLM explanation rejected by the grounding check; the template stays',
        );
        this.outcome(r, 'rejected', g.reasons);
        return null;
      }
      const template = toTemplate(text, g, c.model);
      this.cache.set(key, template);
      await this.accept(r, text, c.model, 'accepted');
      return template;
    } catch (err) {
      if (err instanceof LlmUnavailableError) this.outcome(r, err.reason);
      else {
        this.deps.onError(err);
        this.outcome(r, 'error');
      }
      return null;
    }
  }

  private outcome(r: DecisionRecord, result: string, reasons?: string[]): void {
    this.deps.metrics.llmExplanations.inc({ result });
    this.deps.bus.emit('explanation.outcome', { id: r.id, stationId: r.stationId, result, ...(reasons ? { reasons } : {}) });
  }

  private async accept(r: DecisionRecord, text: string, model: string, result: 'accepted' | 'cache_hit'): Promise<void> {
    if (this.pendingWrites >= MAX_PENDING_WRITES) {
      this.outcome(r, 'dropped');
      return;
    }
    this.pendingWrites++;
    try {
      const partial = { text, source: 'llm' as const, model, promptVersion: this.prompt.version };
      const explanation: Explanation = { ...partial, hash: explanationHash(r.id, partial) };
      await this.deps.decisions.stored(r.id);
      // A new text is a new leaf: the template's leaf stays anchored, so an edit of either is detectable.
      const [seq] = this.deps.anchoring.enqueue([{ kind: 'explanation', refId: r.id, hash: explanation.hash, stationId: r.stationId }]);
      await this.deps.models.DecisionLog.updateOne({ decisionId: r.id }, { $set: { explanation, explanationSeq: seq } });
      this.deps.bus.emit('decision.explained', { id: r.id, stationId: r.stationId, explanation });
      this.outcome(r, result);
    } catch (err) {
      this.deps.onError(err);
      this.outcome(r, 'error');
    } finally {
      this.pendingWrites--;
    }
  }
}
