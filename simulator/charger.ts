// One charger: recharges a pack, heats with load and ambient, and fails in
// the two ways the mechanic agent should learn to see coming (heat, wear).
import type { ChargerStatus } from '../eventBus/types.js';
import type { Rng } from './rng.js';

export type PackState = 'charged' | 'charging' | 'depleted' | 'faulty';

export interface Pack {
  id: string;
  soc: number;
  sohPct: number;
  cycles: number;
  state: PackState;
}

export const PACK_KWH = 60;
/** Swap packs are released at 95%: the last few percent charge too slowly to be worth the wait. */
export const FULL_SOC = 0.95;
/** Thermal time constant: power electronics in a cabinet take ~15 min to settle. */
const TAU_S = 900;
/** Temperature rise above ambient at 60 kW with healthy cooling. */
const HEAT_RISE_C = 30;
/** The protection trips only after the limit is exceeded for this long (filters sensor spikes). */
const TRIP_HOLD_S = 120;
/** Robot arm time to move a pack into or out of a charger. */
const HANDLING_S = 45;
const CHARGE_EFFICIENCY = 0.93;

export const WEAR_CODES = ['GroundFailure', 'OverCurrent', 'InternalError', 'OverVoltage'] as const;
export const TRANSIENT_CODES = ['EVCommunicationError', 'ConnectorLockFailure', 'OverCurrent', 'PowerMeterFailure'] as const;

/** What a charger needs from its station, kept narrow so the charger stays testable alone. */
export interface ChargerHost {
  readonly rng: Rng;
  statusChanged(ch: Charger): void;
  failed(ch: Charger, cause: 'overheat' | 'wear', errorCode: string): void;
  transient(ch: Charger, errorCode: string, clearAtS: number): void;
  takeDepleted(): Pack | null;
  releasePack(pack: Pack, charged: boolean): void;
}

export interface ChargerSpec {
  id: string;
  coolingFactor: number;
  tripC: number;
  /** Seconds into the run when wear ends in a hard fault, or null. */
  wearFailAtS: number | null;
  /** Intermittent faults before the wear failure, seconds into the run. */
  precursorsS: number[];
}

export class Charger {
  status: ChargerStatus = 'available';
  tempC: number;
  /** Power the charger asks for this second; the station may scale it down to respect the grid limit. */
  requestKW = 0;
  powerKW = 0;
  pack: Pack | null = null;
  errorCode: string | undefined;
  /** The station's controls (closed loop): a kW cap (derate, curtailment setpoint), or null for none. */
  capKW: number | null = null;
  /** Taken out of service by the plan: no charging until it is released. */
  isolated = false;
  /** Charging paused by the station (price deferral); the pack stays in. */
  paused = false;
  private hotS = 0;
  private clearAtS: number | null = null;
  private broken = false;
  private readyAtS = 0;
  private nextTransientS: number;
  /** What the charger would draw this second without its cap (the heat a derate takes off is measured against it). */
  private uncappedKW = 0;

  constructor(
    readonly spec: ChargerSpec,
    ambientC: number,
    private readonly nominalKW: number,
    private readonly transientPerHour: number,
    rng: Rng,
    /** WorldParams.derateCooling: the share of a cap's cut in power that shows in the heat. */
    private readonly derateCooling = 1,
  ) {
    this.tempC = ambientC + 3;
    this.nextTransientS = expo(rng, transientPerHour);
  }

  get id(): string {
    return this.spec.id;
  }

  /** Start the run already charging a pack, as a station would be mid-day. */
  load(pack: Pack): void {
    this.pack = pack;
    pack.state = 'charging';
    this.status = 'occupied';
  }

  /** Phase 1 of a second: state changes (faults, repairs, pack handling) and the power request. */
  update(t: number, host: ChargerHost): void {
    if (this.clearAtS !== null && t >= this.clearAtS) this.recover(t, host);
    if (this.isolated && this.status !== 'offline' && this.status !== 'faulted') {
      // Isolated by the plan: the pack goes back to the stock and the charger reports itself offline.
      if (this.pack) host.releasePack(this.pack, false);
      this.pack = null;
      this.status = 'offline';
      this.requestKW = 0;
      this.powerKW = 0;
      host.statusChanged(this);
    } else if (!this.isolated && this.status === 'offline' && this.clearAtS === null) {
      this.status = 'available';
      this.readyAtS = t + HANDLING_S;
      host.statusChanged(this);
    }
    if (this.status === 'faulted' || this.status === 'offline') {
      this.requestKW = 0;
      return;
    }
    if (this.spec.wearFailAtS !== null && t >= this.spec.wearFailAtS) {
      this.spec.wearFailAtS = null;
      this.fail(t, host, 'wear', host.rng.pick(WEAR_CODES));
      return;
    }
    const precursor = this.spec.precursorsS[0];
    if (precursor !== undefined && t >= precursor) {
      this.spec.precursorsS.shift();
      this.fault(t, host, host.rng.pick(WEAR_CODES), host.rng.uniform(60, 240));
      return;
    }
    if (t >= this.nextTransientS) {
      this.nextTransientS = t + expo(host.rng, this.transientPerHour);
      this.fault(t, host, host.rng.pick(TRANSIENT_CODES), host.rng.uniform(60, 300));
      return;
    }
    if (!this.pack && t >= this.readyAtS) {
      const pack = host.takeDepleted();
      if (pack) {
        this.load(pack);
        host.statusChanged(this);
      }
    }
    const wantKW = this.pack && t >= this.readyAtS && !this.paused ? this.nominalKW * taper(this.pack.soc) : 0;
    this.uncappedKW = wantKW;
    this.requestKW = this.capKW === null ? wantKW : Math.min(wantKW, this.capKW);
  }

  /** Phase 2: apply the granted power for one second, heat up, maybe trip. */
  advance(t: number, grantedKW: number, ambientC: number, host: ChargerHost): void {
    this.powerKW = grantedKW;
    const pack = this.pack;
    if (pack && grantedKW > 0) {
      pack.soc = Math.min(1, pack.soc + (grantedKW * CHARGE_EFFICIENCY) / 3600 / PACK_KWH);
      if (pack.soc >= FULL_SOC) {
        pack.cycles += 1;
        this.pack = null;
        this.readyAtS = t + HANDLING_S;
        this.status = 'available';
        host.releasePack(pack, true);
        host.statusChanged(this);
      }
    }
    // While it charges under a cap, the part of the cut that does not cool (1 - derateCooling) still heats it.
    const heatKW =
      this.derateCooling < 1 && this.capKW !== null && grantedKW > 0
        ? grantedKW + (1 - this.derateCooling) * Math.max(0, this.uncappedKW - this.requestKW)
        : grantedKW;
    const target = ambientC + 3 + HEAT_RISE_C * (heatKW / 60) * this.spec.coolingFactor;
    this.tempC += (target - this.tempC) / TAU_S;
    if (this.status !== 'faulted' && this.tempC >= this.spec.tripC) {
      this.hotS += 1;
      if (this.hotS >= TRIP_HOLD_S) this.fail(t, host, 'overheat', 'HighTemperature');
    } else {
      this.hotS = 0;
    }
  }

  /** A remote reset: a transient fault clears now; a broken charger (overheat, wear) stays down. */
  reset(t: number, host: ChargerHost): boolean {
    if (this.status !== 'faulted' || this.broken) return false;
    this.recover(t, host);
    return true;
  }

  private fail(t: number, host: ChargerHost, cause: 'overheat' | 'wear', code: string): void {
    this.broken = true;
    // A technician needs hours to come and fix it; in a short run it stays down.
    this.setFault(t, host, code, host.rng.uniform(150, 300) * 60);
    host.failed(this, cause, code);
  }

  private fault(t: number, host: ChargerHost, code: string, clearAfterS: number): void {
    this.setFault(t, host, code, clearAfterS);
    host.transient(this, code, t + Math.round(clearAfterS));
  }

  private setFault(t: number, host: ChargerHost, code: string, clearAfterS: number): void {
    if (this.pack) {
      host.releasePack(this.pack, false);
      this.pack = null;
    }
    this.status = 'faulted';
    this.errorCode = code;
    this.requestKW = 0;
    this.powerKW = 0;
    this.hotS = 0;
    this.clearAtS = t + Math.round(clearAfterS);
    host.statusChanged(this);
  }

  private recover(t: number, host: ChargerHost): void {
    this.errorCode = undefined;
    if (this.broken && this.status === 'faulted') {
      // After the repair visit the charger stays offline for its acceptance test.
      this.status = 'offline';
      this.clearAtS = t + 20 * 60;
      this.broken = false;
    } else {
      this.status = 'available';
      this.clearAtS = null;
      this.readyAtS = t + HANDLING_S;
    }
    host.statusChanged(this);
  }
}

/** CC-CV charging: full power up to 80% state of charge, then tapering. */
function taper(soc: number): number {
  return soc < 0.8 ? 1 : Math.max(0.25, 1 - (soc - 0.8) * 4);
}

/** Waiting time (s) to the next event of a Poisson process with `perHour` events per hour. */
export function expo(rng: Rng, perHour: number): number {
  if (perHour <= 0) return Number.POSITIVE_INFINITY;
  return Math.round((-Math.log(1 - rng.next()) / perHour) * 3600);
}
