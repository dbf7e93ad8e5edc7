import { expect } from 'chai';
import type { Signal, SignalType } from '../../eventBus/types.js';
import { createSimulation, SCENARIOS, type ScenarioName, type SimulationOptions } from '../../simulator/index.js';
import { IdFactory, Rng } from '../../simulator/rng.js';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import { OfflinePipeline, applySignal, initialState, policyVersionOf } from '../../services/pipeline/index.js';
import { BatchRosters } from '../../services/pipeline/stationBounds.js';
import type { StationState } from '../../eventBus/types.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TYPES: SignalType[] = [
  'queue_length',
  'arrival',
  'swap_completed',
  'battery_stock',
  'battery_health',
  'charger_status',
  'charger_temp',
  'power_draw',
  'grid_limit',
  'grid_price',
  'staff_on_duty',
  'bay_status',
];

function run(opts: Partial<SimulationOptions> & { scenario: ScenarioName }) {
  const sim = createSimulation({ stations: 6, seed: 7, durationMin: 90, ...opts });
  const signals = [...sim.signals()];
  return { sim, signals, truth: sim.truth };
}

const isCount = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;

/** Returns a reason when the signal breaks its payload type or physical ranges, else null. */
function problem(s: Signal, stationIds: Set<string>): string | null {
  if (!UUID_V4.test(s.id)) return 'id is not UUID v4-shaped';
  if (!stationIds.has(s.stationId)) return 'unknown station';
  if (Number.isNaN(Date.parse(s.ts)) || new Date(s.ts).toISOString() !== s.ts) return 'ts is not ISO 8601';
  const p = s.payload;
  switch (s.type) {
    case 'queue_length':
      return isCount(s.payload.waiting) ? null : 'waiting';
    case 'arrival':
      return typeof s.payload.vehicleId === 'string' ? null : 'vehicleId';
    case 'swap_completed':
      return s.payload.durationS > 0 && s.payload.durationS < 900 && !!s.payload.batteryOutId && !!s.payload.batteryInId ? null : 'swap';
    case 'battery_stock':
      return [s.payload.charged, s.payload.charging, s.payload.depleted, s.payload.faulty].every(isCount) ? null : 'stock';
    case 'battery_health':
      return s.payload.sohPct > 0 && s.payload.sohPct <= 100 && isCount(s.payload.cycles) && s.payload.tempC > -20 && s.payload.tempC < 70
        ? null
        : 'health';
    case 'charger_status': {
      const ok = ['available', 'occupied', 'faulted', 'offline'].includes(s.payload.status);
      const codeOk = s.payload.status === 'faulted' ? typeof s.payload.errorCode === 'string' : s.payload.errorCode === undefined;
      return ok && codeOk ? null : 'charger status';
    }
    case 'charger_temp':
      return s.payload.chargerId.startsWith(`${s.stationId}-C`) && s.payload.tempC > -20 && s.payload.tempC < 100 ? null : 'charger temp';
    case 'power_draw':
    case 'grid_limit':
      return s.payload.kW >= 0 && s.payload.kW < 2000 ? null : 'kW';
    case 'grid_price':
      return s.payload.pricePerKWh > 0 &&
        s.payload.pricePerKWh < 5 &&
        s.payload.currency === 'EUR' &&
        s.payload.validFrom < s.payload.validTo
        ? null
        : 'price';
    case 'staff_on_duty':
      return isCount(s.payload.count) && s.payload.count > 0 ? null : 'staff';
    case 'bay_status':
      return isCount(s.payload.open) ? null : 'bays';
    default:
      return `unknown type ${(s as { type: string }).type} ${JSON.stringify(p)}`;
  }
}

describe('simulator', () => {
  it('replays the same signals, ids and truth for the same seed', () => {
    const a = run({ scenario: 'heatwave' });
    const b = run({ scenario: 'heatwave' });
    expect(b.signals).to.deep.equal(a.signals);
    expect(b.truth).to.deep.equal(a.truth);
    expect(b.sim.stations).to.deep.equal(a.sim.stations);
  });

  it('replays the run from the start when signals() is called again', () => {
    const sim = createSimulation({ stations: 3, seed: 3, scenario: 'normal', durationMin: 30 });
    const first = [...sim.signals()];
    const truthFirst = structuredClone(sim.truth);
    const second = [...sim.signals()];
    expect(second).to.deep.equal(first);
    expect(sim.truth).to.deep.equal(truthFirst);
  });

  it('gives different runs for different seeds', () => {
    const a = run({ scenario: 'normal', seed: 1, durationMin: 20 });
    const b = run({ scenario: 'normal', seed: 2, durationMin: 20 });
    expect(b.signals[0]?.id).to.not.equal(a.signals[0]?.id);
    // The city stays put across run seeds (stations are registered once); its own seed moves it.
    expect(b.sim.stations).to.deep.equal(a.sim.stations);
    expect(run({ scenario: 'normal', seed: 1, citySeed: 2, durationMin: 1 }).sim.stations[0]?.location).to.not.deep.equal(
      a.sim.stations[0]?.location,
    );
  });

  it('places stations within about 10 km of the centre with sane capacity', () => {
    const { sim } = run({ scenario: 'normal', stations: 30, durationMin: 1 });
    sim.stations.forEach((st, i) => {
      expect(st.id).to.equal(`st-${String(i + 1).padStart(3, '0')}`);
      expect(Math.abs(st.location.lat - 52.52)).to.be.below(0.1);
      expect(Math.abs(st.location.lng - 13.405)).to.be.below(0.15);
      expect(st.capacity.bays).to.be.within(1, 6);
      expect(st.capacity.batterySlots).to.be.above(st.capacity.chargers);
    });
  });

  for (const scenario of Object.keys(SCENARIOS) as ScenarioName[]) {
    it(`emits only valid signals in time order with unique ids (${scenario})`, () => {
      const { sim, signals } = run({ scenario });
      const stationIds = new Set(sim.stations.map((s) => s.id));
      const problems = signals.map((s) => problem(s, stationIds)).filter((p) => p !== null);
      expect(problems.slice(0, 5)).to.deep.equal([]);
      expect(new Set(signals.map((s) => s.id)).size).to.equal(signals.length);
      for (let i = 1; i < signals.length; i++) expect(signals[i]!.ts >= signals[i - 1]!.ts).to.equal(true);
      expect(new Set(signals.map((s) => s.type))).to.include.members(TYPES);
    });
  }

  it('keeps stock counts inside the station and emits sensors at their rates', () => {
    const { sim, signals } = run({ scenario: 'normal', durationMin: 60 });
    const st = sim.stations[0]!;
    const mine = signals.filter((s) => s.stationId === st.id);
    for (const s of mine) {
      if (s.type !== 'battery_stock') continue;
      const { charged, charging, depleted, faulty } = s.payload;
      // A pack being swapped is in the robot, counted neither out nor in.
      expect(charged + charging + depleted + faulty).to.be.within(st.capacity.batterySlots - st.capacity.bays, st.capacity.batterySlots);
      expect(charging).to.be.at.most(st.capacity.chargers);
    }
    const count = (type: SignalType) => mine.filter((s) => s.type === type).length;
    expect(count('battery_stock')).to.be.within(59, 62);
    expect(count('power_draw')).to.be.within(59, 62);
    expect(count('charger_temp')).to.be.within(59 * st.capacity.chargers, 62 * st.capacity.chargers);
    expect(count('queue_length')).to.be.at.least(119);
    // The feed starts with the last day's 96 quarter-hour prices, then one per quarter hour of the run.
    const prices = mine.filter((s) => s.type === 'grid_price');
    const start = Date.parse(sim.truth.start);
    const past = prices.filter((s) => Date.parse(s.payload.validTo) <= start);
    expect(past).to.have.length(96);
    expect(past.every((s) => s.ts === sim.truth.start)).to.equal(true);
    expect(prices.length - past.length).to.be.within(4, 5);
  });

  it('records waits for arriving vehicles and counts swaps like the signals do', () => {
    const { signals, truth } = run({ scenario: 'rush_hour' });
    const arrivals = signals.filter((s) => s.type === 'arrival');
    expect(truth.counts.arrivals).to.equal(arrivals.length);
    expect(truth.counts.swaps).to.equal(signals.filter((s) => s.type === 'swap_completed').length);
    expect(truth.counts.signals).to.equal(signals.length);
    const arrived = new Set(arrivals.map((s) => (s.type === 'arrival' ? s.payload.vehicleId : '')));
    for (const w of truth.waits) {
      expect(arrived.has(w.vehicleId)).to.equal(true);
      expect(w.waitMin).to.be.at.least(0);
    }
    expect(truth.waits.length).to.be.at.least(arrivals.length * 0.8);
  });

  it('has more arrivals and longer waits in rush_hour than normal', () => {
    const normal = run({ scenario: 'normal', seed: 11 }).truth;
    const rush = run({ scenario: 'rush_hour', seed: 11 }).truth;
    expect(rush.counts.arrivals).to.be.above(normal.counts.arrivals * 1.8);
    const mean = (w: { waitMin: number }[]) => w.reduce((a, b) => a + b.waitMin, 0) / Math.max(1, w.length);
    expect(mean(rush.waits)).to.be.above(mean(normal.waits));
  });

  it('overheats chargers in a heatwave: failures in truth, temperatures rising before them', () => {
    const { signals, truth } = run({ scenario: 'heatwave', stations: 10, durationMin: 120 });
    const overheats = truth.failures.filter((f) => f.cause === 'overheat');
    expect(overheats.length).to.be.at.least(3);
    for (const f of overheats) {
      const temps = signals.filter((s) => s.type === 'charger_temp' && s.payload.chargerId === f.chargerId && s.ts <= f.ts);
      const last = temps.at(-1);
      expect(last?.type === 'charger_temp' && last.payload.tempC).to.be.above(75);
      const status = signals.find((s) => s.type === 'charger_status' && s.payload.chargerId === f.chargerId && s.ts === f.ts);
      expect(status?.type === 'charger_status' && status.payload.errorCode).to.equal('HighTemperature');
    }
    expect(run({ scenario: 'normal', stations: 10, durationMin: 120 }).truth.failures.filter((f) => f.cause === 'overheat')).to.have.length(
      0,
    );
  });

  it('runs out of charged packs in the stockout scenario, and the stock signals agree', () => {
    const { signals, truth } = run({ scenario: 'stockout' });
    expect(truth.stockouts.length).to.be.at.least(2);
    for (const so of truth.stockouts) {
      const nextStock = signals.filter((s) => s.type === 'battery_stock' && s.stationId === so.stationId && s.ts >= so.ts).at(0);
      if (nextStock?.type === 'battery_stock' && (so.recoveredTs === null || nextStock.ts < so.recoveredTs)) {
        expect(nextStock.payload.charged).to.equal(0);
      }
    }
    for (const so of truth.stockouts) {
      // A stockout ends when the stock is back to a few packs, which comes no earlier than the first pack.
      if (so.rearmedTs !== null) expect(so.recoveredTs !== null && so.rearmedTs >= so.recoveredTs).to.equal(true);
      else expect(so).to.equal(truth.stockouts.filter((x) => x.stationId === so.stationId).at(-1));
    }
    expect(run({ scenario: 'normal' }).truth.stockouts).to.have.length(0);
  });

  it("records every charger's latent condition in the truth: poor cooling runs hotter", () => {
    const { sim, signals, truth } = run({ scenario: 'heatwave', stations: 10, durationMin: 60 });
    const chargers = sim.stations.reduce((n, s) => n + s.capacity.chargers, 0);
    expect(truth.chargers).to.have.length(chargers);
    expect(new Set(truth.chargers.map((c) => c.chargerId)).size).to.equal(chargers);
    for (const c of truth.chargers) expect(c.poorCooling).to.equal(c.coolingFactor >= 1.3);
    const poor = truth.chargers.filter((c) => c.poorCooling);
    expect(poor.length).to.be.within(1, chargers - 1);
    const meanTemp = (ids: Set<string>) => {
      const temps = signals.flatMap((s) => (s.type === 'charger_temp' && ids.has(s.payload.chargerId) ? [s.payload.tempC] : []));
      return temps.reduce((a, b) => a + b, 0) / temps.length;
    };
    const healthy = truth.chargers.filter((c) => !c.poorCooling);
    expect(meanTemp(new Set(poor.map((c) => c.chargerId)))).to.be.above(meanTemp(new Set(healthy.map((c) => c.chargerId))));
  });

  it('spikes the price only in the price_spike window', () => {
    const prices = (scenario: ScenarioName) =>
      run({ scenario, stations: 1 }).signals.flatMap((s) => (s.type === 'grid_price' ? [s.payload.pricePerKWh] : []));
    expect(Math.max(...prices('price_spike'))).to.be.above(1);
    expect(Math.max(...prices('normal'))).to.be.below(0.5);
  });
});

describe("the simulator within its stations' registered capacity", () => {
  /** Checks the signals at the edge in batches of 200, as a feed sends them; folds what passes. Fields refused. */
  function feed(signals: Iterable<Signal>, stateOf: (id: string) => StationState, fold: (s: Signal) => void): string[] {
    const refused: string[] = [];
    let batch: Signal[] = [];
    const flush = () => {
      const rosters = new BatchRosters();
      const taken = batch.filter((s) => {
        const err = rosters.check(stateOf(s.stationId), s);
        if (err) refused.push(err.field);
        return !err;
      });
      taken.forEach(fold);
      batch = [];
    };
    for (const s of signals) {
      batch.push(s);
      if (batch.length === 200) flush();
    }
    flush();
    return refused;
  }

  for (const scenario of Object.keys(SCENARIOS) as ScenarioName[]) {
    it(`is never refused a charger or a pack, and sends exactly its chargers (${scenario})`, () => {
      const sim = createSimulation({ stations: 6, seed: 7, durationMin: 6 * 60, scenario });
      const states = new Map(sim.stations.map((r) => [r.id, initialState(r)]));
      const refused = feed(
        sim.signals(),
        (id) => states.get(id)!,
        (s) => applySignal(states.get(s.stationId)!, s),
      );
      expect(refused).to.deep.equal([]);
      for (const s of states.values()) {
        expect(Object.keys(s.chargers)).to.have.length(s.capacity.chargers);
        expect(Object.keys(s.batteries).length).to.be.at.most(s.capacity.batterySlots);
      }
    });
  }

  it('is never refused over consecutive runs in the closed loop (the demo: new packs every run, quarantines kept)', function () {
    this.timeout(120_000);
    const stations = createSimulation({ stations: 3, seed: 1, durationMin: 1, scenario: 'normal' }).stations;
    const thresholds = DEFAULT_THRESHOLDS;
    const settings = { thresholds, policy: DEFAULT_POLICY, policyVersion: policyVersionOf(thresholds, DEFAULT_POLICY), disabled: [] };
    const pipeline = new OfflinePipeline(stations, settings, { nearbyKm: 10, maxNearby: 10 });
    const refused: string[] = [];
    let quarantined = 0;
    for (let run = 0; run < 2; run++) {
      const start = new Date(Date.parse('2025-06-02T00:00:00.000Z') + run * 5 * 3600_000).toISOString();
      const sim = createSimulation({ stations, scenario: 'normal', seed: run + 1, start, durationMin: 5 * 60 });
      const fold = (s: Signal) => {
        const d = pipeline.ingest(s);
        if (d) sim.act(d.stationId, pipeline.states.get(d.stationId)!.plan, d.changes.started);
      };
      refused.push(...feed(sim.signals(), (id) => pipeline.states.get(id)!, fold));
      for (const s of pipeline.states.values()) {
        expect(Object.keys(s.batteries).length).to.be.at.most(s.capacity.batterySlots);
        quarantined += Object.values(s.batteries).filter((b) => b.quarantined).length;
      }
    }
    expect(refused).to.deep.equal([]);
    expect(quarantined, 'the runs quarantine packs (the rule under test)').to.be.above(0);
  });

  it('keeps prototype names as ordinary station ids in its truth', () => {
    const stations = ['constructor', 'toString'].map((id, i) => ({
      id,
      name: id,
      location: { lat: 52.52 + i / 100, lng: 13.405 },
      capacity: { bays: 2, chargers: 6, batterySlots: 22 },
    }));
    const sim = createSimulation({ stations, seed: 3, durationMin: 30, scenario: 'normal' });
    for (const _ of sim.signals());
    expect(Object.keys(sim.truth.energy).sort()).to.deep.equal(['constructor', 'toString']);
    expect(new Map(Object.entries(sim.truth.energy)).get('constructor')!.kWh).to.be.above(0);
    expect(Object.hasOwn(Object, 'kWh')).to.equal(false);
  });
});

describe('simulator randomness', () => {
  it('makes 300k unique UUID v4-shaped ids', () => {
    const ids = new IdFactory(42);
    const seen = new Set<string>();
    for (let i = 0; i < 300_000; i++) seen.add(ids.next());
    expect(seen.size).to.equal(300_000);
    expect([...seen].slice(0, 100).every((id) => UUID_V4.test(id))).to.equal(true);
  });

  it('draws uniforms in [0, 1) with a plausible mean', () => {
    const rng = new Rng(9);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).to.equal(true);
      sum += x;
    }
    expect(sum / 10_000).to.be.closeTo(0.5, 0.02);
  });
});
