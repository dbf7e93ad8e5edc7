// The hot path: validate, dedupe through the cache (no database query per
// signal), fold state, publish on the bus, and answer once the signal is durable.
import type { EventBus } from '../../eventBus/index.js';
import type { Signal } from '../../eventBus/types.js';
import type { Cache } from '../platform/index.js';
import type { SignalLogDoc } from '../../models/index.js';
import { AppError, type BatchWriter, type Metrics } from '../platform/index.js';
import type { SignalStore } from './signalStore/index.js';
import type { StationStore } from './stationStore.js';
import { checkSignal, type SignalError, type SignalOrigin } from './signalSchemas.js';
import { BatchRosters } from './stationBounds.js';
import type { Step } from './decider.js';

export const MAX_BATCH_SIGNALS = 1000;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export type SignalOutcome =
  | { index: number; id: string; status: 'accepted' | 'duplicate' }
  | { index: number; id: string | null; status: 'rejected'; error: SignalError };

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; error: SignalError }[];
  results: SignalOutcome[];
}

export interface IngestionDeps {
  bus: EventBus;
  cache: Cache;
  stations: StationStore;
  signalLog: BatchWriter<SignalLogDoc>;
  metrics: Metrics;
  /**
   * Documents waiting to be written (signals and what they produced). Past `maxBacklog` new signals
   * are refused before anything is folded: the database is slow or away, and memory must not grow.
   */
  backlog(): number;
  maxBacklog: number;
  /**
   * Where accepted signals are decided (the decision worker): each signal's step comes back through
   * `applied`, in order, before `decide` resolves.
   */
  decider: { decide(signals: readonly Signal[], receivedAt: number): Promise<void> };
  /**
   * Senders' signals taken and not yet answered (being checked, decided or written): past it, new
   * signals are refused before anything is folded, whatever holds them up.
   */
  maxInFlight: number;
  /** How far behind the event loop runs (ms, smoothed); past `shedLagMs` new signals are refused too (0: never). */
  loopLagMs(): number;
  shedLagMs: number;
  dedupeTtlS: number;
  onError(err: unknown): void;
}

/**
 * Where accepted signals go first when the signal log is a Redis stream (SIGNAL_LOG=stream): the sender
 * is answered once they are in it, and the partition's owner decides them from there (`commit`).
 */
export interface SignalAppendLog {
  /**
   * Claims each signal's id and appends the ones not seen before, atomically per signal (a crash cannot
   * leave an id claimed and its signal missing); resolves with true where appended, false for a duplicate.
   */
  appendNew(signals: readonly Signal[], receivedAtMs: number, dedupeTtlS: number): Promise<boolean[]>;
}

/** One signal to decide and journal: when it was taken (epoch ms), and its place in the stream log. */
export interface Committable {
  signal: Signal;
  receivedAtMs: number;
  position?: string;
  /** Already in the signal log (a replay): decided again, not written again. */
  journaled?: boolean;
}

/**
 * Signal ids are unique per station, so a station's key cannot send another station's future ids first
 * and have them refused as duplicates. "/" is in neither a station id nor a signal id.
 */
const dedupeKey = (stationId: string, id: string) => `sig:${stationId}/${id}`;

export class IngestionService {
  /** The phase histogram's series, bound once: every request observes all four. */
  private readonly phases: Record<'queued' | 'checked' | 'decided' | 'journaled', { observe(seconds: number): void }>;

  /** Senders' signals admitted and not yet answered. */
  private inFlight = 0;

  /** The stream log, when it is the log: set by `appendTo`. */
  private log: SignalAppendLog | null = null;
  /** Each signal being committed from the stream log, with its place there (folded into its station's checkpoint). */
  private readonly positions = new WeakMap<Signal, string>();

  constructor(private readonly deps: IngestionDeps) {
    const h = deps.metrics.ingestPhase;
    this.phases = {
      queued: h.labels('queued'),
      checked: h.labels('checked'),
      decided: h.labels('decided'),
      journaled: h.labels('journaled'),
    };
  }

  /** Reload recent signal ids into the dedupe cache, so a restart does not accept a replayed id twice. */
  static async reloadRecentIds(store: Pick<SignalStore, 'recentIds'>, cache: Cache, limit: number, ttlS: number): Promise<number> {
    if (limit === 0) return 0;
    const recent = await store.recentIds(limit);
    const ids = recent.map((d) => dedupeKey(d.stationId, d.signalId));
    for (let i = 0; i < ids.length; i += 5000) await cache.claim(ids.slice(i, i + 5000), ttlS);
    return ids.length;
  }

  /** Signals from senders (REST, /ingest, the simulator): only the types a sender may send. */
  ingest(raws: readonly unknown[], receivedAt: number): Promise<IngestResult> {
    return this.take(raws, receivedAt, 'sender');
  }

  /** A signal the copilot made itself (an operator's release): stored, folded and decided like any other. */
  ingestOwn(signal: Signal, receivedAt: number): Promise<IngestResult> {
    return this.take([signal], receivedAt, 'copilot');
  }

  private async take(raws: readonly unknown[], receivedAt: number, origin: SignalOrigin): Promise<IngestResult> {
    // Before any validation, so a refusal costs next to nothing. The copilot's own signals (outcomes
    // of acknowledged work) are few and always taken.
    if (origin === 'sender' && raws.length) {
      this.admit(raws.length);
      this.inFlight += raws.length;
      try {
        return await this.takeAdmitted(raws, receivedAt, origin);
      } finally {
        this.inFlight -= raws.length;
      }
    }
    return this.takeAdmitted(raws, receivedAt, origin);
  }

  /** From now on accepted signals are appended to `log` and answered; `commit` decides them later. */
  appendTo(log: SignalAppendLog): void {
    this.log = log;
  }

  /** Senders' signals taken and not yet answered. */
  get taken(): number {
    return this.inFlight;
  }

  private async takeAdmitted(raws: readonly unknown[], receivedAt: number, origin: SignalOrigin): Promise<IngestResult> {
    const { stations, metrics } = this.deps;
    const phase = this.phases;
    const taken = performance.now();
    phase.queued.observe((taken - receivedAt) / 1000);
    const results: SignalOutcome[] = new Array(raws.length);
    const valid: { index: number; signal: Signal }[] = [];
    const seen = new Set<string>();
    const rosters = new BatchRosters();
    for (let index = 0; index < raws.length; index++) {
      const check = checkSignal(raws[index], origin);
      const rawId = (raws[index] as { id?: unknown } | null)?.id;
      const id = typeof rawId === 'string' ? rawId : null;
      let error: SignalError | null = null;
      if (!check.ok) error = check.error;
      else if (!stations.has(check.signal.stationId)) {
        error = { code: 'UNKNOWN_STATION', field: 'stationId', message: `station ${check.signal.stationId} is not registered` };
      } else if (seen.has(dedupeKey(check.signal.stationId, check.signal.id))) {
        error = { code: 'DUPLICATE_IN_BATCH', field: 'id', message: `id ${check.signal.id} appears more than once in this batch` };
      } else {
        const stationError = this.checkAgainstStation(check.signal, rosters);
        if (stationError) error = stationError;
      }
      if (error || !check.ok) {
        results[index] = { index, id, status: 'rejected', error: error! };
        metrics.signalsRejected.inc({ reason: error!.code });
        continue;
      }
      seen.add(dedupeKey(check.signal.stationId, check.signal.id));
      valid.push({ index, signal: check.signal });
    }

    let claimed: boolean[];
    if (this.log) {
      // The answer means "in the log": the partition's owner decides and journals it from there. The
      // dedupe claim is made with the append, in one step: a claimed id is always in the log.
      try {
        claimed = valid.length
          ? await this.log.appendNew(
              valid.map((v) => v.signal),
              Date.now(),
              this.deps.dedupeTtlS,
            )
          : [];
      } catch (err) {
        metrics.signalsRejected.inc({ reason: 'LOG_UNAVAILABLE' }, valid.length);
        throw new AppError(
          503,
          'LOG_UNAVAILABLE',
          `the signal log (Redis) did not take the signals (${errorText(err)}); nothing of this request was taken, retry later`,
          [],
          { 'retry-after': '1' },
        );
      }
    } else {
      claimed = valid.length ? await this.claim(valid.map((v) => dedupeKey(v.signal.stationId, v.signal.id))) : [];
    }
    const checked = performance.now();
    phase.checked.observe((checked - taken) / 1000);
    const accepted: Signal[] = [];
    for (let i = 0; i < valid.length; i++) {
      const { index, signal } = valid[i];
      if (!claimed[i]) {
        results[index] = { index, id: signal.id, status: 'duplicate' };
        metrics.signalsDuplicate.inc();
        continue;
      }
      results[index] = { index, id: signal.id, status: 'accepted' };
      metrics.signalsAccepted.inc({ type: signal.type });
      accepted.push(signal);
    }

    if (!this.log) {
      const now = Date.now();
      try {
        await this.commit(
          accepted.map((signal) => ({ signal, receivedAtMs: now })),
          receivedAt,
        );
      } catch (err) {
        // Not stored (shutting down): forget the ids so the sender's retry is taken, not called a duplicate.
        await this.deps.cache.del(accepted.map((x) => dedupeKey(x.stationId, x.id))).catch(() => undefined);
        throw err;
      }
    }

    const rejected = results
      .filter((r) => r.status === 'rejected')
      .map((r) => ({ index: r.index, error: (r as { error: SignalError }).error }));
    return { accepted: accepted.length, duplicates: valid.length - accepted.length, rejected, results };
  }

  /**
   * Decides accepted signals (on the worker) and writes them to the signal log at once; resolves once
   * both are done: nothing answered is lost, and what it decided is on the bus. Signals from the stream
   * log carry their place there, which their station's state then records as folded.
   */
  async commit(items: readonly Committable[], receivedAt: number): Promise<void> {
    const { decided, journaled } = this.begin(items, receivedAt);
    await journaled;
    await decided;
  }

  /**
   * `commit` in two halves: `decided` once the signals are folded and what they decided is on the bus,
   * `journaled` once they are in the signal log. The stream log works its next entries as soon as these
   * are decided, while their writes land.
   */
  begin(items: readonly Committable[], receivedAt: number): { decided: Promise<void>; journaled: Promise<void> } {
    const phase = this.phases;
    const started = performance.now();
    const signals: Signal[] = [];
    const logDocs: SignalLogDoc[] = [];
    for (const { signal, receivedAtMs, position, journaled } of items) {
      signals.push(signal);
      if (position !== undefined) this.positions.set(signal, position);
      if (journaled) continue;
      logDocs.push({
        signalId: signal.id,
        stationId: signal.stationId,
        type: signal.type,
        ts: signal.ts,
        payload: signal.payload as Record<string, unknown>,
        receivedAt: new Date(receivedAtMs),
      });
    }
    const decided = this.deps.decider.decide(signals, receivedAt).then(
      () => phase.decided.observe((performance.now() - started) / 1000),
      (err: unknown) => this.deps.onError(err),
    );
    const journaled = this.deps.signalLog.append(logDocs).then(() => {
      if (!this.log) phase.journaled.observe((performance.now() - started) / 1000);
    });
    return { decided, journaled };
  }

  /**
   * The dedupe claim, the first thing that needs the cache: while Redis is away the whole request is
   * refused with a 503 before anything is folded or stored, and the sender's retry is taken once it is back.
   */
  private async claim(keys: string[]): Promise<boolean[]> {
    try {
      return await this.deps.cache.claim(keys, this.deps.dedupeTtlS);
    } catch (err) {
      this.deps.metrics.signalsRejected.inc({ reason: 'CACHE_UNAVAILABLE' }, keys.length);
      throw new AppError(
        503,
        'CACHE_UNAVAILABLE',
        `the cache (Redis) did not answer (${errorText(err)}); nothing of this request was taken, retry later`,
        [],
        { 'retry-after': '1' },
      );
    }
  }

  /**
   * Refuses the whole request, before anything is claimed or folded, while the write backlog or the
   * signals in flight are past their bounds, or the event loop is falling behind.
   */
  private admit(n: number): void {
    const { backlog, maxBacklog, loopLagMs, shedLagMs, maxInFlight } = this.deps;
    const waiting = backlog();
    const lag = shedLagMs > 0 ? loopLagMs() : 0;
    if (waiting + n <= maxBacklog && this.inFlight + n <= maxInFlight && lag <= shedLagMs) return;
    this.deps.metrics.signalsRejected.inc({ reason: 'BACKPRESSURE' }, n);
    const why =
      waiting + n > maxBacklog
        ? `${waiting} documents are waiting to be written (the bound is ${maxBacklog})`
        : this.inFlight + n > maxInFlight
          ? `${this.inFlight} signals are taken and not yet answered (the bound is ${maxInFlight})`
          : `the copilot is running ${Math.round(lag)} ms behind (the bound is ${shedLagMs} ms)`;
    throw new AppError(503, 'BACKPRESSURE', `${why}; nothing of this request was taken, retry later`, [], { 'retry-after': '1' });
  }

  /**
   * What the station's registered capacity bounds: open bays, new charger and pack ids (stationBounds.ts;
   * `rosters` carries the batch's earlier signals). Checked before anything is folded or stored.
   */
  private checkAgainstStation(signal: Signal, rosters: BatchRosters): SignalError | null {
    const state = this.deps.stations.get(signal.stationId)!;
    if (signal.type === 'bay_status' && signal.payload.open > state.capacity.bays) {
      return {
        code: 'VALIDATION_FAILED',
        field: 'payload.open',
        message: `"payload.open" must be at most the station's ${state.capacity.bays} bays`,
      };
    }
    return rosters.check(state, signal);
  }

  /**
   * One accepted signal's step, back from the decider in acceptance order: the station store folds the
   * signal as the decider did, and what it decided goes on the bus (the decision's plan and effects are
   * put in force by their listener, as the decider put them in force on its copy).
   */
  applied(signal: Signal, step: Step | Error, receivedAt: number): void {
    const { bus, stations, onError } = this.deps;
    try {
      const state = stations.apply(signal, this.positions.get(signal));
      bus.emit('station.updated', { state, signalId: signal.id, receivedAt });
      bus.emit('signal.received', { signal, state, receivedAt });
      // A failure in the agents must not lose the signal: it is logged and stays in the signal log.
      if (step instanceof Error) return onError(step);
      if (step.agents.length > 0) bus.emit('agent.proposed', { signal, agents: step.agents, receivedAt });
      if (step.decision) bus.emit('decision.made', { decision: step.decision, plan: step.plan!, state, receivedAt });
      else if (step.answered)
        bus.emit('approval.settled', { stationId: signal.stationId, decisionId: step.answered, plan: step.plan!, signalId: signal.id });
    } catch (err) {
      onError(err);
    }
  }
}
