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

const int = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
const real = (lo: number, hi: number, digits = 1) => Number((lo + Math.random() * (hi - lo)).toFixed(digits));

// Each station keeps its own clock that advances this much per signal it
// sends. The wall clock would not do: at bench rates one station sends ~100
// signals per wall second, so swap and arrival rates derived from ts would be
// far beyond any real station and the agents would decide on nearly everything.
const STATION_SECONDS_PER_SIGNAL = 2;

export class SignalGenerator {
  private next = 0;
  private readonly clocks: number[];

  /** `hotShare` is the fraction of signals built to cross an agent threshold. */
  constructor(
    private readonly stations: readonly BenchStation[],
    private readonly hotShare = 0.1,
  ) {
    if (stations.length === 0) throw new Error('the load generator needs at least one registered station');
    this.clocks = stations.map(() => Date.now());
  }

  make(): BenchSignal {
    // Round-robin over stations keeps each station's ts increasing and its load even.
    const i = this.next++ % this.stations.length;
    const station = this.stations[i];
    this.clocks[i] += STATION_SECONDS_PER_SIGNAL * 1000 * (0.5 + Math.random());
    let pick = Math.random() * TOTAL;
    let type = MIX[0][0];
    for (const [t, w] of MIX) {
      if (pick < w) {
        type = t;
        break;
      }
      pick -= w;
    }
    const hot = Math.random() < this.hotShare;
    return {
      id: randomUUID(),
      stationId: station.id,
      type,
      ts: new Date(this.clocks[i]).toISOString(),
      payload: payloadFor(type, station, hot),
    };
  }
}

function payloadFor(type: string, s: BenchStation, hot: boolean): Payload {
  const charger = `${s.id}-C${int(1, Math.max(1, s.capacity.chargers))}`;
  switch (type) {
    case 'queue_length':
      return { waiting: hot ? int(6 * s.capacity.bays, 12 * s.capacity.bays) : int(0, s.capacity.bays) };
    case 'charger_temp':
      return { chargerId: charger, tempC: hot ? real(74, 92) : real(32, 55) };
    case 'power_draw':
      return { kW: hot ? real(400, 600) : real(40, 250) };
    case 'battery_stock': {
      const slots = s.capacity.batterySlots;
      const charged = hot ? int(0, 2) : int(Math.floor(slots * 0.5), Math.floor(slots * 0.9));
      const charging = Math.max(0, slots - charged - int(1, 3));
      return { charged, charging, depleted: Math.max(0, slots - charged - charging - 1), faulty: int(0, 1) };
    }
    case 'charger_status':
      if (hot) return { chargerId: charger, status: 'faulted', errorCode: 'OverCurrentFailure' };
      return { chargerId: charger, status: Math.random() < 0.5 ? 'available' : 'occupied' };
    case 'arrival':
      return { vehicleId: `EV-${int(1000, 9999)}` };
    case 'swap_completed':
      return { durationS: hot ? real(600, 900) : real(90, 240) };
    default:
      throw new Error(`no payload for ${type}`);
  }
}
