// The pipeline's side of the stream signal log (SIGNAL_LOG=stream): what the owner of a partition does
// with its entries. Each station's state records the last entry folded into it, written with the state,
// so a new owner reloads the states and replays the stream from there: entries a state already holds
// are skipped, and the decisions the others make again (same ids, deterministic) are recognised as
// already stored, not stored, anchored or announced twice.
import type { Signal } from '../../eventBus/types.js';
import { compareStreamIds } from '../../utils/ids.js';
import { decisionIdOf } from '../../agents/index.js';
import type { Models } from '../../models/index.js';
import type { DecisionLogger } from './decisionLogger.js';
import type { Committable, IngestionService } from './ingestion.js';
import type { StationStore } from './stationStore.js';
import type { SignalStore } from './signalStore/index.js';

/** As services/cluster's StreamEntry: a signal at its place in its partition's stream. */
export interface LoggedSignal {
  id: string;
  signal: Signal;
  receivedAt: number;
}

/** Whether stream id `a` comes after `b` (any id comes after none). */
const after = (a: string, b: string | undefined): boolean => b === undefined || compareStreamIds(a, b) > 0;

/** A batch decided: `stored` once what it produced is stored; then `settle` lets its states be written. */
export interface Processed {
  stored: Promise<void>;
  /** Called once `stored` resolved and every earlier batch was settled: the states as folded may be written. */
  settle(): void;
}

const NOTHING: Processed = { stored: Promise.resolve(), settle: () => undefined };

export interface StreamPipelineDeps {
  stations: StationStore;
  ingestion: Pick<IngestionService, 'begin'>;
  decisions: Pick<DecisionLogger, 'settled' | 'skipRecorded' | 'clearRecorded'>;
  models: Pick<Models, 'DecisionLog'>;
  signals: Pick<SignalStore, 'existing'>;
  onError(err: unknown): void;
}

export class StreamPipeline {
  constructor(private readonly d: StreamPipelineDeps) {}

  /** The partition's stations, read again from the database; the replay starts after the oldest of their positions. */
  async takeover(partition: number): Promise<string> {
    const ids = this.idsOf(partition);
    await this.d.stations.reload(ids);
    let from: string | undefined;
    for (const id of ids) {
      const p = this.d.stations.positionOf(id);
      // A station with no position has folded nothing from the stream: replay it all.
      if (p === undefined) return '0';
      if (from === undefined || after(from, p)) from = p;
    }
    return from ?? '0';
  }

  /**
   * Decides and journals the entries a station has not folded yet; resolves once they are decided (their
   * decisions are on the bus), with what tells when their outputs are stored. The states are not written
   * as of these entries before `settle`: a stored position never runs ahead of what its entries produced.
   */
  async process(entries: readonly LoggedSignal[], replay: boolean): Promise<Processed> {
    // A station another instance registered a moment ago, not taken in here yet: read the registry
    // again before deciding that an entry has nowhere to go (it was acknowledged to its sender).
    if (entries.some((e) => !this.d.stations.has(e.signal.stationId))) await this.d.stations.refresh();
    const fresh: Committable[] = [];
    for (const e of entries) {
      const { stationId } = e.signal;
      // A station removed since: its signals have nowhere to go.
      if (!this.d.stations.has(stationId)) continue;
      if (!after(e.id, this.d.stations.positionOf(stationId))) continue;
      fresh.push({ signal: e.signal, receivedAtMs: e.receivedAt, position: e.id });
    }
    if (fresh.length === 0) return NOTHING;
    if (replay) {
      // What the last owner journaled and stored before it stopped is recognised, not written twice.
      const stored = await this.d.signals.existing(
        fresh.map((f) => ({ stationId: f.signal.stationId, signalId: f.signal.id, receivedAt: new Date(f.receivedAtMs) })),
      );
      for (const f of fresh) f.journaled = stored.has(`${f.signal.stationId}/${f.signal.id}`);
      // A decision's id is its signal's (decisionIdOf): one indexed lookup finds those already stored.
      const ids = fresh.map((f) => decisionIdOf(f.signal));
      const known = await this.d.models.DecisionLog.find({ decisionId: { $in: ids } }, { decisionId: 1 }).lean();
      this.d.decisions.skipRecorded(known.map((k) => k.decisionId));
    }
    const { decided, journaled } = this.d.ingestion.begin(fresh, performance.now());
    await decided;
    // The states as these entries left them: written once what the entries produced is stored.
    const snapshots = this.d.stations.snapshot(new Set(fresh.map((f) => f.signal.stationId)));
    const stored = (async () => {
      try {
        await journaled;
        await this.d.decisions.settled();
      } finally {
        if (replay) this.d.decisions.clearRecorded();
      }
    })();
    return { stored, settle: () => this.d.stations.settle(snapshots) };
  }

  /** Where the partition's stream may be trimmed to (StationStore.trimBound), or null for not now. */
  trimPoint(partition: number): string | null {
    return this.d.stations.trimBound(this.idsOf(partition));
  }

  private idsOf(partition: number): string[] {
    return this.d.stations.idsIn(partition);
  }

  released(): void {
    // The states stay as they are: they are read again if the partition comes back.
  }

  onError(err: unknown): void {
    this.d.onError(err);
  }
}
