// A connection's view of its charge point (connector statuses, open transactions, its rate unit), the
// station power summed over charge points, and the refusal a message gets as a CALLERROR.
import type { ChargerStatus } from '../eventBus/types.js';
import type { AuthenticatedChargePoint } from '../services/access/index.js';

export type OcppProtocol = 'ocpp1.6' | 'ocpp2.0.1';
export const OCPP_PROTOCOLS: readonly OcppProtocol[] = ['ocpp2.0.1', 'ocpp1.6'];

/** A refusal answered as a CALLERROR with this OCPP error code. */
export class OcppRefusal extends Error {
  constructor(
    readonly code: 'PropertyConstraintViolation' | 'OccurrenceConstraintViolation' | 'NotImplemented' | 'InternalError' | 'GenericError',
    message: string,
  ) {
    super(message);
  }
}

/** The station's summed power over its charge points: the latest reading of each (charge point, connector). */
export class StationPower {
  private readonly byStation = new Map<string, Map<string, number>>();

  /** Sets one reading and answers the station's total, in kW. */
  set(stationId: string, key: string, kW: number): number {
    const m = this.byStation.get(stationId) ?? new Map<string, number>();
    this.byStation.set(stationId, m);
    m.set(key, kW);
    let sum = 0;
    for (const v of m.values()) sum += v;
    return Math.round(sum * 1000) / 1000;
  }

  /** Forgets a charge point's readings (removed). */
  forget(stationId: string, identity: string): void {
    const m = this.byStation.get(stationId);
    if (!m) return;
    for (const k of [...m.keys()]) if (k.startsWith(`${identity}#`)) m.delete(k);
    if (m.size === 0) this.byStation.delete(stationId);
  }

  /** Readings held (bounded by the registered charge points and their connectors). */
  get size(): number {
    let n = 0;
    for (const m of this.byStation.values()) n += m.size;
    return n;
  }
}

/** One connection's view of its charge point: connector statuses and open transactions (bounded by its connectors). */
export class ChargePointLink {
  readonly connectorStatus = new Map<number, { status: ChargerStatus; errorCode?: string }>();
  /** Open transactions by id, to the connector they run on (a 1.6 StopTransaction does not name it). */
  readonly transactions = new Map<string, number>();
  /** How this charge point takes charging limits: W or A (asked the first time a limit is sent). */
  rateUnit: 'W' | 'A' | null = null;

  constructor(
    readonly cp: AuthenticatedChargePoint,
    readonly protocol: OcppProtocol,
  ) {}

  /** Refuses a connector (1.6) or EVSE (2.0.1) number beyond what was declared; 0 is the whole charge point. */
  connector(n: number, field: string): number {
    if (n > this.cp.connectors)
      throw new OcppRefusal(
        'PropertyConstraintViolation',
        `${field} ${n}: charge point ${this.cp.identity} declared ${this.cp.connectors} connector(s)`,
      );
    return n;
  }

  openTransaction(id: string, connector: number): void {
    this.transactions.set(id, connector);
    // A charger that never ends its transactions cannot grow this beyond a few per connector.
    while (this.transactions.size > Math.max(4, this.cp.connectors * 4)) this.transactions.delete(this.transactions.keys().next().value!);
  }

  /**
   * The charger's status from its connectors: faulted if any connector (or the whole charge point) is,
   * offline if the whole charge point or every connector is unavailable, occupied if any connector is in
   * use, otherwise available.
   */
  chargerStatus(): { status: ChargerStatus; errorCode?: string } {
    const all = [...this.connectorStatus.entries()];
    const faulted = all.find(([, s]) => s.status === 'faulted');
    if (faulted) return faulted[1];
    const whole = this.connectorStatus.get(0);
    const connectors = all.filter(([n]) => n > 0);
    if (whole?.status === 'offline' || (connectors.length > 0 && connectors.every(([, s]) => s.status === 'offline')))
      return { status: 'offline' };
    if (connectors.some(([, s]) => s.status === 'occupied')) return { status: 'occupied' };
    return { status: 'available' };
  }
}
