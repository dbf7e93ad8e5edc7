// One station, advanced one simulated second at a time: arrivals, the queue,
// bays, battery stock, chargers under a grid limit, staff, and its sensors.
import type { SignalPayloads, SignalType, StationRegistration } from '../eventBus/types.js';
import { Charger, expo, FULL_SOC, type ChargerHost, type ChargerSpec, type Pack } from './charger.js';
import type { Rng } from './rng.js';
import type { Scenario } from './scenarios.js';
import { round } from './stations.js';
import type { GroundTruth } from './truth.js';

export type Emit = <K extends SignalType>(type: K, payload: SignalPayloads[K]) => void;

export interface Tick {
  /** Seconds since the start of the run. */
  t: number;
  ts: string;
  /** Hour of the (UTC) day of simulated time, fractional. */
  hour: number;
}

interface Vehicle {
  id: string;
  arrivalS: number;
  arrivalTs: string;
  patienceS: number;
}

interface Bay {
  doneAtS: number;
  durationS: number;
  outPack: Pack;
  inPack: Pack;
}

const BASE_LOAD_KW = 4;
const STOCKOUT_REARM = 3;

export class StationSim implements ChargerHost {
  readonly chargers: Charger[] = [];
  private readonly packs: Pack[] = [];
  private readonly queue: Vehicle[] = [];
  private readonly bays: (Bay | null)[];
  private readonly gridLimitKW: number;
  private readonly ambientOffsetC: number;
  private staff = 0;
  private absenceUntilS = -1;
  private nextAbsenceS: number;
  private openBays = 0;
  private vehicles = 0;
  private openStockout: { stationId: string; ts: string; recoveredTs: string | null } | null = null;
  private tick: Tick;
  /** Offsets spread each station's periodic sensors over the minute, as real devices are not in sync. */
  private readonly phase: number;

  constructor(
    readonly reg: StationRegistration,
    readonly rng: Rng,
    private readonly scenario: Scenario,
    private readonly durationS: number,
    private readonly truth: GroundTruth,
    private readonly emit: Emit,
    startTick: Tick,
  ) {
    this.tick = startTick;
    const { bays, chargers, batterySlots } = reg.capacity;
    this.bays = Array.from({ length: bays }, () => null);
    this.gridLimitKW = Math.round((chargers * 60 * 1.05 + 10) / 10) * 10;
    this.ambientOffsetC = rng.uniform(-1, 1);
    this.phase = rng.int(0, 59);
    this.nextAbsenceS = expo(rng, 0.12);
    for (let i = 0; i < chargers; i++) this.chargers.push(this.makeCharger(i));
    const charged = Math.round(batterySlots * rng.uniform(...scenario.initialChargedFraction));
    for (let i = 0; i < batterySlots; i++) {
      const pack = this.newPack(i < charged ? rng.uniform(FULL_SOC, 1) : rng.uniform(0.1, 0.7));
      if (i < charged && pack.state !== 'faulty') pack.state = 'charged';
      this.packs.push(pack);
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
    return new Charger(spec, this.ambientC(this.tick.hour), scenario.chargerPowerKW, scenario.transientFaultPerHour, rng);
  }

  private newPack(soc: number): Pack {
    const { rng } = this;
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
  start(tick: Tick, price: SignalPayloads['grid_price']): void {
    this.tick = tick;
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
    if (price) this.emit('grid_price', price);
    if (t > 0 && t % 3600 === 0) this.emit('grid_limit', { kW: this.gridLimitKW });
    if (t > 0) this.updateStaff(false);

    if (this.rng.chance(this.arrivalsPerHour(hour, t / 60) / 3600)) this.arrive();
    this.serveBays();
    this.renege();

    for (const ch of this.chargers) ch.update(t, this);
    const requested = this.chargers.reduce((sum, ch) => sum + ch.requestKW, 0);
    // Local load management keeps the chargers under the contracted grid limit.
    const baseKW = this.baseLoadKW(ambient);
    const scale = requested > 0 ? Math.min(1, (this.gridLimitKW - baseKW) / requested) : 0;
    for (const ch of this.chargers) ch.advance(t, ch.requestKW * scale, ambient, this);
    this.trackStockout();
    this.report(t, ambient, baseKW);
  }

  private arrive(): void {
    this.vehicles += 1;
    const vehicle: Vehicle = {
      id: `${this.reg.id}-v${this.vehicles}`,
      arrivalS: this.tick.t,
      arrivalTs: this.tick.ts,
      patienceS: this.rng.int(20 * 60, 45 * 60),
    };
    this.queue.push(vehicle);
    this.truth.counts.arrivals += 1;
    this.emit('arrival', { vehicleId: vehicle.id });
  }

  private serveBays(): void {
    const { t } = this.tick;
    let changed = false;
    for (let i = 0; i < this.bays.length; i++) {
      const bay = this.bays[i];
      if (bay && t >= bay.doneAtS) {
        this.packs.push(bay.inPack);
        this.bays[i] = null;
        this.truth.counts.swaps += 1;
        this.emit('swap_completed', { durationS: bay.durationS, batteryOutId: bay.outPack.id, batteryInId: bay.inPack.id });
        changed = true;
      }
    }
    for (let i = 0; i < this.openBays && this.queue.length > 0; i++) {
      if (this.bays[i]) continue;
      const out = this.takeCharged();
      if (!out) break;
      const vehicle = this.queue.shift();
      if (!vehicle) break;
      this.recordWait(vehicle, true);
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
        this.recordWait(v, false);
      }
    }
    if (this.queue.length !== before) this.emit('queue_length', { waiting: this.queue.length });
  }

  private recordWait(v: Vehicle, served: boolean): void {
    const waitMin = round((this.tick.t - v.arrivalS) / 60, 3);
    this.truth.waits.push({ stationId: this.reg.id, vehicleId: v.id, arrivalTs: v.arrivalTs, waitMin, served });
  }

  private takeCharged(): Pack | null {
    let best = -1;
    for (let i = 0; i < this.packs.length; i++) {
      const p = this.packs[i];
      if (p?.state === 'charged' && (best < 0 || p.sohPct > (this.packs[best]?.sohPct ?? 0))) best = i;
    }
    return best < 0 ? null : (this.packs.splice(best, 1)[0] ?? null);
  }

  /** Chargers take the fullest depleted pack first: it becomes sellable soonest. */
  takeDepleted(): Pack | null {
    let best: Pack | null = null;
    for (const p of this.packs) if (p.state === 'depleted' && (!best || p.soc > best.soc)) best = p;
    if (best) best.state = 'charging';
    return best;
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
    // Each open bay needs an attendant; the supervisor covers one bay when alone.
    const open = Math.min(this.bays.length, Math.max(1, staff - 1));
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
    const charged = this.packs.reduce((n, p) => n + (p.state === 'charged' ? 1 : 0), 0);
    if (charged === 0 && !this.openStockout) {
      this.openStockout = { stationId: this.reg.id, ts: this.tick.ts, recoveredTs: null };
      this.truth.stockouts.push(this.openStockout);
    } else if (charged > 0 && this.openStockout) {
      this.openStockout.recoveredTs ??= this.tick.ts;
      if (charged >= STOCKOUT_REARM) this.openStockout = null;
    }
  }

  stock(): SignalPayloads['battery_stock'] {
    const s = { charged: 0, charging: 0, depleted: 0, faulty: 0 };
    for (const p of this.packs) s[p.state] += 1;
    return s;
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
        const pack = this.packs.length > 0 ? rng.pick(this.packs) : null;
        if (!pack) break;
        const tempC = ambient + (pack.state === 'charging' ? 8 : 2) + rng.normal(0, 0.5);
        this.emit('battery_health', { batteryId: pack.id, sohPct: pack.sohPct, cycles: pack.cycles, tempC: round(tempC, 1) });
      }
    }
  }

  finish(): void {
    this.openStockout = null;
  }
}
