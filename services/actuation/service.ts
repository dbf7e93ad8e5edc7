// The actuator port (DECISIONS.md, "Acting"): every plan change the pipeline puts in force is handed to
// the configured actuator as device commands; each command's answer (accepted, rejected, failed, or
// timeout when none came in time) becomes an outcome record bound to its decision's hash, stored, anchored
// as its own leaf and published. What a device did not carry out goes back into the station's signal
// log (`actuation_outcome`), so the plan no longer counts on it. A station's changes are handed in order,
// one at a time; the stations' queues together hold at most `maxPending` changes, past which a change is
// answered `failed` at once (recorded, never silently dropped).
import { listen, type EventBus, type ListenerErrorSink } from '../../eventBus/index.js';
import type { ActionOutcome, Actuator, CommandResult, Handover, PlanAction, Signal, StationPlan } from '../../eventBus/types.js';
import type { ActionOutcomeDoc, Models } from '../../models/index.js';
import { canonicalHash, outcomeValue, type AnchoringService } from '../audit/index.js';
import type { Metrics } from '../platform/index.js';
import { activeById, commandsBetween, startedSince } from './commands.js';

export interface ActuationDeps {
  bus: EventBus;
  actuator: Actuator;
  models: Models;
  anchoring: Pick<AnchoringService, 'enqueue' | 'infoFor'>;
  /** The decision's stored hash (or the one about to be stored). */
  decisionHash(id: string): Promise<string | null>;
  /**
   * Puts a device's refusal into the station's signal log (an `actuation_outcome` signal), so the plan
   * drops what was not carried out, in a decision of its own, and a replay remakes it.
   */
  refused(signal: Signal): Promise<void>;
  /** The station's last signal time: a refusal comes after the evidence already in (a simulation runs ahead of the wall clock). */
  stationTime(stationId: string): string | null;
  metrics: Metrics;
  /** How long an answer may take before the command counts as `timeout`. */
  timeoutMs: number;
  /** Plan changes waiting or being handed, all stations together. */
  maxPending: number;
  report: ListenerErrorSink;
}

export class ActuationService {
  /** Per station, the active actions as last handed over (bounded by the stations and their plans). */
  private readonly handed = new Map<string, Map<string, PlanAction>>();
  /** Per station and device action in force, the last command handed for it and what became of it. */
  private readonly states = new Map<string, Map<string, { ref: string; state: 'handed' | ActionOutcome['outcome'] }>>();
  /** Per station, the tail of its chain of handovers. */
  private readonly chains = new Map<string, Promise<void>>();
  private pending = 0;
  private detach: (() => void) | null = null;

  constructor(private readonly deps: ActuationDeps) {}

  get actuator(): string {
    return this.deps.actuator.name;
  }

  /** Plan changes waiting or being handed. */
  get backlog(): number {
    return this.pending;
  }

  /** The actuator that carries out this station's plans, or null (recorded only). */
  actuatorOf(stationId: string): string | null {
    const a = this.deps.actuator as Actuator & { nameFor?(stationId: string): string | null };
    if (a.serves && !a.serves(stationId)) return null;
    return a.nameFor?.(stationId) ?? a.name;
  }

  /** What became of the last command for a device action in force: `handed` until its answer is recorded; `recorded` where no actuator serves the station. */
  executionOf(stationId: string, actionId: string): 'recorded' | 'handed' | ActionOutcome['outcome'] | undefined {
    if (this.actuatorOf(stationId) === null) return 'recorded';
    return this.states.get(stationId)?.get(actionId)?.state;
  }

  /** What was in force before this process started counts as handed, so a restart hands nothing twice. */
  attach(plans: Iterable<{ id: string; plan: StationPlan }>): void {
    for (const s of plans) this.handed.set(s.id, activeById(s.plan));
    this.detach = listen(
      this.deps.bus,
      'plan.updated',
      'actuation',
      ({ stationId, plan, decisionId }) => this.hand(stationId, plan, decisionId),
      this.deps.report,
    );
  }

  /** Resolves once every change handed so far is answered and recorded. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  async close(): Promise<void> {
    this.detach?.();
    this.detach = null;
    await this.idle();
  }

  /** Works out the commands at once (the plans arrive in order) and queues the handing over. */
  hand(stationId: string, plan: StationPlan, decisionId: string): void {
    const before = this.handed.get(stationId) ?? new Map<string, PlanAction>();
    const now = activeById(plan);
    this.handed.set(stationId, now);
    // No actuator serves the station (no charge points, no simulation): its plan is recorded only.
    if (this.actuatorOf(stationId) === null) {
      this.states.delete(stationId);
      return;
    }
    const handover: Handover = {
      stationId,
      decisionId,
      commands: commandsBetween(before, now, decisionId),
      started: startedSince(before, now),
      plan,
    };
    // Handed even with no device command: an actuator that models the whole station (the simulator) follows every change of its plan.
    const states = this.states.get(stationId) ?? new Map<string, { ref: string; state: 'handed' | ActionOutcome['outcome'] }>();
    this.states.set(stationId, states);
    for (const c of handover.commands) {
      if (c.kind === 'stop') states.delete(c.actionId);
      else states.set(c.actionId, { ref: c.ref, state: 'handed' });
    }
    if (this.pending >= this.deps.maxPending) {
      const detail = `actuation queue full (${this.pending} plan changes waiting); not handed over`;
      void this.record(
        handover,
        handover.commands.map(() => ({ outcome: 'failed', detail })),
        performance.now(),
      ).catch((err: unknown) => this.deps.report('actuation', err));
      return;
    }
    this.pending += 1;
    const prev = this.chains.get(stationId) ?? Promise.resolve();
    const next = prev
      .then(() => this.carryOut(handover))
      .catch((err: unknown) => this.deps.report('actuation', err))
      .finally(() => {
        this.pending -= 1;
        if (this.chains.get(stationId) === next) this.chains.delete(stationId);
      });
    this.chains.set(stationId, next);
  }

  private async carryOut(h: Handover): Promise<void> {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.deps.timeoutMs);
    });
    let results: (CommandResult | { outcome: 'timeout'; detail: string })[];
    try {
      const answer = await Promise.race([this.deps.actuator.carryOut(h), timeout]);
      if (answer === 'timeout') {
        const detail = `no answer within ${this.deps.timeoutMs} ms`;
        results = h.commands.map(() => ({ outcome: 'timeout', detail }));
      } else {
        results = h.commands.map(
          (c, i) => answer[i] ?? { outcome: 'failed' as const, detail: `the actuator gave no answer for ${c.actionId}` },
        );
      }
    } catch (err) {
      const detail = `the actuator failed: ${err instanceof Error ? err.message : String(err)}`;
      results = h.commands.map(() => ({ outcome: 'failed', detail }));
    } finally {
      clearTimeout(timer);
    }
    await this.record(h, results, t0);
  }

  /** Hashes each answer, anchors it as its own leaf, stores it, and publishes it. */
  private async record(h: Handover, results: { outcome: ActionOutcome['outcome']; detail?: string }[], t0: number): Promise<void> {
    if (h.commands.length === 0) return;
    const decisionHash = await this.deps.decisionHash(h.decisionId);
    if (decisionHash === null) throw new Error(`actuation: decision ${h.decisionId} is not recorded; its outcomes cannot be bound to it`);
    const at = new Date().toISOString();
    const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
    const actuator = this.actuatorOf(h.stationId) ?? this.deps.actuator.name;
    const outcomes = h.commands.map((c, i): ActionOutcome => {
      const base = {
        decisionId: h.decisionId,
        decisionHash,
        stationId: h.stationId,
        ref: c.ref,
        kind: c.kind,
        actionId: c.actionId,
        action: c.action,
        target: c.target,
        params: c.params,
        actuator,
        outcome: results[i]!.outcome,
        detail: results[i]!.detail ?? null,
        at,
        latencyMs,
      };
      return { ...base, hash: canonicalHash(outcomeValue(base)) };
    });
    const seqs = this.deps.anchoring.enqueue(
      outcomes.map((o) => ({ kind: 'outcome', refId: o.ref, hash: o.hash, stationId: o.stationId })),
    );
    const docs: ActionOutcomeDoc[] = outcomes.map((o, i) => ({ ...o, anchorSeq: seqs[i]! }));
    await this.deps.models.ActionOutcome.insertMany(docs, { ordered: false });
    for (const [i, o] of outcomes.entries()) {
      const st = this.states.get(o.stationId)?.get(o.actionId);
      if (st?.ref === o.ref) st.state = o.outcome;
      this.deps.metrics.actuationOutcomes.inc({ actuator, action: o.action, outcome: o.outcome });
      this.deps.bus.emit('decision.outcome', {
        id: o.decisionId,
        stationId: o.stationId,
        outcome: { ...o, anchor: this.deps.anchoring.infoFor(seqs[i]) ?? { status: 'pending', seq: seqs[i] } },
      });
    }
    this.deps.metrics.actuationLatency.observe({ actuator }, latencyMs / 1000);
    for (const o of outcomes) {
      if (o.outcome === 'accepted' || o.kind === 'stop') continue;
      const last = this.deps.stationTime(o.stationId);
      await this.deps.refused({
        // From the outcome's own hash: the same refusal handed in twice is a duplicate.
        id: `act-${o.hash.slice(0, 40)}`,
        stationId: o.stationId,
        type: 'actuation_outcome',
        ts: new Date(Math.max(Date.parse(o.at), last === null ? 0 : Date.parse(last))).toISOString(),
        payload: { decisionId: o.decisionId, actionId: o.actionId, kind: o.kind, params: o.params, outcome: o.outcome, detail: o.detail },
      });
    }
  }
}
