// Named scenarios: each is a set of knobs on the same station model, so a
// scenario changes conditions (demand, weather, supply, prices), never the physics.

export type ScenarioName = 'normal' | 'rush_hour' | 'heatwave' | 'stockout' | 'price_spike';

export interface Scenario {
  name: ScenarioName;
  description: string;
  /** Multiplier on the daily arrival curve at a given minute of the run. */
  arrivalSurge(runMin: number): number;
  /** Ambient temperature: mean over the day and half the day-night swing, degC. */
  ambient: { meanC: number; swingC: number };
  /** Share of chargers with poor cooling (dusty filters, failing fans) and how much hotter they run. */
  poorCooling: { fraction: number; factor: [number, number] };
  /** Share of the station's packs charged at the start of the run. */
  initialChargedFraction: [number, number];
  /** Nominal charger power, kW; lower means slower recharge. */
  chargerPowerKW: number;
  /** Chance per charger per hour of a wear-out failure (preceded by intermittent faults). */
  wearFailurePerHour: number;
  /** Chance per charger per hour of a transient fault that clears by itself. */
  transientFaultPerHour: number;
  /** A window of the run (minutes) with an extreme market price. */
  priceSpike?: { fromMin: number; toMin: number; pricePerKWh: number };
}

const base: Omit<Scenario, 'name' | 'description'> = {
  arrivalSurge: () => 1,
  ambient: { meanC: 17, swingC: 5 },
  poorCooling: { fraction: 0.08, factor: [1.3, 1.6] },
  initialChargedFraction: [0.55, 0.75],
  chargerPowerKW: 60,
  wearFailurePerHour: 0.004,
  transientFaultPerHour: 0.01,
};

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  normal: { ...base, name: 'normal', description: 'an ordinary mild day' },
  rush_hour: {
    ...base,
    name: 'rush_hour',
    description: 'arrivals surge to about 3x from minute 15 to 75 of the run',
    // Smooth ramps: real surges build over a quarter hour rather than jumping.
    arrivalSurge: (m) => 1 + 2.2 * smoothWindow(m, 15, 75, 10),
  },
  heatwave: {
    ...base,
    name: 'heatwave',
    description: 'ambient near 40 degC; poorly cooled chargers overheat and trip',
    ambient: { meanC: 37, swingC: 4 },
    poorCooling: { fraction: 0.3, factor: [1.35, 1.7] },
  },
  stockout: {
    ...base,
    name: 'stockout',
    description: 'few charged packs at the start and slow (derated) recharge',
    initialChargedFraction: [0.1, 0.2],
    chargerPowerKW: 22,
    arrivalSurge: () => 1.3,
  },
  price_spike: {
    ...base,
    name: 'price_spike',
    description: 'the market price jumps to about 5x from minute 30 to 75 of the run',
    priceSpike: { fromMin: 30, toMin: 75, pricePerKWh: 1.35 },
  },
};

export function isScenarioName(name: string): name is ScenarioName {
  return Object.prototype.hasOwnProperty.call(SCENARIOS, name);
}

/** 0 outside [from, to], 1 inside, with cosine ramps of `rampMin` at each edge. */
function smoothWindow(m: number, from: number, to: number, rampMin: number): number {
  if (m <= from - rampMin || m >= to + rampMin) return 0;
  if (m >= from && m <= to) return 1;
  const d = m < from ? from - m : m - to;
  return 0.5 * (1 + Math.cos((Math.PI * d) / rampMin));
}
