// Which stations are near which, and the figures agents may compare against: shared by the live
// station store and the offline pipeline (evaluation, replay), so both see neighbours the same way.
import type { AgentThresholds, NearbyStation, StationRegistration, StationState } from '../../eventBus/types.js';
import { haversineKm } from '../../utils/geo.js';
import { DEFAULT_PACK_CHARGE_MINUTES, servicePerMin, stockView } from '../../agents/index.js';

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
