// Which stations are near which, and the figures agents may compare against: shared by the live
// station store and the offline pipeline (evaluation, replay), so both see neighbours the same way.
import type { AgentThresholds, NearbyStation, StationRegistration, StationState } from '../../eventBus/types.js';
import { haversineKm } from '../../utils/geo.js';
import { DEFAULT_PACK_CHARGE_MINUTES, servicePerMin, stationWaitMin, stockView } from '../../agents/index.js';

export interface Neighbour {
  id: string;
  distanceKm: number;
}

/**
 * How far the pipeline looks for neighbours: as far as the farther of the two agents that use them
 * (traffic sends drivers, logistics moves packs), and at most 10 of them. The live station store and
 * every offline run (evaluation, replay, benchmarks) use this, so they see the same neighbours.
 */
export function nearbyReach(t: AgentThresholds): { nearbyKm: number; maxNearby: number } {
  return { nearbyKm: Math.max(t.traffic.nearbyKm, t.logistics.nearbyKm), maxNearby: 10 };
}

export const byDistance = (x: Neighbour, y: Neighbour) => x.distanceKm - y.distanceKm || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);

/** Stations within `nearbyKm` of `of`, nearest first (ties by id), at most `limit`. */
export function neighbourList(
  of: StationRegistration,
  candidates: Iterable<StationRegistration>,
  nearbyKm: number,
  limit: number,
): Neighbour[] {
  const list: Neighbour[] = [];
  for (const b of candidates) {
    if (b.id === of.id) continue;
    const distanceKm = Math.round(haversineKm(of.location, b.location) * 1000) / 1000;
    if (distanceKm <= nearbyKm) list.push({ id: b.id, distanceKm });
  }
  return list.sort(byDistance).slice(0, limit);
}

/** What others ask of a station through their plans: packs pledged to rebalances, drivers their incentives send it. */
export interface Pledges {
  pledgedPacks: number;
  redirectedInPerMin: number;
}

/**
 * What the stations near `s` have put in force against it. Only a station within reach can claim its
 * packs or send it drivers, so its own neighbours' plans are all there is to read (no global ledger).
 * Packs count as pledged until they leave (the job's `dispatchAt`); then the donor's stock shows them gone.
 */
export function pledgesOn(s: StationState, neighbours: Iterable<StationState>, now: string): Pledges {
  const out: Pledges = { pledgedPacks: 0, redirectedInPerMin: 0 };
  for (const n of neighbours) {
    for (const a of n.plan.actions) {
      if (a.status !== 'active') continue;
      if (a.action === 'request_rebalance' && a.params.fromStationId === s.id && !(String(a.params.dispatchAt) <= now))
        out.pledgedPacks += Number(a.params.packs) || 0;
      else if (a.action === 'offer_incentive' && a.params.targetStationId === s.id)
        out.redirectedInPerMin += a.claims[`drivers@${s.id}`] ?? 0;
    }
  }
  out.redirectedInPerMin = Math.round(out.redirectedInPerMin * 1000) / 1000;
  return out;
}

/** What an agent may compare of a neighbour, as it is now. */
export function nearbyFigures(s: StationState, distanceKm: number, predictedWaitMin: number, pledges: Pledges): NearbyStation {
  const view = stockView(s, DEFAULT_PACK_CHARGE_MINUTES, true);
  const net = view ? Math.max(0, view.drainRatePerMin - view.rechargeRatePerMin) : 0;
  return {
    id: s.id,
    name: s.name,
    distanceKm,
    predictedWaitMin,
    charged: s.inventory.charged,
    batterySlots: s.capacity.batterySlots,
    staff: s.staff.count,
    openBays: s.bays.open,
    queueWaiting: s.queue.waiting,
    netDrainPerMin: Math.round(net * 1000) / 1000,
    pledgedPacks: pledges.pledgedPacks,
    redirectedInPerMin: pledges.redirectedInPerMin,
    servicePerMin: Math.round(servicePerMin(s) * 1000) / 1000,
  };
}

/**
 * Who is near whom among a set of live stations, and what agents may compare of them. The station
 * store (for reads) and the decision worker (for agents) each keep one over their own copy of the
 * states; both are changed by the same registrations in the same order, so they hold the same lists.
 */
export class Neighbourhood {
  private lists = new Map<string, Neighbour[]>();
  /** Predicted wait per station, recomputed only when the station's state has changed. */
  private readonly waits = new Map<string, { version: number; wait: number }>();

  constructor(
    private readonly states: ReadonlyMap<string, StationState>,
    private readonly reach: { nearbyKm: number; maxNearby: number },
  ) {}

  predictedWait(s: StationState): number {
    const hit = this.waits.get(s.id);
    if (hit && hit.version === s.version) return hit.wait;
    const wait = stationWaitMin(s);
    this.waits.set(s.id, { version: s.version, wait });
    return wait;
  }

  /** Nearest registered stations with what agents compare at `now` (the signal's time), nearest first. */
  nearby(stationId: string, now: string): NearbyStation[] {
    const out: NearbyStation[] = [];
    for (const n of this.lists.get(stationId) ?? []) {
      const s = this.states.get(n.id);
      if (!s) continue;
      out.push(nearbyFigures(s, n.distanceKm, this.predictedWait(s), pledgesOn(s, this.statesNear(n.id), now)));
    }
    return out;
  }

  private *statesNear(id: string): Iterable<StationState> {
    for (const m of this.lists.get(id) ?? []) {
      const s = this.states.get(m.id);
      if (s) yield s;
    }
  }

  /** Every list again (at load, and when a station leaves). */
  rebuild(): void {
    const all = [...this.states.values()];
    this.lists = new Map(all.map((a) => [a.id, neighbourList(a, all, this.reach.nearbyKm, this.reach.maxNearby)]));
    for (const id of this.waits.keys()) if (!this.states.has(id)) this.waits.delete(id);
  }

  /** A station that joined (already in the states): O(n log k), not a rebuild (seeding 1,000 stations). */
  add(added: StationState): void {
    // Every station in reach may now have the new one among its nearest, not only the new one's nearest.
    const inReach = neighbourList(added, this.states.values(), this.reach.nearbyKm, Infinity);
    this.lists.set(added.id, inReach.slice(0, this.reach.maxNearby));
    for (const n of inReach) {
      const list = this.lists.get(n.id)!;
      list.push({ id: added.id, distanceKm: n.distanceKm });
      list.sort(byDistance);
      if (list.length > this.reach.maxNearby) list.length = this.reach.maxNearby;
    }
  }
}
