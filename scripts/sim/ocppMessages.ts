// How a simulated charger words what it sends in OCPP 1.6J or 2.0.1: its BootNotification, its status
// (with 1.6's error codes), its temperature and the station's power as a meter reading.
import type { Signal } from '../../eventBus/types.js';

export type Protocol = 'ocpp1.6' | 'ocpp2.0.1';

export interface OcppMessage {
  method: string;
  params: Record<string, unknown>;
}

/** What wording a signal needs of the charge point that sends it. */
export interface Sender {
  protocol: Protocol;
  /** 2.0.1 NotifyEvent numbering, per charge point. */
  seqNo: number;
}

/** OCPP 1.6 ChargePointErrorCode; a simulator code outside it is sent as OtherError with the code as the vendor's. */
const ERROR_CODES_16 = new Set([
  'ConnectorLockFailure',
  'EVCommunicationError',
  'GroundFailure',
  'HighTemperature',
  'InternalError',
  'LocalListConflict',
  'OtherError',
  'OverCurrentFailure',
  'PowerMeterFailure',
  'PowerSwitchFailure',
  'ReaderFailure',
  'ResetFailure',
  'UnderVoltage',
  'OverVoltage',
  'WeakSignal',
]);
/** The simulator's names for conditions 1.6 names otherwise. */
const ERROR_ALIASES_16: Record<string, string> = { OverCurrent: 'OverCurrentFailure' };

const STATUS_16 = { available: 'Available', occupied: 'Charging', faulted: 'Faulted', offline: 'Unavailable' } as const;
const STATUS_201 = { available: 'Available', occupied: 'Occupied', faulted: 'Faulted', offline: 'Unavailable' } as const;

export function errorCode16(code: string | undefined): { errorCode: string; vendorErrorCode?: string } {
  if (!code) return { errorCode: 'OtherError' };
  const named = ERROR_ALIASES_16[code] ?? code;
  return ERROR_CODES_16.has(named) ? { errorCode: named } : { errorCode: 'OtherError', vendorErrorCode: code.slice(0, 50) };
}

export function bootNotification(protocol: Protocol): Record<string, unknown> {
  return protocol === 'ocpp1.6'
    ? { chargePointVendor: 'ev-copilot', chargePointModel: 'simulated-charger', firmwareVersion: 'simulate' }
    : { reason: 'PowerUp', chargingStation: { vendorName: 'ev-copilot', model: 'simulated-charger', firmwareVersion: 'simulate' } };
}

/** The OCPP message a signal becomes on the charge point that carries it; null: OCPP does not carry it. */
export function messageFor(s: Signal, cp: Sender): OcppMessage | null {
  if (s.type === 'charger_status') {
    const { status, errorCode } = s.payload;
    if (cp.protocol === 'ocpp1.6')
      return {
        method: 'StatusNotification',
        params: {
          connectorId: 1,
          status: STATUS_16[status],
          ...(status === 'faulted' ? errorCode16(errorCode) : { errorCode: 'NoError' }),
          timestamp: s.ts,
        },
      };
    return {
      method: 'StatusNotification',
      params: { timestamp: s.ts, connectorStatus: STATUS_201[status], evseId: 1, connectorId: 1 },
    };
  }
  if (s.type === 'charger_temp') {
    const tempC = s.payload.tempC;
    if (cp.protocol === 'ocpp1.6')
      return {
        method: 'MeterValues',
        params: {
          connectorId: 0,
          meterValue: [
            { timestamp: s.ts, sampledValue: [{ value: String(tempC), measurand: 'Temperature', unit: 'Celsius', location: 'Body' }] },
          ],
        },
      };
    // 2.0.1 has no Temperature measurand: the charging station reports heat as a device-model event.
    const seqNo = cp.seqNo++;
    return {
      method: 'NotifyEvent',
      params: {
        generatedAt: s.ts,
        seqNo,
        eventData: [
          {
            eventId: seqNo,
            timestamp: s.ts,
            trigger: 'Periodic',
            actualValue: String(tempC),
            eventNotificationType: 'HardWiredMonitor',
            component: { name: 'ChargingStation' },
            variable: { name: 'Temperature' },
          },
        ],
      },
    };
  }
  if (s.type === 'power_draw') {
    // The whole station's draw, on the main meter (connector/EVSE 0) of the charge point that carries it.
    const watts = Math.round(s.payload.kW * 1000);
    if (cp.protocol === 'ocpp1.6')
      return {
        method: 'MeterValues',
        params: {
          connectorId: 0,
          meterValue: [{ timestamp: s.ts, sampledValue: [{ value: String(watts), measurand: 'Power.Active.Import', unit: 'W' }] }],
        },
      };
    return {
      method: 'MeterValues',
      params: {
        evseId: 0,
        meterValue: [{ timestamp: s.ts, sampledValue: [{ value: watts, measurand: 'Power.Active.Import', unitOfMeasure: { unit: 'W' } }] }],
      },
    };
  }
  return null;
}
