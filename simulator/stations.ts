// Where the simulated stations stand and how big they are.
import type { GeoPoint, StationRegistration } from '../eventBus/types.js';
import type { Rng } from './rng.js';

export const DEFAULT_CENTRE: GeoPoint = { lat: 52.52, lng: 13.405 };
const KM_PER_DEG_LAT = 111.32;
const COMPASS = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'] as const;

export function stationId(index: number): string {
  return `st-${String(index + 1).padStart(3, '0')}`;
}

/** Stations spread uniformly over a disc of `radiusKm` around the centre (sqrt keeps density even). */
export function placeStations(count: number, rng: Rng, centre: GeoPoint = DEFAULT_CENTRE, radiusKm = 10): StationRegistration[] {
  const stations: StationRegistration[] = [];
  for (let i = 0; i < count; i++) {
    const r = radiusKm * Math.sqrt(rng.next());
    const theta = rng.uniform(0, 2 * Math.PI);
    const dLat = (r * Math.cos(theta)) / KM_PER_DEG_LAT;
    const dLng = (r * Math.sin(theta)) / (KM_PER_DEG_LAT * Math.cos((centre.lat * Math.PI) / 180));
    const bays = rng.int(2, 4);
    const chargers = rng.int(6, 10);
    // Compass bearing from north, clockwise: theta is measured from north towards east here.
    const sector = COMPASS[Math.round(theta / (Math.PI / 4)) % 8] ?? 'N';
    const id = stationId(i);
    stations.push({
      id,
      name: `Swap ${id.slice(3)} ${sector} ${r.toFixed(1)} km`,
      location: { lat: round(centre.lat + dLat, 6), lng: round(centre.lng + dLng, 6) },
      capacity: { bays, chargers, batterySlots: chargers * 2 + bays * 5 },
    });
  }
  return stations;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
