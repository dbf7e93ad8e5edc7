// Warming the decision worker up before it takes real signals. Until V8 has compiled the agents and the
// supervisor, deciding one signal takes many times longer, and the first seconds of load after a start
// queued behind it: in a soak at 1,000 signals/s, 2,000 of the first 5,000 answers took over 50 ms
// (docs/measurements.md). So the worker first decides a fixed run of made-up signals for made-up
// stations, on a Decider of their own that is then dropped: nothing of it reaches a real state, the
// bus or a log, and the run is the same at every start (no clock, no randomness).
import type { Signal, StationRegistration } from '../../eventBus/types.js';
import { initialState } from './stationFold.js';
import { Decider, type AgentSettings, type Reach } from './decider.js';

/** Signals decided before the first real one: about 0.5 s of one core once, at start. */
export const WARM_UP_SIGNALS = 5000;

const STATIONS = 6;
const CAPACITY = { bays: 4, chargers: 6, batterySlots: 24 };
/** The made-up stations' clock: a fixed start, advancing two seconds per signal of a station. */
const START_MS = Date.parse('2026-01-01T00:00:00.000Z');
const STEP_MS = 2000;

// A station's usual mix: temperatures and queues far more often than swaps.
const MIX = [
  'queue_length',
  'charger_temp',
  'charger_temp',
  'power_draw',
  'battery_stock',
  'charger_status',
  'arrival',
  'swap_completed',
  'battery_health',
  'queue_length',
] as const;

/** A small deterministic generator (Park-Miller), so the run is the same at every start. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

function registrations(): StationRegistration[] {
  // Close together, so the neighbours' figures are read as for a real city.
  return Array.from({ length: STATIONS }, (_, i) => ({
    id: `warm-up-${i + 1}`,
    name: `warm-up ${i + 1}`,
    location: { lat: 52.5 + i * 0.01, lng: 13.4 + i * 0.01 },
    capacity: { ...CAPACITY },
  }));
}

/** The n-th made-up signal: one in ten hot (long queues, hot or faulted chargers, low stock, dear power). */
function signalOf(n: number, random: () => number): Signal {
  const station = n % STATIONS;
  const stationId = `warm-up-${station + 1}`;
  const ts = new Date(START_MS + Math.floor(n / STATIONS) * STEP_MS).toISOString();
  const hot = random() < 0.1;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const chargerId = `${stationId}-C${int(1, CAPACITY.chargers)}`;
  const base = { id: `warm-up-${n}`, stationId, ts };
  const type = MIX[n % MIX.length];
  switch (type) {
    case 'queue_length':
      return { ...base, type, payload: { waiting: hot ? int(20, 40) : int(0, 4) } };
    case 'charger_temp':
      return { ...base, type, payload: { chargerId, tempC: hot ? int(74, 92) : int(32, 55) } };
    case 'power_draw':
      return { ...base, type, payload: { kW: hot ? int(400, 600) : int(40, 250) } };
    case 'battery_stock': {
      const charged = hot ? int(0, 2) : int(12, 20);
      const charging = Math.max(0, CAPACITY.batterySlots - charged - 2);
      return { ...base, type, payload: { charged, charging, depleted: 1, faulty: int(0, 1) } };
    }
    case 'charger_status':
      return {
        ...base,
        type,
        payload: hot
          ? { chargerId, status: 'faulted', errorCode: 'OverCurrentFailure' }
          : { chargerId, status: random() < 0.5 ? 'available' : 'occupied' },
      };
    case 'arrival':
      return { ...base, type, payload: { vehicleId: `EV-${int(1000, 9999)}` } };
    case 'swap_completed':
      return { ...base, type, payload: { durationS: hot ? int(600, 900) : int(90, 240) } };
    case 'battery_health':
      return {
        ...base,
        type,
        payload: {
          batteryId: `${stationId}-B${int(1, 12)}`,
          sohPct: hot ? int(60, 75) : int(85, 99),
          cycles: int(100, 900),
          tempC: hot ? int(50, 60) : int(20, 35),
        },
      };
  }
}

/** The made-up run, the same every time. */
export function* warmUpSignals(count = WARM_UP_SIGNALS): Generator<Signal> {
  const random = lcg(7);
  for (let n = 0; n < count; n++) yield signalOf(n, random);
}

/** Decides the made-up run on a throwaway Decider with the live settings; returns how many decisions it made. */
export function warmUp(settings: AgentSettings, reach: Reach, count = WARM_UP_SIGNALS): number {
  const decider = new Decider(registrations().map(initialState), settings, reach);
  let decided = 0;
  for (const signal of warmUpSignals(count)) if (decider.step(signal).decision) decided++;
  return decided;
}
