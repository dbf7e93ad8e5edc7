import { expect } from 'chai';
import { MeterError, readMeterValue } from '../../ocpp/meter.js';
import { ChargePointLink, StationPower, map16, map201, transactionIdFor, OcppRefusal, type MessageContext } from '../../ocpp/messages.js';
import { capOf } from '../../ocpp/actuator.js';
import type { PlanAction } from '../../eventBus/types.js';

const ts = '2026-03-02T09:00:00.000Z';

describe('ocpp/meter: readings into the copilot units', () => {
  it('reads 1.6 strings with units, the default measurand and the hottest temperature', () => {
    const r = readMeterValue(
      {
        timestamp: ts,
        sampledValue: [
          { value: '50', measurand: 'Temperature', unit: 'Celsius', location: 'Body' } as never,
          { value: '131', measurand: 'Temperature', unit: 'Fahrenheit' },
          { value: '11', measurand: 'Power.Active.Import', unit: 'kW' },
          { value: '12345' },
          { value: '80.5', measurand: 'SoC', unit: 'Percent' },
        ],
      },
      'meterValue[0]',
    );
    expect(r).to.deep.equal({ ts, tempC: 55, powerKW: 11, energyWh: 12345, socPct: 80.5 });
  });

  it('converts kelvin, watts, kWh and 2.0.1 multipliers, and sums phases only without a total', () => {
    const phases = readMeterValue(
      {
        timestamp: ts,
        sampledValue: [
          { value: 300.15, measurand: 'Temperature', unitOfMeasure: { unit: 'K' } },
          { value: 7, measurand: 'Power.Active.Import', phase: 'L1', unitOfMeasure: { unit: 'kW' } },
          { value: 7, measurand: 'Power.Active.Import', phase: 'L2-N', unitOfMeasure: { unit: 'kW' } },
          { value: 7, measurand: 'Power.Active.Import', phase: 'N', unitOfMeasure: { unit: 'kW' } },
          { value: 12, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh', multiplier: 1 } },
        ],
      },
      'mv',
    );
    expect(phases).to.include({ tempC: 27, powerKW: 14, energyWh: 120_000 });
    const withTotal = readMeterValue(
      {
        timestamp: ts,
        sampledValue: [
          { value: '3000', measurand: 'Power.Active.Import', phase: 'L1' },
          { value: '9000', measurand: 'Power.Active.Import' },
        ],
      },
      'mv',
    );
    expect(withTotal.powerKW).to.equal(9);
    expect(readMeterValue({ timestamp: ts, sampledValue: [{ value: '1', measurand: 'Voltage' }] }, 'mv')).to.include({
      tempC: null,
      powerKW: null,
      energyWh: null,
      socPct: null,
    });
  });

  it('refuses a value that is not a number or a unit it cannot read, naming the field', () => {
    for (const s of [
      { value: 'hot', measurand: 'Temperature' },
      { value: ' ', measurand: 'Temperature' },
      { value: '5', measurand: 'Temperature', unit: 'Percent' },
      { value: '5', measurand: 'Power.Active.Import', unit: 'A' },
      { value: '5', measurand: 'Energy.Active.Import.Register', unit: 'varh' },
    ]) {
      let err: unknown;
      try {
        readMeterValue({ timestamp: ts, sampledValue: [s] }, 'meterValue[2]');
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(s)).to.be.instanceOf(MeterError);
      expect((err as MeterError).field).to.match(/^meterValue\[2\]\.sampledValue/);
    }
  });
});

describe('ocpp/messages: what a message means', () => {
  const cp = { identity: 'CP-1', stationId: 'S1', connectors: 2 };
  const ctx = (link: ChargePointLink, action: string, params: Record<string, unknown>, messageId = 'm1'): MessageContext => ({
    link,
    action,
    messageId,
    params,
    now: new Date(ts),
    heartbeatS: 60,
    power: new StationPower(),
  });

  it("takes the charger's status from all its connectors: faulted, then offline, then occupied", () => {
    const link = new ChargePointLink(cp, 'ocpp1.6');
    const status = (connectorId: number, s: string, errorCode = 'NoError') =>
      map16(ctx(link, 'StatusNotification', { connectorId, status: s, errorCode, timestamp: ts })).signals[0]!.payload;
    expect(status(1, 'Available')).to.deep.equal({ chargerId: 'CP-1', status: 'available' });
    expect(status(2, 'Charging')).to.deep.equal({ chargerId: 'CP-1', status: 'occupied' });
    expect(status(1, 'Faulted', 'GroundFailure')).to.deep.equal({ chargerId: 'CP-1', status: 'faulted', errorCode: 'GroundFailure' });
    expect(status(1, 'Unavailable')).to.deep.equal({ chargerId: 'CP-1', status: 'occupied' });
    expect(status(2, 'Unavailable')).to.deep.equal({ chargerId: 'CP-1', status: 'offline' });
    expect(status(0, 'Available')).to.deep.equal({ chargerId: 'CP-1', status: 'offline' });
  });

  it('gives a resent message the same signal id, and a StatusNotification without a timestamp its message id', () => {
    const link = new ChargePointLink(cp, 'ocpp1.6');
    const p = { connectorId: 1, status: 'Available', errorCode: 'NoError', timestamp: ts };
    const a = map16(ctx(link, 'StatusNotification', p, 'm1')).signals[0]!;
    const b = map16(ctx(link, 'StatusNotification', p, 'm2')).signals[0]!;
    expect(a.id).to.equal(b.id);
    const untimed = { connectorId: 1, status: 'Available', errorCode: 'NoError' };
    const c = map16(ctx(link, 'StatusNotification', untimed, 'm3')).signals[0]!;
    const d = map16(ctx(link, 'StatusNotification', untimed, 'm4')).signals[0]!;
    expect(c.id).not.to.equal(d.id);
    expect(c.ts).to.equal(ts);
  });

  it('sums the station power over charge points and connectors', () => {
    const power = new StationPower();
    expect(power.set('S1', 'A#1', 10)).to.equal(10);
    expect(power.set('S1', 'B#1', 5.5)).to.equal(15.5);
    expect(power.set('S1', 'A#1', 2)).to.equal(7.5);
    power.forget('S1', 'A');
    expect(power.size).to.equal(1);
  });

  it('hands out the same 1.6 transaction id for a resent start, and bounds open transactions', () => {
    expect(transactionIdFor('CP-1', 1, ts)).to.equal(transactionIdFor('CP-1', 1, ts));
    expect(transactionIdFor('CP-1', 1, ts)).not.to.equal(transactionIdFor('CP-1', 2, ts));
    const link = new ChargePointLink(cp, 'ocpp1.6');
    for (let i = 0; i < 50; i++) link.openTransaction(String(i), 1);
    expect(link.transactions.size).to.equal(8);
  });

  it('refuses a connector beyond those declared, a transaction on connector 0, and unknown actions', () => {
    const link = new ChargePointLink(cp, 'ocpp2.0.1');
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as OcppRefusal;
      }
      throw new Error('not refused');
    };
    expect(refusal(() => map201(ctx(link, 'MeterValues', { evseId: 3, meterValue: [] }))).code).to.equal('PropertyConstraintViolation');
    expect(
      refusal(() =>
        map201(
          ctx(link, 'TransactionEvent', {
            eventType: 'Started',
            timestamp: ts,
            triggerReason: 'Authorized',
            seqNo: 0,
            transactionInfo: { transactionId: 't' },
          }),
        ),
      ).code,
    ).to.equal('OccurrenceConstraintViolation');
    expect(refusal(() => map201(ctx(link, 'Teleport', {}))).code).to.equal('NotImplemented');
    const link16 = new ChargePointLink(cp, 'ocpp1.6');
    expect(
      refusal(() => map16(ctx(link16, 'StartTransaction', { connectorId: 0, idTag: 'x', meterStart: 0, timestamp: ts }))).code,
    ).to.equal('PropertyConstraintViolation');
    expect(refusal(() => map16(ctx(link16, 'Teleport', {}))).code).to.equal('NotImplemented');
  });

  it('answers the messages it takes without a signal as OCPP expects', () => {
    const link = new ChargePointLink(cp, 'ocpp1.6');
    expect(map16(ctx(link, 'Authorize', { idTag: 'x' })).response).to.deep.equal({ idTagInfo: { status: 'Accepted' } });
    expect(map16(ctx(link, 'DataTransfer', { vendorId: 'v' })).response).to.deep.equal({ status: 'UnknownVendorId' });
    expect(map16(ctx(link, 'FirmwareStatusNotification', { status: 'Idle' })).signals).to.have.length(0);
    const l2 = new ChargePointLink(cp, 'ocpp2.0.1');
    expect(map201(ctx(l2, 'Authorize', { idToken: { idToken: 'x', type: 'ISO14443' } })).response).to.deep.equal({
      idTokenInfo: { status: 'Accepted' },
    });
    expect(map201(ctx(l2, 'Heartbeat', {})).response).to.deep.equal({ currentTime: ts });
    expect(map201(ctx(l2, 'SecurityEventNotification', { type: 'x', timestamp: ts })).signals).to.have.length(0);
  });
});

describe('ocpp/actuator: the cap a plan puts on a charger', () => {
  const action = (over: Partial<PlanAction>): PlanAction =>
    ({ id: 'a', status: 'active', target: 'station', params: {}, ...over }) as PlanAction;
  it('is the lowest of the derates and curtailments in force for it, or null', () => {
    const plan = [
      action({ action: 'derate_charger', target: 'C1', params: { chargerId: 'C1', maxKW: 30 } }),
      action({ action: 'curtail_charging', params: { 'kW:C1': 22, 'kW:C2': 40 } }),
      action({ action: 'derate_charger', target: 'C3', status: 'pending_approval', params: { chargerId: 'C3', maxKW: 10 } }),
    ];
    expect(capOf(plan, 'C1')).to.equal(22);
    expect(capOf(plan, 'C2')).to.equal(40);
    expect(capOf(plan, 'C3')).to.equal(null);
  });
});
