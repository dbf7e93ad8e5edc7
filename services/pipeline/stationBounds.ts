// The edge's check of a signal's charger and pack ids against the station's capacity. One batch is
// checked before any of it is folded, so the check sees the folded state plus what the batch's earlier
// signals will add, retire or hand out, under the fold's own rules (stationFold.ts): the fold then
// finds room for every signal the edge accepted.
import type { Signal, StationState } from '../../eventBus/types.js';
import { own } from '../../utils/own.js';
import type { SignalError } from './signalSchemas.js';
import { leavesOnSwap, roomForCharger, roomForPack, STATE_LIMITS, type PackMark, type PackRoster } from './stationFold.js';

/** One station's packs: the state's, with the batch's changes over them (null: gone). */
class BatchPacks implements PackRoster {
  private readonly changed = new Map<string, PackMark | null>();
  size: number;

  constructor(private readonly base: StationState['batteries']) {
    this.size = Object.keys(base).length;
  }

  get(id: string): PackMark | undefined {
    return this.changed.has(id) ? (this.changed.get(id) ?? undefined) : own(this.base, id);
  }

  *entries(): Iterable<[string, PackMark]> {
    for (const e of Object.entries(this.base)) if (!this.changed.has(e[0])) yield e;
    for (const [id, m] of this.changed) if (m) yield [id, m];
  }

  set(id: string, mark: PackMark): void {
    if (!this.get(id)) this.size += 1;
    this.changed.set(id, mark);
  }

  remove(id: string): void {
    if (!this.get(id)) return;
    this.size -= 1;
    this.changed.set(id, null);
  }
}

/** Made per batch: what the batch's accepted signals so far do to each station's chargers and packs. */
export class BatchRosters {
  private readonly chargersAdded = new Map<string, Set<string>>();
  private readonly packs = new Map<string, BatchPacks>();

  /** A refusal naming the field, or null (and the signal's effect on the rosters is remembered). */
  check(state: StationState, signal: Signal): SignalError | null {
    switch (signal.type) {
      case 'charger_status':
      case 'charger_temp':
      case 'charging_session':
        return this.charger(state, signal.payload.chargerId);
      case 'battery_health':
        return this.pack(state, signal.payload.batteryId, signal.ts);
      case 'swap_completed': {
        const out = signal.payload.batteryOutId;
        if (out !== undefined) {
          const packs = this.packsOf(state);
          if (leavesOnSwap(packs.get(out))) packs.remove(out);
        }
        return null;
      }
      default:
        return null;
    }
  }

  private charger(state: StationState, id: string): SignalError | null {
    if (own(state.chargers, id)) return null;
    let added = this.chargersAdded.get(state.id);
    if (added?.has(id)) return null;
    const known = Object.keys(state.chargers).length + (added?.size ?? 0);
    if (!roomForCharger(known, state.capacity)) {
      const cap = state.capacity.chargers;
      return {
        code: 'VALIDATION_FAILED',
        field: 'payload.chargerId',
        message:
          `"payload.chargerId" ${id} would be a new charger, and station ${state.id} already has the ${cap} ` +
          `charger${cap === 1 ? '' : 's'} of its registered capacity: an admin raises capacity.chargers ` +
          `(PATCH /api/stations/${state.id}) before a new charger reports`,
      };
    }
    if (!added) this.chargersAdded.set(state.id, (added = new Set()));
    added.add(id);
    return null;
  }

  private pack(state: StationState, id: string, ts: string): SignalError | null {
    const packs = this.packsOf(state);
    const prev = packs.get(id);
    if (prev) {
      packs.set(id, { updatedAt: ts, quarantined: prev.quarantined });
      return null;
    }
    const slots = state.capacity.batterySlots;
    const retire = roomForPack(packs, slots, ts);
    if (!retire) {
      return {
        code: 'VALIDATION_FAILED',
        field: 'payload.batteryId',
        message:
          `"payload.batteryId" ${id} would be a new pack, and station ${state.id} already holds packs in all ` +
          `${slots} of its battery slots, none silent long enough to retire (${STATE_LIMITS.packStaleMin} min, ` +
          `${STATE_LIMITS.quarantinedPackStaleMin / 60} h if quarantined): a pack handed out (swap_completed.batteryOutId) ` +
          `leaves the list, and an admin raises capacity.batterySlots (PATCH /api/stations/${state.id})`,
      };
    }
    for (const r of retire) packs.remove(r);
    packs.set(id, { updatedAt: ts, quarantined: false });
    return null;
  }

  private packsOf(state: StationState): BatchPacks {
    let packs = this.packs.get(state.id);
    if (!packs) this.packs.set(state.id, (packs = new BatchPacks(state.batteries)));
    return packs;
  }
}
