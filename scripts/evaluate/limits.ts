// What bounds a scenario whatever a policy does, measured on the `none` runs: when drivers are lost
// because no station near them has a charged pack, moving packs or drivers cannot serve them; only
// charging more can, and chargers that are already busy cannot charge more. The report quotes these
// figures where a lost-swaps target is missed.
import { createSimulation, type ScenarioName } from '../../simulator/index.js';

export interface WorldLimits {
  /** Drivers lost (reneged or turned away) over the runs. */
  lost: number;
  /** Share of them lost while their station had no charged pack. */
  lostOnEmptyShelf: number;
  /** Median charged packs in the whole city (all stations) at the moments drivers were lost. */
  cityChargedAtLossMedian: number | null;
  /** The city's pack slots, for scale. */
  citySlots: number;
  /** Share of charger-time spent holding a pack (charging it, or full and waiting to be taken), over the runs. */
  chargerBusyShare: number;
}

export function worldLimits(o: { scenario: ScenarioName; seeds: number[]; stations: number; durationMin: number }): WorldLimits {
  let lost = 0;
  let onEmpty = 0;
  const cityAtLoss: number[] = [];
  let busyS = 0;
  let chargerS = 0;
  let citySlots = 0;
  for (const seed of o.seeds) {
    const sim = createSimulation({ stations: o.stations, scenario: o.scenario, seed, durationMin: o.durationMin });
    citySlots = sim.stations.reduce((n, s) => n + s.capacity.batterySlots, 0);
    const charged = new Map<string, number>();
    let city = 0;
    // Per charger: its status and since when (seconds into the run).
    const chargers = new Map<string, { occupied: boolean; sinceS: number }>();
    const t0 = Date.parse(sim.truth.start);
    let seen = 0;
    for (const s of sim.signals()) {
      const tS = (Date.parse(s.ts) - t0) / 1000;
      if (s.type === 'battery_stock') {
        city += s.payload.charged - (charged.get(s.stationId) ?? 0);
        charged.set(s.stationId, s.payload.charged);
      } else if (s.type === 'charger_status') {
        const key = `${s.stationId}/${s.payload.chargerId}`;
        const was = chargers.get(key);
        if (was?.occupied) busyS += tS - was.sinceS;
        chargers.set(key, { occupied: s.payload.status === 'occupied', sinceS: tS });
      }
      // Drivers lost since the last signal, with the stock as it stood.
      for (; seen < sim.truth.waits.length; seen++) {
        const w = sim.truth.waits[seen]!;
        if (w.outcome !== 'reneged' && w.outcome !== 'turned_away') continue;
        lost += 1;
        if ((charged.get(w.stationId) ?? 0) === 0) onEmpty += 1;
        cityAtLoss.push(city);
      }
    }
    const endS = o.durationMin * 60;
    for (const c of chargers.values()) if (c.occupied) busyS += endS - c.sinceS;
    chargerS += sim.stations.reduce((n, s) => n + s.capacity.chargers, 0) * endS;
  }
  cityAtLoss.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    lost,
    lostOnEmptyShelf: lost ? r(onEmpty / lost) : 0,
    cityChargedAtLossMedian: cityAtLoss.length ? cityAtLoss[Math.floor(cityAtLoss.length / 2)]! : null,
    citySlots,
    chargerBusyShare: chargerS ? r(busyS / chargerS) : 0,
  };
}
