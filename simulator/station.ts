// One station, advanced one simulated second at a time: arrivals, the queue,
// bays, battery stock, chargers under a grid limit, staff, and its sensors.
import type { SignalPayloads, SignalType, StationRegistration } from '../eventBus/types.js';
import type { StationControls, WorldParams } from './controls.js';
import { DEFAULT_WORLD, NO_CONTROLS } from './controls.js';
import { EnergyMeter } from './meter.js';
import { PackShelf } from './shelf.js';
import { Charger, expo, FULL_SOC, type ChargerHost, type ChargerSpec, type Pack } from './charger.js';
import type { Rng } from './rng.js';
import type { Scenario } from './scenarios.js';
import { round } from './stations.js';
import { own } from '../utils/own.js';
import { POOR_COOLING_FACTOR, type DriverOutcome, type GroundTruth, type Stockout, type VehicleWait } from './truth.js';

export type Emit = <K extends SignalType>(type: K, payload: SignalPayloads[K]) => void;

export interface Tick {
  /** Seconds since the start of the run. */
  t: number;
  ts: string;
  /** Hour of the (UTC) day of simulated time, fractional. */
  hour: number;
}

export interface Vehicle {
  id: string;
  arrivalS: number;
  arrivalTs: string;
  patienceS: number;
  /** The station whose offer sent the driver here, if one did. */
  redirectedFrom?: string;
}

/** What the station needs from the simulation around it (closed loop): where an accepted offer sends a driver. */
export interface StationHost {
  /** A driver at `from` took its offer: they drive to `to` and arrive there later. */
  redirect(from: StationSim, to: string, vehicle: Vehicle): void;
}

interface Bay {
  doneAtS: number;
  durationS: number;
  outPack: Pack;
  inPack: Pack;
}

const BASE_LOAD_KW = 4;
const STOCKOUT_REARM = 3;
/** A driver who finds this many already waiting does not join the line (turned away). */
export const TURN_AWAY_QUEUE = 15;
/** A price deferral pauses charging only while at least this share of slots holds charged packs. */
export const DEFER_RESERVE_FRACTION = 0.3;

export class StationSim implements ChargerHost {
  readonly chargers: Charger[] = [];
  private readonly queue: Vehicle[] = [];
  private readonly bays: (Bay | null)[];
  private readonly gridLimitKW: number;
  private readonly ambientOffsetC: number;
  private staff = 0;
  private absenceUntilS = -1;
  private nextAbsenceS: number;
  private openBays = 0;
  private vehicles = 0;
  private openStockout: Stockout | null = null;
  private tick: Tick;
  /** Offsets spread each station's periodic sensors over the minute, as real devices are not in sync. */
  private readonly phase: number;
  /** What the plan in force asks of the station (closed loop); nothing by default. */
  private controls: StationControls = NO_CONTROLS;
  private pricePerKWh = 0;
  private readonly meter: EnergyMeter;
  private readonly shelf: PackShelf;

  constructor(
    readonly reg: StationRegistration,
    readonly rng: Rng,
    private readonly scenario: Scenario,
    private readonly durationS: number,
    private readonly truth: GroundTruth,
    private readonly emit: Emit,
    startTick: Tick,
    /** Draws that exist only because of an action (an offer taken, a reset that works): apart from `rng`, so
     * the world's own draws (arrivals, faults) are the same whatever the policy (common random numbers). */
    private readonly actRng: Rng = rng,
    private readonly host: StationHost | null = null,
    /** The behavioural parameters the station itself applies: drivers' patience, how much a derate cools. */
    private readonly world: Pick<WorldParams, 'patienceMin' | 'derateCooling'> = DEFAULT_WORLD,
  ) {
    this.tick = startTick;
    const { bays, chargers, batterySlots } = reg.capacity;
    this.bays = Array.from({ length: bays }, () => null);
    this.shelf = new PackShelf(batterySlots);
    this.gridLimitKW = Math.round((chargers * 60 * 1.05 + 10) / 10) * 10;
    // Registered ids come from outside (a station called "constructor" is an ordinary one): own entries only.
    const energy = own(truth.energy, reg.id) ?? (truth.energy[reg.id] = { kWh: 0, cost: 0, intervals: 0, intervalsOverLimit: 0 });
    this.meter = new EnergyMeter(energy, this.gridLimitKW);
    this.ambientOffsetC = rng.uniform(-1, 1);
    this.phase = rng.int(0, 59);
    this.nextAbsenceS = expo(rng, 0.12);
    for (let i = 0; i < chargers; i++) this.chargers.push(this.makeCharger(i));
    for (const { spec } of this.chargers)
      truth.chargers.push({
        stationId: reg.id,
        chargerId: spec.id,
        coolingFactor: round(spec.coolingFactor, 3),
        poorCooling: spec.coolingFactor >= POOR_COOLING_FACTOR,
      });
    const charged = Math.round(batterySlots * rng.uniform(...scenario.initialChargedFraction));
    for (let i = 0; i < batterySlots; i++) {
      const pack = this.newPack(i < charged ? rng.uniform(FULL_SOC, 1) : rng.uniform(0.1, 0.7));
      if (i < charged && pack.state !== 'faulty') pack.state = 'charged';
      this.shelf.packs.push(pack);
    }
    for (const ch of this.chargers) {
      const pack = this.takeDepleted();
      if (pack) ch.load(pack);
    }
  }

  private makeCharger(i: number): Charger {
    const { rng, scenario } = this;
    const poor = rng.chance(scenario.poorCooling.fraction);
    const spec: ChargerSpec = {
      id: `${this.reg.id}-C${i + 1}`,
      coolingFactor: poor ? rng.uniform(...scenario.poorCooling.factor) : rng.uniform(0.9, 1.1),
      tripC: rng.normal(82, 1.5),
      wearFailAtS: null,
      precursorsS: [],
    };
    const wearAt = expo(rng, scenario.wearFailurePerHour);
    if (wearAt < this.durationS) {
      spec.wearFailAtS = wearAt;
      // Most wear failures announce themselves with intermittent faults in the prior 45 min.
      const n = rng.chance(0.75) ? rng.int(1, 3) : 0;
      for (let k = 0; k < n; k++) {
        const at = wearAt - rng.int(5 * 60, 45 * 60);
        if (at > 0) spec.precursorsS.push(at);
      }
      spec.precursorsS.sort((a, b) => a - b);
    }
    const { chargerPowerKW, transientFaultPerHour } = scenario;
    return new Charger(spec, this.ambientC(this.tick.hour), chargerPowerKW, transientFaultPerHour, rng, this.world.derateCooling);
  }

  private newPack(soc: number, rng: Rng = this.rng): Pack {
    const sohPct = rng.chance(0.1) ? rng.uniform(62, 80) : Math.min(100, Math.max(80, rng.normal(93, 3)));
    const cycles = Math.max(0, Math.round((100 - sohPct) * 55 + rng.normal(0, 40)));
    const id = `pk-${rng.nextU32().toString(16).padStart(8, '0')}`;
    // Packs below 70% SOH are pulled from circulation by the station's own BMS check.
    return { id, soc, sohPct: round(sohPct, 1), cycles, state: sohPct < 70 ? 'faulty' : 'depleted' };
  }

  ambientC(hour: number): number {
    const { meanC, swingC } = this.scenario.ambient;
    return meanC + this.ambientOffsetC + swingC * Math.cos((2 * Math.PI * (hour - 15)) / 24);
  }

  /** Arrivals per hour on an ordinary day: morning and evening peaks, a quiet night. */
  arrivalsPerHour(hour: number, runMin: number): number {
    const curve =
      0.2 +
      0.95 * Math.exp(-(((hour - 8.25) / 1.3) ** 2)) +
      1.0 * Math.exp(-(((hour - 17.75) / 1.6) ** 2)) +
      0.35 * Math.exp(-(((hour - 13) / 2) ** 2));
    // Scaled to what the chargers can refill at full power, so a normal peak roughly balances supply.
    return this.reg.capacity.chargers * 1.1 * curve * this.scenario.arrivalSurge(runMin);
  }

  /** Shift plan: one supervisor plus one attendant per bay by day, a skeleton crew at night. */
  private plannedStaff(hour: number): number {
    const { bays } = this.reg.capacity;
    if (hour >= 6 && hour < 22) return bays + 1;
    return 2;
  }

  /** The first second: every sensor reports once so the state starts complete. */
  start(tick: Tick, price: SignalPayloads['grid_price'], history: readonly SignalPayloads['grid_price'][] = []): void {
    this.tick = tick;
    this.pricePerKWh = price.pricePerKWh;
    for (const past of history) this.emit('grid_price', past);
    this.emit('grid_limit', { kW: this.gridLimitKW });
    this.emit('grid_price', price);
    this.updateStaff(true);
    for (const ch of this.chargers) this.statusChanged(ch);
    this.emit('battery_stock', this.stock());
    this.emit('queue_length', { waiting: 0 });
  }

  step(tick: Tick, price: SignalPayloads['grid_price'] | null): void {
    this.tick = tick;
    const { t, hour } = tick;
    const ambient = this.ambientC(hour);
    if (price) {
      this.pricePerKWh = price.pricePerKWh;
      this.emit('grid_price', price);
    }
    if (t > 0 && t % 3600 === 0) this.emit('grid_limit', { kW: this.gridLimitKW });
    if (t > 0) this.updateStaff(false);

    if (this.rng.chance(this.arrivalsPerHour(hour, t / 60) / 3600)) this.arrive();
    this.serveBays();
    this.renege();

    // A price deferral pauses charging while the stock is healthy; it never empties the shelf.
    const paused = this.controls.defer && this.shelf.charged() >= DEFER_RESERVE_FRACTION * this.reg.capacity.batterySlots;
    for (const ch of this.chargers) ch.paused = paused;
    for (const ch of this.chargers) ch.update(t, this);
    const requested = this.chargers.reduce((sum, ch) => sum + ch.requestKW, 0);
    // Local load management keeps the chargers under the contracted grid limit.
    const baseKW = this.baseLoadKW(ambient);
    const scale = requested > 0 ? Math.min(1, (this.gridLimitKW - baseKW) / requested) : 0;
    for (const ch of this.chargers) ch.advance(t, ch.requestKW * scale, ambient, this);
    this.meter.add(baseKW + this.chargers.reduce((sum, ch) => sum + ch.powerKW, 0), this.pricePerKWh, tick.ts);
    this.trackStockout();
    this.report(t, ambient, baseKW);
  }

  /** What is in force on the station's equipment now. */
  get controlsInForce(): StationControls {
    return this.controls;
  }

  /** Puts the plan in force on the station's equipment (closed loop). */
  applyControls(controls: StationControls): void {
    this.controls = controls;
    for (const ch of this.chargers) {
      ch.capKW = controls.capsKW.get(ch.id) ?? null;
      ch.isolated = controls.isolated.has(ch.id);
    }
    this.shelf.quarantine(controls.quarantined);
    this.updateBays(false);
  }

  /** A remote reset of a faulted charger: clears a transient fault with `chance`. */
  resetCharger(chargerId: string, chance: number): boolean {
    const ch = this.chargers.find((c) => c.id === chargerId);
    if (!ch || ch.status !== 'faulted' || !this.actRng.chance(chance)) return false;
    return ch.reset(this.tick.t, this);
  }

  /** Hands up to `n` charged packs to a transport; how many it got. */
  givePacks(n: number): number {
    const given = this.shelf.give(n);
    if (given > 0) this.emit('battery_stock', this.stock());
    return given;
  }

  /** Takes charged packs off a transport, in exchange for depleted ones (see PackShelf.receive). */
  receivePacks(n: number): { taken: number; returned: Pack[] } {
    const got = this.shelf.receive(n, () => this.newPack(this.actRng.uniform(FULL_SOC, 1), this.actRng));
    if (got.taken > 0) this.emit('battery_stock', this.stock());
    return got;
  }

  /** Depleted packs a transport brings back, into empty slots. */
  takeBack(packs: Pack[]): void {
    if (this.shelf.takeBack(packs) > 0) this.emit('battery_stock', this.stock());
  }

  /** A driver an offer sent here arrives (after the drive). */
  arriveRedirected(vehicle: Vehicle): void {
    this.join(vehicle);
  }

  private arrive(): void {
    this.vehicles += 1;
    const [fromMin, toMin] = this.world.patienceMin;
    const vehicle: Vehicle = {
      id: `${this.reg.id}-v${this.vehicles}`,
      arrivalS: this.tick.t,
      arrivalTs: this.tick.ts,
      patienceS: this.rng.int(Math.round(fromMin * 60), Math.round(toMin * 60)),
    };
    this.truth.counts.arrivals += 1;
    // An offer in force: a share of arriving drivers take it and drive to the other station.
    const offer = this.controls.incentive;
    if (offer && this.host && this.actRng.chance(offer.acceptance)) {
      this.truth.counts.redirected += 1;
      this.host.redirect(this, offer.targetStationId, vehicle);
      return;
    }
    this.join(vehicle);
  }

  private join(vehicle: Vehicle): void {
    if (this.queue.length >= TURN_AWAY_QUEUE) {
      this.recordWait(vehicle, 'turned_away');
      return;
    }
    this.queue.push(vehicle);
    this.emit('arrival', { vehicleId: vehicle.id });
  }

  private serveBays(): void {
    const { t } = this.tick;
    let changed = false;
    for (let i = 0; i < this.bays.length; i++) {
      const bay = this.bays[i];
      if (bay && t >= bay.doneAtS) {
        this.shelf.packs.push(bay.inPack);
        this.bays[i] = null;
        this.truth.counts.swaps += 1;
        this.emit('swap_completed', { durationS: bay.durationS, batteryOutId: bay.outPack.id, batteryInId: bay.inPack.id });
        changed = true;
      }
    }
    for (let i = 0; i < this.openBays && this.queue.length > 0; i++) {
      if (this.bays[i]) continue;
      const out = this.shelf.takeCharged();
      if (!out) break;
      const vehicle = this.queue.shift();
      if (!vehicle) break;
      this.recordWait(vehicle, 'served');
      const durationS = Math.round(Math.max(100, this.rng.normal(180, 30)));
      const inPack = this.newPack(this.rng.uniform(0.05, 0.35));
      this.bays[i] = { doneAtS: t + durationS, durationS, outPack: out, inPack };
      changed = true;
    }
    if (changed) this.emit('queue_length', { waiting: this.queue.length });
  }

  /** Drivers leave when their patience runs out: no pack, or the line does not move. */
  private renege(): void {
    const before = this.queue.length;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const v = this.queue[i];
      if (v && this.tick.t - v.arrivalS >= v.patienceS) {
        this.queue.splice(i, 1);
        this.recordWait(v, 'reneged');
      }
    }
    if (this.queue.length !== before) this.emit('queue_length', { waiting: this.queue.length });
  }

  private recordWait(v: Vehicle, outcome: DriverOutcome): void {
    // A redirected driver's wait runs from their first arrival: the drive counts as time lost.
    const waitMin = round((this.tick.t - v.arrivalS) / 60, 3);
    const w: VehicleWait = {
      stationId: this.reg.id,
      vehicleId: v.id,
      arrivalTs: v.arrivalTs,
      waitMin,
      served: outcome === 'served',
      outcome,
    };
    if (v.redirectedFrom) w.redirectedFrom = v.redirectedFrom;
    this.truth.waits.push(w);
  }

  takeDepleted(): Pack | null {
    return this.shelf.takeDepleted(this.controls.prioritize);
  }

  releasePack(pack: Pack, charged: boolean): void {
    pack.state = charged ? 'charged' : 'depleted';
  }

  statusChanged(ch: Charger): void {
    this.emit(
      'charger_status',
      ch.errorCode ? { chargerId: ch.id, status: ch.status, errorCode: ch.errorCode } : { chargerId: ch.id, status: ch.status },
    );
  }

  failed(ch: Charger, cause: 'overheat' | 'wear', errorCode: string): void {
    this.truth.failures.push({ stationId: this.reg.id, chargerId: ch.id, ts: this.tick.ts, cause, errorCode });
  }

  transient(ch: Charger, errorCode: string, clearAtS: number): void {
    const clearedTs = new Date(Date.parse(this.tick.ts) + (clearAtS - this.tick.t) * 1000).toISOString();
    this.truth.transientFaults.push({ stationId: this.reg.id, chargerId: ch.id, ts: this.tick.ts, errorCode, clearedTs });
  }

  private updateStaff(initial: boolean): void {
    const { t, hour } = this.tick;
    if (t >= this.nextAbsenceS) {
      // Someone is called away (sick, errand): one fewer on duty for a while.
      this.absenceUntilS = t + this.rng.int(30 * 60, 90 * 60);
      this.nextAbsenceS = t + expo(this.rng, 0.12);
    }
    const staff = Math.max(1, this.plannedStaff(hour) - (t < this.absenceUntilS ? 1 : 0));
    if (initial || staff !== this.staff) {
      this.staff = staff;
      this.emit('staff_on_duty', { count: staff });
    }
    this.updateBays(initial);
  }

  private updateBays(initial: boolean): void {
    // Each open bay needs an attendant; the supervisor covers one bay when alone, or when the plan opens one more.
    const open = Math.min(this.bays.length, Math.max(1, this.staff - (this.controls.openExtraBay ? 0 : 1)));
    if (initial || open !== this.openBays) {
      this.openBays = open;
      this.emit('bay_status', { open });
    }
  }

  /**
   * A stockout starts when the charged count hits 0. A pack trickling in and
   * going straight out is the same shortage, so a new one counts only after
   * the stock has recovered to a few packs (hysteresis).
   */
  private trackStockout(): void {
    const charged = this.shelf.charged();
    if (charged === 0 && !this.openStockout) {
      this.openStockout = { stationId: this.reg.id, ts: this.tick.ts, recoveredTs: null, rearmedTs: null };
      this.truth.stockouts.push(this.openStockout);
    } else if (charged > 0 && this.openStockout) {
      this.openStockout.recoveredTs ??= this.tick.ts;
      if (charged >= STOCKOUT_REARM) {
        this.openStockout.rearmedTs = this.tick.ts;
        this.openStockout = null;
      }
    }
  }

  stock(): SignalPayloads['battery_stock'] {
    return this.shelf.stock();
  }

  /** Station auxiliaries (lights, cooling, robot) draw more in the heat. */
  private baseLoadKW(ambientC: number): number {
    return BASE_LOAD_KW + 0.2 * Math.max(0, ambientC - 25);
  }

  private report(t: number, ambient: number, baseKW: number): void {
    const { rng } = this;
    const p = this.phase;
    if ((t + p) % 30 === 0) this.emit('queue_length', { waiting: this.queue.length });
    if ((t + p) % 60 === 7) this.emit('battery_stock', this.stock());
    if ((t + p) % 60 === 13) {
      const kW = baseKW + this.chargers.reduce((sum, ch) => sum + ch.powerKW, 0) + rng.normal(0, 0.5);
      this.emit('power_draw', { kW: round(Math.max(0, kW), 1) });
    }
    this.chargers.forEach((ch, i) => {
      if ((t + p + i * 5) % 60 === 0) this.emit('charger_temp', { chargerId: ch.id, tempC: round(ch.tempC + rng.normal(0, 0.3), 1) });
    });
    if ((t + p) % 300 === 150) {
      for (let k = 0; k < 2; k++) {
        const packs = this.shelf.packs;
        const pack = packs.length > 0 ? rng.pick(packs) : null;
        if (!pack) break;
        const tempC = ambient + (pack.state === 'charging' ? 8 : 2) + rng.normal(0, 0.5);
        this.emit('battery_health', { batteryId: pack.id, sohPct: pack.sohPct, cycles: pack.cycles, tempC: round(tempC, 1) });
      }
    }
  }

  finish(): void {
    this.openStockout = null;
    this.meter.close();
    // Drivers still in line when the run ends: their wait is censored (at least this long).
    for (const v of this.queue) this.recordWait(v, 'waiting');
    this.queue.length = 0;
  }
}
