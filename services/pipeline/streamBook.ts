// Where each station stands in the stream signal log (SIGNAL_LOG=stream): the last entry folded into its
// live state, the last one whose entries' outputs are stored (settled), and the one its stored state
// holds (durable). A state is only ever written as of a settled entry, so a stored position never runs
// ahead of what its entries produced; the stream may be trimmed up to the durable positions.
import { compareStreamIds } from '../../utils/ids.js';

/** A station's state (as JSON) and the stream entry it has folded to, taken together after a batch. */
export interface StationSnapshot {
  id: string;
  json: string;
  position: string;
}

/** What a state write for a station holds: `current` when it is the live state. */
export interface StateWrite {
  json: string;
  position: string | undefined;
  current: boolean;
}

export class StreamBook {
  /** The last entry folded into the live state. */
  private readonly positions = new Map<string, string>();
  /** The position the stored state holds. */
  private readonly durable = new Map<string, string>();
  /** The last position whose entries' outputs are stored. */
  private readonly settledAt = new Map<string, string>();
  /** The state as of `settledAt` while later folds' outputs are still being stored: what is written meanwhile. */
  private readonly settled = new Map<string, StationSnapshot>();

  /** A state read from the database holds `position` (or nothing from the stream). */
  loaded(id: string, position: string | null | undefined): void {
    this.settled.delete(id);
    if (position) {
      this.positions.set(id, position);
      this.durable.set(id, position);
      this.settledAt.set(id, position);
    } else {
      this.positions.delete(id);
      this.durable.delete(id);
      this.settledAt.delete(id);
    }
  }

  forget(id: string): void {
    this.positions.delete(id);
    this.durable.delete(id);
    this.settledAt.delete(id);
    this.settled.delete(id);
  }

  folded(id: string, position: string): void {
    this.positions.set(id, position);
  }

  positionOf(id: string): string | undefined {
    return this.positions.get(id);
  }

  /** The state as it is now with the entry it has folded to, if it folded any. */
  snapshot(id: string, state: object): StationSnapshot | null {
    const position = this.positions.get(id);
    return position === undefined ? null : { id, json: JSON.stringify(state), position };
  }

  /** What the snapshot's entries produced is stored (and every earlier batch's): it may be written. */
  settle(snap: StationSnapshot): void {
    this.settledAt.set(snap.id, snap.position);
    this.settled.set(snap.id, snap);
  }

  /** Whether a write of the station has anything to hold now. */
  writable(id: string): boolean {
    return this.positions.get(id) === this.settledAt.get(id) || this.settled.has(id);
  }

  /**
   * What a write holds now, taken: the live state when all its folds are settled (or it folds nothing
   * from the stream), else its last settled snapshot, else nothing.
   */
  take(id: string, state: object): StateWrite | null {
    const live = this.positions.get(id);
    const snap = this.settled.get(id);
    this.settled.delete(id);
    if (live === undefined || live === this.settledAt.get(id)) return { json: JSON.stringify(state), position: live, current: true };
    return snap ? { json: snap.json, position: snap.position, current: false } : null;
  }

  /** A write holding `position` is stored. */
  written(id: string, position: string): void {
    this.durable.set(id, position);
  }

  /**
   * Where a partition's stream may be trimmed to: every entry before it is folded into a stored state
   * whose outputs are stored too. Null while a station of it has folded from the stream but not yet had
   * a state written. Stations that folded nothing from the stream do not bound it.
   */
  trimBound(ids: Iterable<string>): string | null {
    let bound: string | null = null;
    for (const id of ids) {
      if (!this.positions.has(id)) continue;
      const d = this.durable.get(id);
      if (d === undefined) return null;
      if (bound === null || compareStreamIds(d, bound) < 0) bound = d;
    }
    return bound;
  }
}
