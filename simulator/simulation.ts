// The simulator's public face: a seeded, lazily generated stream of station
// signals plus the ground truth behind them. No wall clock, no Math.random.
import type { GeoPoint, Signal, SignalPayloads, SignalType, StationRegistration } from '../eventBus/types.js';
import { hash32, IdFactory, Rng } from './rng.js';
import { SCENARIOS, type Scenario, type ScenarioName } from './scenarios.js';
import { StationSim, type Tick } from './station.js';
import { DEFAULT_CENTRE, placeStations, round } from './stations.js';
import { emptyTruth, resetTruth, type GroundTruth } from './truth.js';

/** Starts at 07:00 UTC so a default two-hour run covers the morning peak. */
export const DEFAULT_START = '2025-06-02T07:00:00.000Z';

export interface SimulationOptions {
  /** How many stations to place around the centre, or existing registrations to simulate. */
  stations: number | StationRegistration[];
  scenario: ScenarioName;
  seed: number;
  /** ISO 8601 start of simulated time. */
  start?: string;
  durationMin: number;
  /**
   * Seed of the station layout, apart from the run's `seed`: stations are
   * registered once and then fed many runs, so the city must not move with
   * each run. Default 1, the same city server.ts seeds for its demo.
   */
  citySeed?: number;
  centre?: GeoPoint;
  radiusKm?: number;
}

export interface Simulation {
  stations: StationRegistration[];
  scenario: Scenario;
  /**
   * Generates the run's signals in time order. Each call replays the run from
   * the start (same seed, same signals) and refills `truth` as it goes.
   */
  signals(): Generator<Signal>;
  truth: GroundTruth;
}

const QUARTER_S = 900;

export function createSimulation(opts: SimulationOptions): Simulation {
  const start = opts.start ?? DEFAULT_START;
  const startMs = Date.parse(start);
  if (!Number.isFinite(startMs)) throw new Error(`start is not an ISO 8601 time: ${start}`);
  const given = Array.isArray(opts.stations) ? opts.stations : null;
  if (given ? given.length === 0 : !Number.isInteger(opts.stations) || (opts.stations as number) < 1)
    throw new Error('stations must be a positive integer or a non-empty list');
  if (!(opts.durationMin > 0)) throw new Error('durationMin must be positive');
  const scenario = SCENARIOS[opts.scenario];
  if (!scenario) throw new Error(`unknown scenario: ${opts.scenario}`);
  const seed = opts.seed >>> 0;
  const stations = given
    ? given.map(({ id, name, location, capacity }) => ({ id, name, location: { ...location }, capacity: { ...capacity } }))
    : demoCity({ stations: opts.stations as number, seed: opts.citySeed ?? 1, centre: opts.centre, radiusKm: opts.radiusKm });
  const truth = emptyTruth({
    seed,
    scenario: scenario.name,
    start: new Date(startMs).toISOString(),
    durationMin: opts.durationMin,
    stationIds: stations.map((s) => s.id),
  });

  function* signals(): Generator<Signal> {
    resetTruth(truth);
    const ids = new IdFactory(seed);
    const durationS = Math.round(opts.durationMin * 60);
    let buffer: Signal[] = [];
    let tick: Tick = tickAt(startMs, 0);
    const sims = stations.map((reg, i) => {
      // One stream per station: a change in one station's draws never shifts another's.
      const rng = new Rng(hash32(`station:${seed}:${scenario.name}:${i}`));
      const emit = <K extends SignalType>(type: K, payload: SignalPayloads[K]): void => {
        buffer.push({ id: ids.next(), stationId: reg.id, type, ts: tick.ts, payload } as Signal);
      };
      return new StationSim(reg, rng, scenario, durationS, truth, emit, tick);
    });
    for (let t = 0; t < durationS; t++) {
      tick = tickAt(startMs, t);
      const absS = Math.floor(startMs / 1000) + t;
      const newQuarter = absS % QUARTER_S === 0;
      const price = t === 0 || newQuarter ? priceAt(seed, scenario, startMs, t) : null;
      for (const sim of sims) {
        if (t === 0) sim.start(tick, price ?? priceAt(seed, scenario, startMs, 0));
        else sim.step(tick, price);
      }
      if (buffer.length > 0) {
        const out = buffer;
        buffer = [];
        truth.counts.signals += out.length;
        yield* out;
      }
    }
    for (const sim of sims) sim.finish();
  }

  return { stations, scenario, signals, truth };
}

/** The stations a seed places around the centre, for registering before a run (or seeding a demo). */
export function demoCity(opts: { stations: number; seed: number; centre?: GeoPoint; radiusKm?: number }): StationRegistration[] {
  return placeStations(opts.stations, new Rng(hash32(`stations:${opts.seed >>> 0}`)), opts.centre ?? DEFAULT_CENTRE, opts.radiusKm);
}

function tickAt(startMs: number, t: number): Tick {
  const ms = startMs + t * 1000;
  const d = new Date(ms);
  return { t, ts: d.toISOString(), hour: d.getUTCHours() + d.getUTCMinutes() / 60 + d.getUTCSeconds() / 3600 };
}

/**
 * Market price for the quarter hour containing second `t` of the run: a
 * time-of-use curve, a little seeded noise per quarter, and the scenario's spike.
 * The same for every station, as they buy on one market.
 */
export function priceAt(seed: number, scenario: Scenario, startMs: number, t: number): SignalPayloads['grid_price'] {
  const quarterStartMs = Math.floor((startMs + t * 1000) / (QUARTER_S * 1000)) * QUARTER_S * 1000;
  const hour = new Date(quarterStartMs).getUTCHours();
  const tou = hour < 6 ? 0.18 : hour < 7 ? 0.24 : hour < 10 ? 0.34 : hour < 16 ? 0.26 : hour < 21 ? 0.38 : 0.22;
  const noise = new Rng(hash32(`price:${seed}:${quarterStartMs}`)).normal(0, 0.015);
  let price = tou + noise;
  const spike = scenario.priceSpike;
  const runMin = (quarterStartMs - startMs) / 60000;
  if (spike && runMin >= spike.fromMin && runMin < spike.toMin) price = spike.pricePerKWh + noise * 4;
  return {
    pricePerKWh: round(Math.max(0.01, price), 4),
    currency: 'EUR',
    validFrom: new Date(quarterStartMs).toISOString(),
    validTo: new Date(quarterStartMs + QUARTER_S * 1000).toISOString(),
  };
}
