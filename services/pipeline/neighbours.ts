// Which stations are near which, and the figures agents may compare against: shared by the live
// station store and the offline pipeline (evaluation, replay), so both see neighbours the same way.
import type { NearbyStation, StationRegistration, StationState } from '../../eventBus/types.js';
import { haversineKm } from '../../utils/geo.js';

export interface Neighbour {
  id: string;
  distanceKm: number;
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

/** What an agent may compare of a neighbour, as it is now. */
export function nearbyFigures(s: StationState, distanceKm: number, predictedWaitMin: number): NearbyStation {
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
  };
}
