// What a charge point's messages mean to the copilot, OCPP 1.6J and 2.0.1 alike: the signals a message
// becomes (through the same validation, dedupe and pipeline as every other signal) and the answer the
// charge point gets. The library has checked each message against its version's JSON schema before it
// gets here; what is left to refuse is what the schema allows but this charge point cannot mean (a
// connector it never declared, a value in an unknown unit), answered with the matching CALLERROR.
import { createHash } from 'node:crypto';
import type { ChargerStatus } from '../eventBus/types.js';
import { OcppRefusal, type ChargePointLink, type OcppProtocol, type StationPower } from './link.js';
import { canonicalize } from '../services/audit/index.js';
import { MeterError, readMeterValue, type MeterReading, type MeterValue } from './meter.js';

export { ChargePointLink, OCPP_PROTOCOLS, OcppRefusal, StationPower } from './link.js';
export type { OcppProtocol } from './link.js';

/** The messages each version's charge points may send here; any other is answered NotImplemented. */
export const HANDLED: Record<OcppProtocol, readonly string[]> = {
  'ocpp1.6': [
    'BootNotification',
    'Heartbeat',
    'StatusNotification',
    'MeterValues',
    'StartTransaction',
    'StopTransaction',
    'Authorize',
    'DataTransfer',
    'DiagnosticsStatusNotification',
    'FirmwareStatusNotification',
  ],
  'ocpp2.0.1': [
    'BootNotification',
    'Heartbeat',
    'StatusNotification',
    'MeterValues',
    'TransactionEvent',
    'Authorize',
    'DataTransfer',
    'NotifyEvent',
    'NotifyReport',
    'SecurityEventNotification',
    'FirmwareStatusNotification',
    'LogStatusNotification',
  ],
};

/** A signal as a sender would post it (the ingestion validates it like any other). */
export interface RawSignal {
  id: string;
  stationId: string;
  type: string;
  ts: string;
  payload: Record<string, unknown>;
}

export interface MessageContext {
  link: ChargePointLink;
  action: string;
  messageId: string;
  params: Record<string, unknown>;
  /** This server's time, for answers and for a 1.6 StatusNotification without a timestamp. */
  now: Date;
  heartbeatS: number;
  power: StationPower;
}

export interface Mapped {
  signals: RawSignal[];
  response: Record<string, unknown>;
  /** What the charger said of itself (BootNotification). */
  boot?: { vendor: string; model: string; firmware: string | null; serial: string | null };
}

/**
 * A signal id from the charge point and the message: a resent message (the same content, or with no
 * timestamp of its own the same message id) is a duplicate; `part` tells a message's signals apart.
 */
function idFor(c: MessageContext, part: string, timestamped: boolean): string {
  const basis = canonicalize([c.link.cp.identity, c.action, timestamped ? null : c.messageId, c.params]);
  return `ocpp-${createHash('sha256').update(basis).digest('hex').slice(0, 40)}-${part}`;
}

function signal(
  c: MessageContext,
  type: string,
  ts: string,
  payload: Record<string, unknown>,
  part: string,
  timestamped = true,
): RawSignal {
  return { id: idFor(c, part, timestamped), stationId: c.link.cp.stationId, type, ts, payload };
}

/** A transaction id the 1.6 central system hands out: from the charge point, connector and start time, so a resent start gets the same one. */
export function transactionIdFor(identity: string, connectorId: number, timestamp: string): number {
  return createHash('sha256').update(`${identity}\n${connectorId}\n${timestamp}`).digest().readUInt32BE(0) >>> 1;
}

/** A `charging_session` signal for the link's charger; absent (null) figures are left out. */
function sessionSignal(
  c: MessageContext,
  ts: string,
  part: string,
  t: {
    connectorId: number;
    transactionId: string;
    event: 'started' | 'updated' | 'ended';
    energyWh?: number | null;
    socPct?: number | null;
    reason?: string | null;
  },
): RawSignal {
  const payload: Record<string, unknown> = {
    chargerId: c.link.cp.identity,
    connectorId: t.connectorId,
    transactionId: t.transactionId,
    event: t.event,
  };
  if (t.energyWh != null) payload.energyWh = t.energyWh;
  if (t.socPct != null) payload.socPct = t.socPct;
  if (t.reason) payload.reason = t.reason;
  return signal(c, 'charging_session', ts, payload, part);
}

function metered(
  c: MessageContext,
  readings: MeterReading[],
  connector: number,
  tx: { id: string; connector: number } | null,
): RawSignal[] {
  const { cp } = c.link;
  const out: RawSignal[] = [];
  readings.forEach((r, i) => {
    if (r.tempC !== null) out.push(signal(c, 'charger_temp', r.ts, { chargerId: cp.identity, tempC: r.tempC }, `t${i}`));
    if (r.powerKW !== null) {
      const kW = c.power.set(cp.stationId, `${cp.identity}#${connector}`, Math.max(0, r.powerKW));
      out.push(signal(c, 'power_draw', r.ts, { kW }, `p${i}`));
    }
    if (tx && (r.energyWh !== null || r.socPct !== null))
      out.push(
        sessionSignal(c, r.ts, `s${i}`, {
          connectorId: tx.connector,
          transactionId: tx.id,
          event: 'updated',
          energyWh: r.energyWh,
          socPct: r.socPct,
        }),
      );
  });
  return out;
}

function readAll(values: MeterValue[] | undefined, field: string): MeterReading[] {
  try {
    return (values ?? []).map((mv, i) => readMeterValue(mv, `${field}[${i}]`));
  } catch (err) {
    if (err instanceof MeterError) throw new OcppRefusal('PropertyConstraintViolation', err.message);
    throw err;
  }
}

const STATUS_16: Record<string, ChargerStatus> = {
  Available: 'available',
  Preparing: 'occupied',
  Charging: 'occupied',
  SuspendedEVSE: 'occupied',
  SuspendedEV: 'occupied',
  Finishing: 'occupied',
  Reserved: 'occupied',
  Unavailable: 'offline',
  Faulted: 'faulted',
};

const STATUS_201: Record<string, ChargerStatus> = {
  Available: 'available',
  Occupied: 'occupied',
  Reserved: 'occupied',
  Unavailable: 'offline',
  Faulted: 'faulted',
};

function statusSignal(c: MessageContext, ts: string, timestamped: boolean): RawSignal {
  const s = c.link.chargerStatus();
  return signal(
    c,
    'charger_status',
    ts,
    { chargerId: c.link.cp.identity, status: s.status, ...(s.errorCode ? { errorCode: s.errorCode } : {}) },
    'st',
    timestamped,
  );
}

type P = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- validated by the library's OCPP schemas

/** The signals and the answer for one message of an OCPP 1.6 charge point. */
export function map16(c: MessageContext): Mapped {
  const p = c.params as P;
  const now = c.now.toISOString();
  switch (c.action) {
    case 'BootNotification':
      return {
        signals: [],
        response: { status: 'Accepted', currentTime: now, interval: c.heartbeatS },
        boot: {
          vendor: p.chargePointVendor,
          model: p.chargePointModel,
          firmware: p.firmwareVersion ?? null,
          serial: p.chargePointSerialNumber ?? p.chargeBoxSerialNumber ?? null,
        },
      };
    case 'Heartbeat':
      return { signals: [], response: { currentTime: now } };
    case 'StatusNotification': {
      const n = c.link.connector(p.connectorId, 'connectorId');
      const status = STATUS_16[p.status as string]!;
      const errorCode = p.errorCode && p.errorCode !== 'NoError' ? String(p.errorCode) : undefined;
      c.link.connectorStatus.set(n, errorCode ? { status, errorCode } : { status });
      return { signals: [statusSignal(c, p.timestamp ?? now, p.timestamp !== undefined)], response: {} };
    }
    case 'MeterValues': {
      const n = c.link.connector(p.connectorId, 'connectorId');
      const txId = p.transactionId === undefined ? null : String(p.transactionId);
      const tx = txId === null ? null : { id: txId, connector: c.link.transactions.get(txId) ?? n };
      return { signals: metered(c, readAll(p.meterValue, 'meterValue'), n, tx), response: {} };
    }
    case 'StartTransaction': {
      const n = c.link.connector(p.connectorId, 'connectorId');
      if (n === 0) throw new OcppRefusal('PropertyConstraintViolation', 'connectorId 0: a transaction runs on a connector (1 or more)');
      const transactionId = transactionIdFor(c.link.cp.identity, n, p.timestamp);
      c.link.openTransaction(String(transactionId), n);
      const s = sessionSignal(c, p.timestamp, 'tx', {
        connectorId: n,
        transactionId: String(transactionId),
        event: 'started',
        energyWh: p.meterStart,
      });
      return { signals: [s], response: { transactionId, idTagInfo: { status: 'Accepted' } } };
    }
    case 'StopTransaction': {
      const id = String(p.transactionId);
      const connector = c.link.transactions.get(id) ?? 0;
      c.link.transactions.delete(id);
      const data = readAll(p.transactionData, 'transactionData');
      const s = sessionSignal(c, p.timestamp, 'tx', {
        connectorId: connector,
        transactionId: id,
        event: 'ended',
        energyWh: p.meterStop,
        reason: p.reason ? String(p.reason) : null,
      });
      return {
        signals: [...metered(c, data, connector, null), s],
        response: p.idTag ? { idTagInfo: { status: 'Accepted' } } : {},
      };
    }
    case 'Authorize':
      return { signals: [], response: { idTagInfo: { status: 'Accepted' } } };
    case 'DataTransfer':
      return { signals: [], response: { status: 'UnknownVendorId' } };
    case 'DiagnosticsStatusNotification':
    case 'FirmwareStatusNotification':
      return { signals: [], response: {} };
    default:
      throw new OcppRefusal('NotImplemented', `${c.action} is not handled by this central system`);
  }
}

/** The signals and the answer for one message of an OCPP 2.0.1 charging station. */
export function map201(c: MessageContext): Mapped {
  const p = c.params as P;
  const now = c.now.toISOString();
  switch (c.action) {
    case 'BootNotification': {
      const cs = p.chargingStation as P;
      return {
        signals: [],
        response: { status: 'Accepted', currentTime: now, interval: c.heartbeatS },
        boot: { vendor: cs.vendorName, model: cs.model, firmware: cs.firmwareVersion ?? null, serial: cs.serialNumber ?? null },
      };
    }
    case 'Heartbeat':
      return { signals: [], response: { currentTime: now } };
    case 'StatusNotification': {
      const n = c.link.connector(p.evseId, 'evseId');
      c.link.connectorStatus.set(n, { status: STATUS_201[p.connectorStatus as string]! });
      return { signals: [statusSignal(c, p.timestamp, true)], response: {} };
    }
    case 'MeterValues': {
      const n = c.link.connector(p.evseId, 'evseId');
      return { signals: metered(c, readAll(p.meterValue, 'meterValue'), n, null), response: {} };
    }
    case 'TransactionEvent': {
      const info = p.transactionInfo as P;
      const id = String(info.transactionId);
      const known = c.link.transactions.get(id);
      const n = p.evse ? c.link.connector(p.evse.id, 'evse.id') : (known ?? 0);
      if (p.eventType === 'Started' && n === 0)
        throw new OcppRefusal('OccurrenceConstraintViolation', 'evse: a Started transaction event names its EVSE');
      if (p.eventType !== 'Ended') c.link.openTransaction(id, n);
      else c.link.transactions.delete(id);
      const readings = readAll(p.meterValue, 'meterValue');
      const last = readings[readings.length - 1];
      const event = p.eventType === 'Started' ? 'started' : p.eventType === 'Ended' ? 'ended' : 'updated';
      const s = sessionSignal(c, p.timestamp, 'tx', {
        connectorId: n,
        transactionId: id,
        event,
        energyWh: last?.energyWh,
        socPct: last?.socPct,
        reason: event === 'ended' && info.stoppedReason ? String(info.stoppedReason) : null,
      });
      return {
        signals: [...metered(c, readings, n, null), s],
        response: p.idToken ? { idTokenInfo: { status: 'Accepted' } } : {},
      };
    }
    case 'Authorize':
      return { signals: [], response: { idTokenInfo: { status: 'Accepted' } } };
    case 'DataTransfer':
      return { signals: [], response: { status: 'UnknownVendorId' } };
    case 'NotifyEvent': {
      // 2.0.1 has no Temperature measurand: a charging station reports heat as a device-model event on a
      // variable named Temperature (the hottest reading of one notification is the charger's).
      const temps = ((p.eventData ?? []) as P[]).filter((e) => String(e.variable?.name).toLowerCase() === 'temperature');
      const signals = temps.map((e, i) => {
        const tempC = Number(e.actualValue);
        if (!Number.isFinite(tempC))
          throw new OcppRefusal(
            'PropertyConstraintViolation',
            `eventData[${i}].actualValue: ${JSON.stringify(e.actualValue)} is not a number`,
          );
        return signal(c, 'charger_temp', e.timestamp, { chargerId: c.link.cp.identity, tempC }, `e${e.eventId}`);
      });
      return { signals, response: {} };
    }
    case 'NotifyReport':
    case 'SecurityEventNotification':
    case 'FirmwareStatusNotification':
    case 'LogStatusNotification':
      return { signals: [], response: {} };
    default:
      throw new OcppRefusal('NotImplemented', `${c.action} is not handled by this central system`);
  }
}
