import type { StationState } from '../../eventBus/types.js';

/** The list view: what a dashboard tile needs, without the raw windows. */
export function stationSummary(s: StationState, predictedWaitMin: number) {
  return {
    id: s.id,
    name: s.name,
    location: s.location,
    capacity: s.capacity,
    version: s.version,
    updatedAt: s.updatedAt,
    queueWaiting: s.queue.waiting,
    predictedWaitMin: Math.round(predictedWaitMin * 10) / 10,
    inventory: s.inventory,
    power: s.power,
    staff: s.staff.count,
    bays: s.bays,
    chargers: Object.values(s.chargers).map((c) => ({ id: c.id, status: c.status, tempC: c.tempC })),
  };
}
