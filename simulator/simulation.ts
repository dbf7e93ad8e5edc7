// The simulator's public face: a seeded, lazily generated stream of station
// signals plus the ground truth behind them. No wall clock, no Math.random.
import type { GeoPoint, PlanAction, Signal, SignalPayloads, SignalType, StationPlan, StationRegistration } from '../eventBus/types.js';
import { haversineKm } from '../utils/geo.js';
import { controlsFromPlan, DEFAULT_WORLD, type StationControls, type WorldParams } from './controls.js';
import { hash32, IdFactory, Rng } from './rng.js';
import { SCENARIOS, type Scenario, type ScenarioName } from './scenarios.js';
import { StationSim, type Tick, type Vehicle } from './station.js';
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
  /** The closed loop's behavioural parameters (DEFAULT_WORLD unless the evaluation tries others). */
  world?: Partial<WorldParams>;
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
  world: WorldParams;
  /**
   * The closed loop: puts a station's plan in force in the running world from the next simulated second
   * (kW caps, isolation, deferral, priority, bays, offers), and carries out what the decision started
   * once (a remote reset, a rebalance transport). Call it between signals of a running `signals()`.
   */
  act(stationId: string, plan: StationPlan, started: readonly PlanAction[]): void;
  /**
   * The closed loop at the equipment rather than the plan (the OCPP charge points of `npm run simulate --
   * --ocpp`): puts these controls in force at a station from the next simulated second. False while no
   * run is going or the station is not in it.
   */
  control(stationId: string, controls: StationControls): boolean;
  /** A remote reset of one charger, as `act` carries out a started reset_charger: whether it cleared a fault. */
  reset(stationId: string, chargerId: string): boolean;
  /** The controls in force at a station of the running world, or null. */
  controlsOf(stationId: string): StationControls | null;
}

interface Transfer {
  from: string;
  to: string;
  packs: number;
  dispatchS: number;
  etaS: number;
  loaded: number | null;
}

const QUARTER_S = 900;
/** Quarter hours of past prices a run starts with (one day). */
const PRICE_HISTORY_QUARTERS = 96;

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

  const world: WorldParams = { ...DEFAULT_WORLD, ...opts.world };
  const byId = new Map(stations.map((r) => [r.id, r]));
  const km = (a: string, b: string) => haversineKm(byId.get(a)!.location, byId.get(b)!.location);
  // The running world, for `act` (a new `signals()` starts a new one).
  let run: {
    sims: Map<string, StationSim>;
    tick: Tick;
    arrivals: { atS: number; to: string; vehicle: Vehicle }[];
    transfers: Transfer[];
  } | null = null;

  function* signals(): Generator<Signal> {
    resetTruth(truth);
    const ids = new IdFactory(seed);
    const durationS = Math.round(opts.durationMin * 60);
    let buffer: Signal[] = [];
    let tick: Tick = tickAt(startMs, 0);
    const arrivals: { atS: number; to: string; vehicle: Vehicle }[] = [];
    const transfers: Transfer[] = [];
    const host = {
      redirect(from: StationSim, to: string, vehicle: Vehicle): void {
        const target = byId.has(to) ? to : from.reg.id;
        const driveS = target === from.reg.id ? 0 : Math.round((km(from.reg.id, target) / world.driveSpeedKmh) * 3600);
        arrivals.push({ atS: tick.t + Math.max(1, driveS), to: target, vehicle: { ...vehicle, redirectedFrom: from.reg.id } });
      },
    };
    const sims = stations.map((reg, i) => {
      // One stream per station: a change in one station's draws never shifts another's.
      const rng = new Rng(hash32(`station:${seed}:${scenario.name}:${i}`));
      const actRng = new Rng(hash32(`act:${seed}:${scenario.name}:${i}`));
      const emit = <K extends SignalType>(type: K, payload: SignalPayloads[K]): void => {
        buffer.push({ id: ids.next(), stationId: reg.id, type, ts: tick.ts, payload } as Signal);
      };
      return new StationSim(reg, rng, scenario, durationS, truth, emit, tick, actRng, host, world);
    });
    const simById = new Map(sims.map((x) => [x.reg.id, x]));
    // A station's price feed starts with the last day of quarter-hour prices, as a market publishes them:
    // price-aware charging needs to know what dear and cheap mean before the first hour of the run is over.
    const history = Array.from({ length: PRICE_HISTORY_QUARTERS }, (_, k) =>
      priceAt(seed, scenario, startMs, (k - PRICE_HISTORY_QUARTERS) * QUARTER_S),
    );
    run = { sims: simById, tick, arrivals, transfers };
    for (let t = 0; t < durationS; t++) {
      tick = tickAt(startMs, t);
      run.tick = tick;
      if (t > 0) moveDriversAndPacks(t, simById, arrivals, transfers, truth);
      const absS = Math.floor(startMs / 1000) + t;
      const newQuarter = absS % QUARTER_S === 0;
      const price = t === 0 || newQuarter ? priceAt(seed, scenario, startMs, t) : null;
      for (const sim of sims) {
        if (t === 0) sim.start(tick, price ?? priceAt(seed, scenario, startMs, 0), history);
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

  function act(stationId: string, plan: StationPlan, started: readonly PlanAction[]): void {
    const sim = run?.sims.get(stationId);
    if (!run || !sim) return;
    sim.applyControls(controlsFromPlan(plan, world));
    for (const a of started) {
      if (a.status !== 'active') continue;
      if (
        a.action === 'reset_charger' &&
        sim.resetCharger(a.target === 'station' ? String(a.params.chargerId) : a.target, world.resetSuccess)
      )
        truth.counts.resetsCleared += 1;
      if (a.action === 'request_rebalance') {
        const from = String(a.params.fromStationId);
        if (!run.sims.has(from) || from === stationId) continue;
        const dispatchS = run.tick.t + Math.round(world.loadMinutes * 60);
        const etaS = dispatchS + Math.round((km(from, stationId) / world.transportSpeedKmh) * 3600);
        run.transfers.push({
          from,
          to: stationId,
          packs: Math.min(Number(a.params.packs) || 0, world.transportCapacity),
          dispatchS,
          etaS,
          loaded: null,
        });
      }
    }
  }

  function control(stationId: string, controls: StationControls): boolean {
    const sim = run?.sims.get(stationId);
    if (!sim) return false;
    sim.applyControls(controls);
    return true;
  }

  function reset(stationId: string, chargerId: string): boolean {
    const sim = run?.sims.get(stationId);
    if (!sim || !sim.resetCharger(chargerId, world.resetSuccess)) return false;
    truth.counts.resetsCleared += 1;
    return true;
  }

  const controlsOf = (stationId: string): StationControls | null => run?.sims.get(stationId)?.controlsInForce ?? null;

  return { stations, scenario, signals, truth, world, act, control, reset, controlsOf };
}

/** Drivers an offer sent arrive after their drive; transports load at the donor and unload at the receiver. */
function moveDriversAndPacks(
  t: number,
  sims: Map<string, StationSim>,
  arrivals: { atS: number; to: string; vehicle: Vehicle }[],
  transfers: Transfer[],
  truth: GroundTruth,
): void {
  for (let i = 0; i < arrivals.length;) {
    const a = arrivals[i]!;
    if (a.atS > t) {
      i++;
      continue;
    }
    arrivals.splice(i, 1);
    sims.get(a.to)?.arriveRedirected(a.vehicle);
  }
  for (let i = 0; i < transfers.length;) {
    const x = transfers[i]!;
    if (x.loaded === null && t >= x.dispatchS) x.loaded = sims.get(x.from)?.givePacks(x.packs) ?? 0;
    if (x.loaded !== null && t >= x.etaS) {
      transfers.splice(i, 1);
      const got = sims.get(x.to)?.receivePacks(x.loaded);
      if (got) {
        truth.counts.rebalancedPacks += got.taken;
        // The depleted packs exchanged go back to the donor (the trip back is not timed).
        sims.get(x.from)?.takeBack(got.returned);
      }
      continue;
    }
    i++;
  }
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
