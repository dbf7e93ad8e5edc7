// Plausible station signals for the load generator. A fixed share is "hot"
// (long queues, hot chargers, low stock, critical faults) so the agents
// decide on a realistic fraction of the traffic, not on none or on all of it.
import { randomUUID } from 'node:crypto';

export interface BenchStation {
  id: string;
  capacity: { bays: number; chargers: number; batterySlots: number };
}

type Payload = Record<string, unknown>;
export interface BenchSignal {
  id: string;
  stationId: string;
  type: string;
  ts: string;
  payload: Payload;
}

// Weights mirror a station that reports temperatures and queue lengths far
// more often than it completes swaps.
const MIX: readonly (readonly [string, number])[] = [
  ['queue_length', 20],
  ['charger_temp', 25],
  ['power_draw', 15],
  ['battery_stock', 10],
  ['charger_status', 10],
  ['arrival', 6],
  ['swap_completed', 6],
];
const TOTAL = MIX.reduce((s, [, w]) => s + w, 0);

type Random = () => number;
const int = (random: Random, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const real = (random: Random, lo: number, hi: number, digits = 1) => Number((lo + random() * (hi - lo)).toFixed(digits));

// Each station keeps its own clock that advances this much per signal it
// sends. The wall clock would not do: at bench rates one station sends ~100
// signals per wall second, so swap and arrival rates derived from ts would be
// far beyond any real station and the agents would decide on nearly everything.
const STATION_SECONDS_PER_SIGNAL = 2;

export class SignalGenerator {
  private next = 0;
  private readonly clocks: number[];

  /**
   * `hotShare` is the fraction of signals built to cross an agent threshold. A seeded `random` and a
   * fixed `startMs` (with ids from `idOf`) make the same signals every time, for offline runs.
   */
  constructor(
    private readonly stations: readonly BenchStation[],
    private readonly hotShare = 0.1,
    private readonly random: Random = Math.random,
    startMs = Date.now(),
    private readonly idOf: (n: number) => string = () => randomUUID(),
  ) {
    if (stations.length === 0) throw new Error('the load generator needs at least one registered station');
    this.clocks = stations.map(() => startMs);
  }

  make(): BenchSignal {
    // Round-robin over stations keeps each station's ts increasing and its load even.
    const n = this.next++;
    const i = n % this.stations.length;
    const station = this.stations[i];
    const random = this.random;
    this.clocks[i] += STATION_SECONDS_PER_SIGNAL * 1000 * (0.5 + random());
    let pick = random() * TOTAL;
    let type = MIX[0][0];
    for (const [t, w] of MIX) {
      if (pick < w) {
        type = t;
        break;
      }
      pick -= w;
    }
    const hot = random() < this.hotShare;
    return {
      id: this.idOf(n),
      stationId: station.id,
      type,
      ts: new Date(this.clocks[i]).toISOString(),
      payload: payloadFor(type, station, hot, random),
    };
  }
}

function payloadFor(type: string, s: BenchStation, hot: boolean, random: Random): Payload {
  const charger = `${s.id}-C${int(random, 1, Math.max(1, s.capacity.chargers))}`;
  switch (type) {
    case 'queue_length':
      return { waiting: hot ? int(random, 6 * s.capacity.bays, 12 * s.capacity.bays) : int(random, 0, s.capacity.bays) };
    case 'charger_temp':
      return { chargerId: charger, tempC: hot ? real(random, 74, 92) : real(random, 32, 55) };
    case 'power_draw':
      return { kW: hot ? real(random, 400, 600) : real(random, 40, 250) };
    case 'battery_stock': {
      const slots = s.capacity.batterySlots;
      const charged = hot ? int(random, 0, 2) : int(random, Math.floor(slots * 0.5), Math.floor(slots * 0.9));
      const charging = Math.max(0, slots - charged - int(random, 1, 3));
      return { charged, charging, depleted: Math.max(0, slots - charged - charging - 1), faulty: int(random, 0, 1) };
    }
    case 'charger_status':
      if (hot) return { chargerId: charger, status: 'faulted', errorCode: 'OverCurrentFailure' };
      return { chargerId: charger, status: random() < 0.5 ? 'available' : 'occupied' };
    case 'arrival':
      return { vehicleId: `EV-${int(random, 1000, 9999)}` };
    case 'swap_completed':
      return { durationS: hot ? real(random, 600, 900) : real(random, 90, 240) };
    default:
      throw new Error(`no payload for ${type}`);
  }
}
