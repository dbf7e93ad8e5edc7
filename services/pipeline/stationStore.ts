// The live station states: folded in memory on the hot path (no database query
// per signal), written behind to the cache and to MongoDB.
import type { Models } from '../../models/index.js';
import type { Cache } from '../platform/index.js';
import type { NearbyStation, Signal, StationCapacity, StationRegistration, StationState, StationPlan } from '../../eventBus/types.js';
import { applySignal, initialState } from './stationFold.js';
import { emptyPlan } from '../../agents/index.js';
import { AppError } from '../platform/index.js';
import { Neighbourhood, neighbourList } from './neighbours.js';
import { bucketOf } from '../../utils/ids.js';
import type { StationChange } from './decider.js';
import { StreamBook, type StationSnapshot } from './streamBook.js';

export type { StationSnapshot } from './streamBook.js';

/** A copy of the states kept elsewhere (the decision worker's), changed with this store's. */
export interface StationReplica {
  whenIdle(): Promise<void>;
  change(c: StationChange): void;
}

export interface StationStoreOptions {
  models: Models;
  cache: Cache;
  flushMs: number;
  /** Neighbours farther than this are never offered to agents. */
  nearbyKm: number;
  maxNearby: number;
  /** Partitions of the stream signal log (1 without it): each station belongs to one, see `partitionOf`. */
  partitions?: number;
  onError(err: unknown): void;
}

/** Stations written per turn of the event loop by the write-behind. */
const FLUSH_CHUNK = 4;

export class StationStore {
  private readonly states = new Map<string, StationState>();
  private readonly dirty = new Set<string>();
  private readonly neighbourhood: Neighbourhood;
  private timer: NodeJS.Timeout | null = null;
  /** Per station, when it was registered (bounded by the stations). */
  private readonly registeredAt = new Map<string, string>();
  private flushing: Promise<void> | null = null;

  /** Where each station stands in the stream signal log (stream mode only). */
  private readonly book = new StreamBook();
  /** Per station, its partition of the stream signal log. */
  private readonly partitions = new Map<string, number>();

  /** Told after a registration, a removal or a capacity change here (other instances then `refresh`). */
  private changed: () => void = () => undefined;

  /** The decision worker's copy of the states, told of every change the fold depends on. */
  private replica: StationReplica | null = null;

  constructor(private readonly opts: StationStoreOptions) {
    this.neighbourhood = new Neighbourhood(this.states, opts);
  }

  /** Which stations' states this instance may write (stream signal log: those of the partitions it works). */
  private writable: (id: string) => boolean = () => true;

  /**
   * From now on only the stations `f` accepts are written behind; the others' changes here are dropped
   * (another instance works them and writes them: a late write from here would put an older state back).
   */
  writeOnly(f: (id: string) => boolean): void {
    this.writable = f;
  }

  /** Calls `f` after each registration, removal or capacity change made through this store. */
  onChanged(f: () => void): void {
    this.changed = f;
  }

  /** From now on, every registration, removal and capacity change is repeated on `replica`, in order with the signals. */
  replicateTo(replica: StationReplica): void {
    this.replica = replica;
  }

  async load(): Promise<void> {
    const docs = await this.opts.models.StationState.find({}).lean();
    // In the order they joined: each takes its partition from the stations already there (partitionOf).
    docs.sort((a, b) => +new Date(a.registeredAt) - +new Date(b.registeredAt) || (a.stationId < b.stationId ? -1 : 1));
    for (const d of docs) {
      const state = d.state as unknown as StationState;
      this.registeredAt.set(d.stationId, new Date(d.registeredAt).toISOString());
      // States stored before the station plan existed start with an empty one.
      state.plan ??= emptyPlan();
      this.book.loaded(d.stationId, d.logPosition);
      this.partitions.set(d.stationId, d.partition ?? this.partitionFor(state));
      this.states.set(d.stationId, state);
    }
    this.neighbourhood.rebuild();
    this.timer = setInterval(() => {
      this.flush().catch((err) => this.opts.onError(err));
    }, this.opts.flushMs);
    this.timer.unref();
  }

  has(id: string): boolean {
    return this.states.has(id);
  }

  get(id: string): StationState | undefined {
    return this.states.get(id);
  }

  /**
   * The stations' latest states for a reader: this instance's own where it works them, else the working
   * instance's last write behind (within STATE_FLUSH_MS of live) rather than what this one last loaded.
   */
  async current(ids: readonly string[]): Promise<Map<string, StationState>> {
    const out = new Map<string, StationState>();
    const elsewhere: string[] = [];
    for (const id of ids) {
      const s = this.states.get(id);
      if (!s) continue;
      out.set(id, s);
      if (!this.writable(id)) elsewhere.push(id);
    }
    if (elsewhere.length === 0) return out;
    const docs = await this.opts.models.StationState.find({ stationId: { $in: elsewhere } }, { stationId: 1, state: 1 }).lean();
    for (const d of docs) {
      const state = d.state as unknown as StationState;
      state.plan ??= emptyPlan();
      out.set(d.stationId, state);
    }
    return out;
  }

  list(): StationState[] {
    return [...this.states.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** When the station joined this copilot (ISO 8601). */
  registeredAtOf(id: string): string | undefined {
    return this.registeredAt.get(id);
  }

  get size(): number {
    return this.states.size;
  }

  async register(reg: StationRegistration): Promise<StationState> {
    if (this.states.has(reg.id)) throw new AppError(409, 'STATION_EXISTS', `station ${reg.id} is already registered`, [{ field: 'id' }]);
    const state = initialState(reg);
    const partition = this.partitionFor(state);
    await this.opts.models.StationState.create({
      stationId: reg.id,
      name: reg.name,
      location: reg.location,
      capacity: reg.capacity,
      state,
      version: state.version,
      partition,
      registeredAt: new Date(),
      updatedAt: new Date(),
    });
    // The moment it joins (others' neighbour lists included), in the same step: a replay registers it
    // between the signals received before and after it (signals' receivedAt), as it happened live.
    const at = new Date();
    this.partitions.set(reg.id, partition);
    this.states.set(reg.id, state);
    this.registeredAt.set(reg.id, at.toISOString());
    this.neighbourhood.add(state);
    this.replica?.change({ kind: 'registered', state });
    await this.opts.models.StationState.updateOne({ stationId: reg.id }, { $set: { registeredAt: at } });
    await this.opts.cache.set(`state:${reg.id}`, JSON.stringify(state));
    this.changed();
    return state;
  }

  /** Undoes a registration whose later steps failed (see the admin workflows): as if it never happened. */
  async unregister(id: string): Promise<void> {
    if (!this.states.delete(id)) return;
    this.replica?.change({ kind: 'unregistered', id });
    this.registeredAt.delete(id);
    this.book.forget(id);
    this.partitions.delete(id);
    this.dirty.delete(id);
    this.neighbourhood.rebuild();
    await this.opts.models.StationState.deleteOne({ stationId: id });
    await this.opts.cache.del([`state:${id}`]);
    this.changed();
  }

  /**
   * Changes a station's registered capacity (an admin's action: AdminWorkflows.changeCapacity), never
   * below what the station holds now: its chargers, its packs, its open bays (409 naming the field).
   * In force at once, before the write: no signal can slip in under the old bound meanwhile.
   */
  async setCapacity(id: string, change: Partial<StationCapacity>): Promise<{ before: StationCapacity; state: StationState }> {
    // Between two signals for the decision worker as for this store (see DecisionWorker.whenIdle).
    await this.replica?.whenIdle();
    const state = this.states.get(id);
    if (!state) throw new AppError(404, 'UNKNOWN_STATION', `station ${id} is not registered`, [{ field: 'id' }]);
    const before = { ...state.capacity };
    const next = { ...before, ...change };
    const held: [keyof StationCapacity, number, string][] = [
      ['chargers', Object.keys(state.chargers).length, 'chargers it has reported'],
      ['batterySlots', Object.keys(state.batteries).length, 'packs in its list (a pack leaves it when a swap hands it out)'],
      ['bays', state.bays.open, 'bays it reports open'],
    ];
    for (const [field, n, what] of held) {
      if (next[field] < n)
        throw new AppError(409, 'CAPACITY_BELOW_HELD', `"capacity.${field}" ${next[field]} is below the ${n} ${what} at station ${id}`, [
          { field: `capacity.${field}` },
        ]);
    }
    await this.writeCapacity(state, next, before);
    return { before, state };
  }

  /** Puts back a capacity `setCapacity` replaced (its change could not be recorded), whatever the station holds now. */
  async restoreCapacity(id: string, capacity: StationCapacity): Promise<void> {
    await this.replica?.whenIdle();
    const state = this.states.get(id);
    if (state) await this.writeCapacity(state, capacity, { ...state.capacity });
  }

  private async writeCapacity(state: StationState, next: StationCapacity, before: StationCapacity): Promise<void> {
    // Synchronously after the caller's whenIdle: nothing is being decided while the capacity changes.
    const set = (c: StationCapacity) => {
      state.capacity = { ...c };
      state.bays.total = c.bays;
      this.replica?.change({ kind: 'capacity', id: state.id, capacity: state.capacity });
    };
    set(next);
    try {
      await this.opts.models.StationState.updateOne({ stationId: state.id }, { $set: { capacity: next } });
    } catch (err) {
      await this.replica?.whenIdle();
      set(before);
      throw err;
    }
    this.dirty.add(state.id);
    this.changed();
  }

  /** Puts a station's new plan in force (from a decision or an operator's answer) and marks it for write-behind. */
  setPlan(id: string, plan: StationPlan): StationState | undefined {
    const state = this.states.get(id);
    if (!state) return undefined;
    state.plan = plan;
    this.dirty.add(id);
    return state;
  }

  /**
   * Fold one signal into its station's state (in place) and mark it for write-behind; `position` is its
   * stream entry (stream signal log), written with the state as what the state has folded.
   */
  apply(signal: Signal, position?: string): StationState {
    const state = this.states.get(signal.stationId);
    if (!state) throw new AppError(404, 'UNKNOWN_STATION', `station ${signal.stationId} is not registered`, [{ field: 'stationId' }]);
    applySignal(state, signal);
    if (position !== undefined) this.book.folded(signal.stationId, position);
    this.dirty.add(signal.stationId);
    return state;
  }

  /** The stations' states and stream positions as they are now, right after a batch was folded: what `settle` keeps. */
  snapshot(ids: Iterable<string>): StationSnapshot[] {
    const out: StationSnapshot[] = [];
    for (const id of ids) {
      const state = this.states.get(id);
      const snap = state && this.book.snapshot(id, state);
      if (snap) out.push(snap);
    }
    return out;
  }

  /**
   * What these snapshots' entries produced is stored (and so is every earlier batch's): their states may
   * be written, even while later folds are still in flight. Called in the order the batches were folded.
   */
  settle(snapshots: readonly StationSnapshot[]): void {
    for (const snap of snapshots) {
      if (!this.states.has(snap.id)) continue;
      this.book.settle(snap);
      this.dirty.add(snap.id);
    }
  }

  /** Where a partition's stream may be trimmed to (see StreamBook.trimBound). */
  trimBound(ids: Iterable<string>): string | null {
    return this.book.trimBound(ids);
  }

  /** The last stream entry folded into the station's state, if any. */
  positionOf(id: string): string | undefined {
    return this.book.positionOf(id);
  }

  /**
   * The station's partition of the stream signal log. Stations within the agents' reach of each other
   * share one, so what an agent reads of a neighbour is folded in the same order as the station itself,
   * whichever instance works the partition: a station takes the partition of its nearest station in
   * reach when it joins, or one from its id when none is. Fixed for its life (computed again in the same
   * order at every load).
   */
  partitionOf(id: string): number {
    return this.partitions.get(id) ?? 0;
  }

  /** The stations of one partition (no copy of the whole registry, no sort: read at every trim). */
  idsIn(partition: number): string[] {
    const ids: string[] = [];
    for (const [id, p] of this.partitions) if (p === partition) ids.push(id);
    return ids;
  }

  /** Where a joining station goes: its nearest station's partition, or one from its id (stored with it). */
  private partitionFor(state: StationState): number {
    const near = neighbourList(state, this.states.values(), this.opts.nearbyKm, 1)[0];
    return near ? this.partitionOf(near.id) : bucketOf(state.id, this.opts.partitions ?? 1);
  }

  /**
   * Takes in the stations another instance registered or removed since this one last read them (told
   * through Redis, or met as an unknown station in the stream log); resolves with the ids that joined.
   */
  async refresh(): Promise<string[]> {
    const rows = await this.opts.models.StationState.find({}, { stationId: 1, capacity: 1 }).lean();
    const ids = new Set(rows.map((d) => d.stationId));
    // A capacity changed elsewhere: in force here too, between two batches of the decision worker.
    const resized = rows.filter((d) => {
      const c = this.states.get(d.stationId)?.capacity;
      return (
        c && d.capacity && (c.bays !== d.capacity.bays || c.chargers !== d.capacity.chargers || c.batterySlots !== d.capacity.batterySlots)
      );
    });
    if (resized.length) await this.replica?.whenIdle();
    for (const d of resized) {
      const state = this.states.get(d.stationId);
      if (!state) continue;
      state.capacity = { ...d.capacity };
      state.bays.total = d.capacity.bays;
      this.replica?.change({ kind: 'capacity', id: state.id, capacity: state.capacity });
    }
    const gone = [...this.states.keys()].filter((id) => !ids.has(id));
    const joining = [...ids].filter((id) => !this.states.has(id));
    for (const id of gone) {
      this.states.delete(id);
      this.registeredAt.delete(id);
      this.book.forget(id);
      this.partitions.delete(id);
      this.dirty.delete(id);
      this.replica?.change({ kind: 'unregistered', id });
    }
    if (gone.length) this.neighbourhood.rebuild();
    if (joining.length === 0) return [];
    const docs = await this.opts.models.StationState.find({ stationId: { $in: joining } }).lean();
    docs.sort((a, b) => +new Date(a.registeredAt) - +new Date(b.registeredAt) || (a.stationId < b.stationId ? -1 : 1));
    const joined: string[] = [];
    for (const d of docs) {
      if (this.states.has(d.stationId)) continue;
      const state = d.state as unknown as StationState;
      state.plan ??= emptyPlan();
      this.registeredAt.set(d.stationId, new Date(d.registeredAt).toISOString());
      this.book.loaded(d.stationId, d.logPosition);
      this.partitions.set(d.stationId, d.partition ?? this.partitionFor(state));
      this.states.set(d.stationId, state);
      this.neighbourhood.add(state);
      this.replica?.change({ kind: 'registered', state });
      joined.push(d.stationId);
    }
    return joined;
  }

  /**
   * Reads the stations' states again from the database (a partition taken over from another instance:
   * its states, and where they stand in the stream, are the ones it last wrote), in place of what this
   * instance held; the decision worker's copy is replaced between two of its batches.
   */
  async reload(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const docs = await this.opts.models.StationState.find({ stationId: { $in: [...ids] } }).lean();
    await this.replica?.whenIdle();
    for (const d of docs) {
      if (!this.states.has(d.stationId)) continue;
      const state = d.state as unknown as StationState;
      state.plan ??= emptyPlan();
      this.states.set(d.stationId, state);
      this.book.loaded(d.stationId, d.logPosition);
      this.dirty.delete(d.stationId);
      this.replica?.change({ kind: 'replaced', state });
    }
  }

  predictedWait(s: StationState): number {
    return this.neighbourhood.predictedWait(s);
  }

  /** Nearest registered stations with what agents compare at `now` (the signal's time), nearest first. */
  nearby(stationId: string, now: string): NearbyStation[] {
    return this.neighbourhood.nearby(stationId, now);
  }

  /**
   * Write dirty states behind to the cache and MongoDB, FLUSH_CHUNK stations at a time, each chunk in
   * a turn of its own: serialising every state in one go held the event loop for tens of ms each
   * second, and every answer waiting behind it. Through the driver's collection: the states are plain
   * JSON already, with nothing for mongoose to cast.
   */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.dirty.size === 0) return;
    // Those another instance works are not written; those with nothing settled yet wait, still dirty.
    for (const id of this.dirty) if (!this.writable(id)) this.dirty.delete(id);
    const ids = [...this.dirty].filter((id) => this.book.writable(id));
    // Nothing writable this round. (Returning here matters: the writer below would end synchronously
    // with nothing to await, clear `flushing` before it is set, and leave it set for good.)
    if (ids.length === 0) return;
    for (const id of ids) this.dirty.delete(id);
    this.flushing = (async () => {
      let done = 0;
      try {
        for (; done < ids.length; done += FLUSH_CHUNK) {
          const snapshots: [string, string, string | undefined][] = [];
          for (const id of ids.slice(done, done + FLUSH_CHUNK)) {
            // The state and the stream position it has folded to, taken together.
            const state = this.states.get(id);
            const w = state ? this.book.take(id, state) : null;
            if (w) snapshots.push([id, w.json, w.position]);
            // Later folds still being stored (or nothing settled yet): written again once they are.
            if (state && !w?.current) this.dirty.add(id);
          }
          if (snapshots.length === 0) continue;
          await this.opts.cache.setMany(snapshots.map(([id, json]) => [`state:${id}`, json]));
          await this.opts.models.StationState.collection.bulkWrite(
            snapshots.map(([id, json, position]) => {
              const state = JSON.parse(json) as StationState;
              const update = {
                $set: {
                  state: state as unknown as Record<string, unknown>,
                  version: state.version,
                  updatedAt: new Date(),
                  ...(position ? { logPosition: position } : {}),
                },
              };
              return { updateOne: { filter: { stationId: id }, update } };
            }),
            { ordered: false },
          );
          for (const [id, , position] of snapshots) if (position) this.book.written(id, position);
        }
      } catch (err) {
        for (const id of ids.slice(done)) this.dirty.add(id);
        throw err;
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.flushing) await this.flushing.catch(() => undefined);
    await this.flush();
  }
}
