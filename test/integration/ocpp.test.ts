// The OCPP central system with real charge point clients (ocpp-rpc's RPCClient over loopback, both
// protocol versions): registration, the handshake, messages into signals through the pipeline, the
// copilot's actions back out as OCPP commands with their answers as anchored outcomes, and bad input.
import { expect } from 'chai';
import request from 'supertest';
import { RPCClient } from 'ocpp-rpc';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { createEventBus, type EventBus } from '../../eventBus/index.js';
import type { ActionOutcome, Decision, StationState } from '../../eventBus/types.js';

/** The library's client, typed as these tests use it (its own types are loose). */
interface Client {
  protocol: string;
  connect(): Promise<unknown>;
  close(options?: { force?: boolean }): Promise<unknown>;
  call(method: string, params?: unknown): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  handle(method: string, handler: (call: { params: any }) => unknown): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  sendRaw(message: string): void;
  on(event: string, fn: (e: any) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  off(event: string, fn: (e: any) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  once(event: string, fn: (e: any) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function rpcClient(options: Record<string, unknown>): Client {
  return new RPCClient(options as never) as unknown as Client;
}

function nextOutcome(bus: EventBus, match: (o: ActionOutcome) => boolean): Promise<ActionOutcome> {
  return new Promise((resolve) => {
    const on = (e: { outcome: ActionOutcome }) => {
      if (!match(e.outcome)) return;
      bus.off('decision.outcome', on);
      resolve(e.outcome);
    };
    bus.on('decision.outcome', on);
  });
}

function nextDecision(bus: EventBus, match: (d: Decision) => boolean): Promise<Decision> {
  return new Promise((resolve) => {
    const on = (e: { decision: Decision }) => {
      if (!match(e.decision)) return;
      bus.off('decision.made', on);
      resolve(e.decision);
    };
    bus.on('decision.made', on);
  });
}

/** Resolves with the params of the next call of this method the charge point gets, answering it with `answer`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function nextCall(cp: Client, method: string, answer: (params: any) => unknown): Promise<any> {
  return new Promise((resolve) => {
    cp.handle(method, ({ params }) => {
      resolve(params);
      return answer(params);
    });
  });
}

/** Polls a condition the code under test has no event for (a command parked for a charge point). */
async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rpcError(p: Promise<unknown>): Promise<{ rpcErrorCode: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { rpcErrorCode: string; message: string };
  }
  throw new Error('expected a CALLERROR');
}

describe('OCPP central system', function () {
  this.timeout(60_000);
  let t: TestApp;
  let bus: EventBus;
  let wsUrl: string;
  const clients: Client[] = [];
  let n = 0;

  before(async () => {
    bus = createEventBus();
    t = await startTestApp({ bus, env: { ACTUATION_TIMEOUT_MS: '3000', OCPP_MESSAGES_PER_S: '50' } });
    wsUrl = `${t.directUrl.replace(/^http/, 'ws')}/ocpp`;
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close({ force: true }).catch(() => undefined)));
    await t.close();
  });

  async function aStation(over: Parameters<typeof aRegistration>[1] = {}): Promise<string> {
    const id = `oc-${++n}`;
    await request(t.url).post('/api/stations').send(aRegistration(id, over)).expect(201);
    return id;
  }

  async function register(stationId: string, identity: string, connectors = 2): Promise<string> {
    const res = await request(t.url).post(`/api/stations/${stationId}/charge-points`).send({ identity, connectors }).expect(201);
    return res.body.password as string;
  }

  function client(identity: string, password: string | undefined, protocol: 'ocpp1.6' | 'ocpp2.0.1'): Client {
    const c = rpcClient({
      endpoint: wsUrl,
      identity,
      ...(password === undefined ? {} : { password }),
      protocols: [protocol],
      strictMode: true,
      reconnect: false,
      callTimeoutMs: 10_000,
    });
    clients.push(c);
    return c;
  }

  async function connected(stationId: string, identity: string, protocol: 'ocpp1.6' | 'ocpp2.0.1', connectors = 2) {
    const password = await register(stationId, identity, connectors);
    const cp = client(identity, password, protocol);
    await cp.connect();
    return { cp, password };
  }

  async function state(stationId: string): Promise<StationState> {
    return (await request(t.url).get(`/api/stations/${stationId}`).expect(200)).body as StationState;
  }

  /** Signals folded into the station so far. */
  async function version(stationId: string): Promise<number> {
    return (await state(stationId)).version;
  }

  describe('registration', () => {
    it('registers a charge point (the password once), lists it without secrets, records the admin action, and removes it', async () => {
      const stationId = await aStation();
      const res = await request(t.url)
        .post(`/api/stations/${stationId}/charge-points`)
        .send({ identity: 'CP-reg-1', connectors: 2 })
        .expect(201);
      expect(res.body.chargePoint).to.include({ identity: 'CP-reg-1', stationId, connectors: 2 });
      expect(res.body.password).to.be.a('string').with.length.greaterThan(20);
      const list = await request(t.url).get(`/api/stations/${stationId}/charge-points`).expect(200);
      expect(list.body.items).to.have.length(1);
      expect(JSON.stringify(list.body)).not.to.include(res.body.password);
      expect(list.body.items[0]).not.to.have.property('passwordHash');
      expect(list.body.items[0].connected).to.equal(false);
      const actions = await request(t.url).get('/api/audit/admin-actions').expect(200);
      const items = (actions.body.items ?? actions.body) as { action: string; target: string; details: { identity?: string } }[];
      expect(
        items.some((a) => a.action === 'charge_point.register' && a.target === stationId && a.details.identity === 'CP-reg-1'),
      ).to.equal(true);
      await request(t.url).delete(`/api/stations/${stationId}/charge-points/CP-reg-1`).expect(204);
      await request(t.url).delete(`/api/stations/${stationId}/charge-points/CP-reg-1`).expect(404);
      expect((await request(t.url).get(`/api/stations/${stationId}/charge-points`).expect(200)).body.items).to.have.length(0);
    });

    it('refuses bad input naming the field, a taken identity, a full station, and anyone but an admin', async () => {
      const stationId = await aStation({ capacity: { bays: 2, chargers: 1, batterySlots: 10 } });
      const bad = await request(t.url).post(`/api/stations/${stationId}/charge-points`).send({ identity: 'has space' }).expect(400);
      expect(bad.body.error.details[0].field).to.equal('identity');
      const badConnectors = await request(t.url)
        .post(`/api/stations/${stationId}/charge-points`)
        .send({ identity: 'CP-x', connectors: 99 })
        .expect(400);
      expect(badConnectors.body.error.details[0].field).to.equal('connectors');
      await request(t.url).post('/api/stations/nowhere/charge-points').send({ identity: 'CP-x' }).expect(404);
      await register(stationId, 'CP-full-1', 1);
      const taken = await request(t.url).post(`/api/stations/${stationId}/charge-points`).send({ identity: 'CP-full-1' }).expect(409);
      expect(taken.body.error.code).to.equal('CHARGE_POINT_EXISTS');
      const full = await request(t.url).post(`/api/stations/${stationId}/charge-points`).send({ identity: 'CP-full-2' }).expect(409);
      expect(full.body.error.code).to.equal('CHARGER_CAPACITY');
      await request(t.url)
        .post(`/api/stations/${stationId}/charge-points`)
        .set('x-anonymous', '1')
        .send({ identity: 'CP-anon' })
        .expect(401);
      const op = await t.app.services.users.create({
        email: 'ocpp-op@example.com',
        password: 'a-long-enough-password',
        role: 'operator',
        stationScope: 'all',
      });
      const token = await t.app.services.tokens.access(op.user.id, 'operator');
      await request(t.directUrl).get(`/api/stations/${stationId}/charge-points`).set('authorization', `Bearer ${token}`).expect(403);
      expect(await t.app.models.ChargePoint.countDocuments({ stationId })).to.equal(1);
    });
  });

  describe('the handshake', () => {
    it('refuses an unknown identity, a wrong password, no password and no OCPP subprotocol; takes the right one', async () => {
      const stationId = await aStation();
      const password = await register(stationId, 'CP-hs-1');
      for (const [identity, pw, protocols] of [
        ['CP-unknown', password, ['ocpp1.6']],
        ['CP-hs-1', 'not-the-password-at-all', ['ocpp1.6']],
        ['CP-hs-1', undefined, ['ocpp1.6']],
        ['CP-hs-1', password, ['ocpp1.2']],
      ] as const) {
        const c = new RPCClient({
          endpoint: wsUrl,
          identity,
          ...(pw ? { password: pw } : {}),
          protocols: [...protocols],
          reconnect: false,
        } as never);
        let refused = false;
        await c.connect().catch(() => (refused = true));
        expect(refused, `${identity} ${String(pw)} ${protocols.join()}`).to.equal(true);
      }
      const ok = client('CP-hs-1', password, 'ocpp2.0.1');
      await ok.connect();
      expect(ok.protocol).to.equal('ocpp2.0.1');
      expect(t.app.services.ocpp.isConnected('CP-hs-1')).to.equal(true);
    });

    it('closes the connection at once when the charge point is removed', async () => {
      const stationId = await aStation();
      const { cp } = await connected(stationId, 'CP-rm-1', 'ocpp1.6');
      await cp.call('MeterValues', {
        connectorId: 1,
        meterValue: [{ timestamp: '2026-03-02T08:59:00.000Z', sampledValue: [{ value: '7000', measurand: 'Power.Active.Import' }] }],
      });
      const readings = t.app.services.ocpp.power.size;
      const closed = new Promise<{ code: number }>((resolve) => cp.once('close', resolve));
      await request(t.url).delete(`/api/stations/${stationId}/charge-points/CP-rm-1`).expect(204);
      expect((await closed).code).to.equal(1008);
      expect(t.app.services.ocpp.isConnected('CP-rm-1')).to.equal(false);
      // Its reading left the station's power sum with it.
      expect(t.app.services.ocpp.power.size).to.equal(readings - 1);
    });
  });

  describe('OCPP 1.6J', () => {
    it('boots, keeps what the charger says of itself, and turns status and meter values into the station state', async () => {
      const stationId = await aStation();
      const { cp } = await connected(stationId, 'CP16-a', 'ocpp1.6');
      const boot = await cp.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Volt-50', firmwareVersion: '1.2.3' });
      expect(boot).to.include({ status: 'Accepted', interval: 300 });
      const listed = (await request(t.url).get(`/api/stations/${stationId}/charge-points`).expect(200)).body.items[0];
      expect(listed).to.include({ vendor: 'Acme', model: 'Volt-50', firmware: '1.2.3', protocol: 'ocpp1.6', connected: true });
      expect(await cp.call('Heartbeat', {})).to.have.property('currentTime');

      await cp.call('StatusNotification', {
        connectorId: 1,
        errorCode: 'NoError',
        status: 'Charging',
        timestamp: '2026-03-02T09:00:00.000Z',
      });
      await cp.call('MeterValues', {
        connectorId: 1,
        meterValue: [
          {
            timestamp: '2026-03-02T09:00:10.000Z',
            sampledValue: [
              { value: '41.5', measurand: 'Temperature', unit: 'Celsius', location: 'Body' },
              { value: '22000', measurand: 'Power.Active.Import', unit: 'W' },
            ],
          },
        ],
      });
      const s = await state(stationId);
      expect(s.chargers['CP16-a']).to.include({ status: 'occupied', tempC: 41.5 });
      expect(s.power.drawKW).to.equal(22);
    });

    it('a resent message is a duplicate: nothing new is stored', async () => {
      const stationId = await aStation();
      const { cp } = await connected(stationId, 'CP16-dup', 'ocpp1.6');
      const mv = {
        connectorId: 1,
        meterValue: [{ timestamp: '2026-03-02T09:01:00.000Z', sampledValue: [{ value: '40', measurand: 'Temperature' }] }],
      };
      await cp.call('MeterValues', mv);
      const before = await version(stationId);
      expect(before).to.be.greaterThan(0);
      await cp.call('MeterValues', mv);
      expect(await version(stationId)).to.equal(before);
    });

    it('opens and ends a charging session from Start/StopTransaction', async () => {
      const stationId = await aStation();
      const { cp } = await connected(stationId, 'CP16-tx', 'ocpp1.6');
      const start = await cp.call('StartTransaction', {
        connectorId: 2,
        idTag: 'TAG1',
        meterStart: 1000,
        timestamp: '2026-03-02T09:02:00.000Z',
      });
      expect(start.idTagInfo.status).to.equal('Accepted');
      expect(start.transactionId).to.be.a('number');
      let s = await state(stationId);
      expect(s.chargers['CP16-tx']!.sessions).to.have.length(1);
      expect(s.chargers['CP16-tx']!.sessions![0]).to.include({ transactionId: String(start.transactionId), connectorId: 2 });
      await cp.call('StopTransaction', {
        transactionId: start.transactionId,
        meterStop: 9000,
        timestamp: '2026-03-02T09:40:00.000Z',
        reason: 'EVDisconnected',
      });
      s = await state(stationId);
      expect(s.chargers['CP16-tx']!.sessions).to.have.length(0);
    });

    it('a critical fault takes the charger offline over OCPP (ChangeAvailability), and the answer is an anchored outcome', async () => {
      const stationId = await aStation();
      const { cp } = await connected(stationId, 'CP16-fault', 'ocpp1.6');
      const change = nextCall(cp, 'ChangeAvailability', () => ({ status: 'Accepted' }));
      const outcome = nextOutcome(bus, (o) => o.stationId === stationId && o.action === 'take_charger_offline');
      await cp.call('StatusNotification', {
        connectorId: 1,
        errorCode: 'GroundFailure',
        status: 'Faulted',
        timestamp: '2026-03-02T09:05:00.000Z',
      });
      expect(await change).to.deep.equal({ connectorId: 0, type: 'Inoperative' });
      const o = await outcome;
      expect(o).to.include({ actuator: 'ocpp', outcome: 'accepted', target: 'CP16-fault' });
      const stored = await t.app.models.ActionOutcome.findOne({ ref: o.ref }).lean();
      expect(stored?.hash).to.equal(o.hash);
      expect(stored?.anchorSeq).to.be.a('number');
      const plan = (await request(t.url).get(`/api/stations/${stationId}/plan`).expect(200)).body;
      expect(plan.actuator).to.equal('ocpp');
    });

    it('a refused command becomes a rejected outcome, and the plan stops counting on it', async () => {
      const stationId = await aStation();
      const { cp } = await connected(stationId, 'CP16-no', 'ocpp1.6');
      cp.handle('GetConfiguration', () => ({
        configurationKey: [{ key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: 'Current' }],
      }));
      const profile = nextCall(cp, 'SetChargingProfile', () => ({ status: 'Rejected' }));
      const outcome = nextOutcome(bus, (o) => o.stationId === stationId && o.action === 'derate_charger');
      await cp.call('MeterValues', {
        connectorId: 1,
        meterValue: [{ timestamp: '2026-03-02T09:10:00.000Z', sampledValue: [{ value: '70', measurand: 'Temperature', unit: 'Celsius' }] }],
      });
      const sent = await profile;
      // Only amperes declared: 30 kW over three phases at 230 V.
      expect(sent.csChargingProfiles.chargingProfilePurpose).to.equal('ChargePointMaxProfile');
      expect(sent.csChargingProfiles.chargingSchedule).to.deep.equal({
        chargingRateUnit: 'A',
        chargingSchedulePeriod: [{ startPeriod: 0, limit: 43.5 }],
      });
      const replanned = nextDecision(bus, (d) => d.stationId === stationId && d.signalType === 'actuation_outcome');
      expect(await outcome).to.include({ actuator: 'ocpp', outcome: 'rejected' });
      await replanned;
      const plan = (await request(t.url).get(`/api/stations/${stationId}/plan`).expect(200)).body as { actions: { action: string }[] };
      expect(plan.actions.filter((a) => a.action === 'derate_charger')).to.have.length(0);
    });
  });

  describe('a charger that reboots', () => {
    it('is told its standing cap again after its BootNotification', async () => {
      const stationId = await aStation();
      const { cp, password } = await connected(stationId, 'CP16-boot', 'ocpp1.6');
      cp.handle('GetConfiguration', () => ({
        configurationKey: [{ key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: 'Power' }],
      }));
      const first = nextCall(cp, 'SetChargingProfile', () => ({ status: 'Accepted' }));
      const outcome = nextOutcome(bus, (o) => o.stationId === stationId && o.action === 'derate_charger');
      await cp.call('MeterValues', {
        connectorId: 1,
        meterValue: [{ timestamp: '2026-03-02T09:20:00.000Z', sampledValue: [{ value: '70', measurand: 'Temperature' }] }],
      });
      await first;
      expect(await outcome).to.include({ outcome: 'accepted' });
      await cp.close();

      const again = client('CP16-boot', password, 'ocpp1.6');
      again.handle('GetConfiguration', () => ({
        configurationKey: [{ key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: 'Power' }],
      }));
      const resent = nextCall(again, 'SetChargingProfile', () => ({ status: 'Accepted' }));
      await again.connect();
      await again.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Volt-50' });
      const sent = await resent;
      expect(sent.csChargingProfiles.chargingProfileId).to.equal(7101);
      expect(sent.csChargingProfiles.chargingSchedule.chargingSchedulePeriod).to.deep.equal([{ startPeriod: 0, limit: 30000 }]);
    });
  });

  describe('OCPP 2.0.1', () => {
    it('maps status, meter values and transaction events; a derate goes out as a ChargingStationMaxProfile in W', async () => {
      const stationId = await aStation();
      const { cp } = await connected(stationId, 'CP201-a', 'ocpp2.0.1');
      const boot = await cp.call('BootNotification', {
        reason: 'PowerUp',
        chargingStation: { vendorName: 'Acme', model: 'Flux-2', firmwareVersion: '2.0' },
      });
      expect(boot).to.include({ status: 'Accepted' });
      await cp.call('StatusNotification', {
        timestamp: '2026-03-02T10:00:00.000Z',
        connectorStatus: 'Occupied',
        evseId: 1,
        connectorId: 1,
      });
      await cp.call('TransactionEvent', {
        eventType: 'Started',
        timestamp: '2026-03-02T10:00:05.000Z',
        triggerReason: 'CablePluggedIn',
        seqNo: 0,
        transactionInfo: { transactionId: 'tx-201-1' },
        evse: { id: 1, connectorId: 1 },
        meterValue: [
          { timestamp: '2026-03-02T10:00:05.000Z', sampledValue: [{ value: 5000, measurand: 'Energy.Active.Import.Register' }] },
        ],
      });
      let s = await state(stationId);
      expect(s.chargers['CP201-a']!.status).to.equal('occupied');
      expect(s.chargers['CP201-a']!.sessions![0]).to.include({ transactionId: 'tx-201-1', connectorId: 1 });

      cp.handle('GetVariables', () => ({
        getVariableResult: [
          { attributeStatus: 'Accepted', attributeValue: 'A,W', component: { name: 'SmartChargingCtrlr' }, variable: { name: 'RateUnit' } },
        ],
      }));
      const profile = nextCall(cp, 'SetChargingProfile', () => ({ status: 'Accepted' }));
      const outcome = nextOutcome(bus, (o) => o.stationId === stationId && o.action === 'derate_charger');
      await cp.call('NotifyEvent', {
        generatedAt: '2026-03-02T10:01:00.000Z',
        seqNo: 0,
        eventData: [
          {
            eventId: 7,
            timestamp: '2026-03-02T10:01:00.000Z',
            trigger: 'Delta',
            actualValue: '68',
            eventNotificationType: 'HardWiredMonitor',
            component: { name: 'ChargingStation' },
            variable: { name: 'Temperature' },
          },
        ],
      });
      await cp.call('MeterValues', {
        evseId: 1,
        meterValue: [
          {
            timestamp: '2026-03-02T10:01:00.000Z',
            sampledValue: [
              { value: 11, measurand: 'Power.Active.Import', phase: 'L1', unitOfMeasure: { unit: 'kW' } },
              { value: 11, measurand: 'Power.Active.Import', phase: 'L2', unitOfMeasure: { unit: 'kW' } },
            ],
          },
        ],
      });
      const sent = await profile;
      expect(sent.evseId).to.equal(0);
      expect(sent.chargingProfile.chargingProfilePurpose).to.equal('ChargingStationMaxProfile');
      expect(sent.chargingProfile.chargingSchedule[0]).to.include({ chargingRateUnit: 'W' });
      expect(sent.chargingProfile.chargingSchedule[0].chargingSchedulePeriod).to.deep.equal([{ startPeriod: 0, limit: 30000 }]);
      const o = await outcome;
      expect(o).to.include({ actuator: 'ocpp', outcome: 'accepted', kind: 'start' });
      s = await state(stationId);
      expect(s.power.drawKW).to.equal(22);

      await cp.call('TransactionEvent', {
        eventType: 'Ended',
        timestamp: '2026-03-02T10:30:00.000Z',
        triggerReason: 'EVCommunicationLost',
        seqNo: 1,
        transactionInfo: { transactionId: 'tx-201-1', stoppedReason: 'EVDisconnected' },
        meterValue: [
          { timestamp: '2026-03-02T10:30:00.000Z', sampledValue: [{ value: 25000, measurand: 'Energy.Active.Import.Register' }] },
        ],
      });
      s = await state(stationId);
      expect(s.chargers['CP201-a']!.sessions).to.have.length(0);
    });

    it('a command for a charge point that is not connected waits and goes when it connects', async () => {
      const stationId = await aStation();
      const { cp, password } = await connected(stationId, 'CP201-away', 'ocpp2.0.1');
      await cp.close();
      const outcome = nextOutcome(bus, (o) => o.stationId === stationId && o.action === 'take_charger_offline');
      // Another charge point's sender (an operator over REST) reports the fault while this one is away.
      await request(t.url)
        .post('/api/data/signals')
        .send({
          signals: [
            {
              id: 'away-fault-1',
              stationId,
              type: 'charger_status',
              ts: '2026-03-02T11:00:00.000Z',
              payload: { chargerId: 'CP201-away', status: 'faulted', errorCode: 'GroundFailure' },
            },
          ],
        })
        .expect(202);
      await until(() => t.app.services.ocppActuator.waitingCount > 0);
      const back = client('CP201-away', password, 'ocpp2.0.1');
      const change = nextCall(back, 'ChangeAvailability', () => ({ status: 'Scheduled' }));
      await back.connect();
      expect(await change).to.deep.equal({ operationalStatus: 'Inoperative' });
      expect(await outcome).to.include({ outcome: 'accepted', actuator: 'ocpp' });
    });
  });

  describe('bad input', () => {
    it('answers the right CALLERROR and stores nothing', async () => {
      const stationId = await aStation();
      const { cp } = await connected(stationId, 'CP-bad', 'ocpp1.6', 1);
      const before = await version(stationId);
      const undeclared = await rpcError(
        cp.call('StatusNotification', { connectorId: 3, errorCode: 'NoError', status: 'Available', timestamp: '2026-03-02T12:00:00.000Z' }),
      );
      expect(undeclared.rpcErrorCode).to.equal('PropertyConstraintViolation');
      expect(undeclared.message).to.include('connectorId 3');
      const hot = await rpcError(
        cp.call('MeterValues', {
          connectorId: 1,
          meterValue: [{ timestamp: '2026-03-02T12:00:00.000Z', sampledValue: [{ value: '400', measurand: 'Temperature' }] }],
        }),
      );
      expect(hot.rpcErrorCode).to.equal('PropertyConstraintViolation');
      expect(hot.message).to.include('tempC');
      const notNumber = await rpcError(
        cp.call('MeterValues', {
          connectorId: 1,
          meterValue: [{ timestamp: '2026-03-02T12:00:00.000Z', sampledValue: [{ value: 'hot', measurand: 'Temperature' }] }],
        }),
      );
      expect(notNumber.rpcErrorCode).to.equal('PropertyConstraintViolation');
      // Against the schema: the charge point's own strict mode would refuse to send these, so they go raw.
      const raw = (msg: unknown[]) =>
        new Promise<unknown[]>((resolve) => {
          const on = ({ message, outbound }: { message: Buffer | string; outbound: boolean }) => {
            if (outbound) return;
            const parsed = JSON.parse(String(message)) as unknown[];
            if (parsed[1] !== msg[1]) return;
            cp.off('message', on);
            resolve(parsed);
          };
          cp.on('message', on);
          cp.sendRaw(JSON.stringify(msg));
        });
      const schema = await raw([2, 'bad-1', 'StatusNotification', { connectorId: 'one', errorCode: 'NoError', status: 'Available' }]);
      expect(schema[0]).to.equal(4);
      expect(schema[2]).to.match(/TypeConstraintViolation|FormationViolation|PropertyConstraintViolation/);
      const unknown = await raw([2, 'bad-2', 'MakeCoffee', {}]);
      expect(unknown[2]).to.equal('NotImplemented');
      cp.sendRaw('this is not json');
      // The connection lives on: a good message is still taken.
      expect(await cp.call('Heartbeat', {})).to.have.property('currentTime');
      expect(await version(stationId)).to.equal(before);
    });

    it('rate limits a flooding charge point and then disconnects it, without touching another one', async () => {
      const stationId = await aStation();
      const { cp: flood } = await connected(stationId, 'CP-flood', 'ocpp1.6');
      const { cp: calm } = await connected(stationId, 'CP-calm', 'ocpp1.6');
      const closed = new Promise<{ code: number }>((resolve) => flood.once('close', resolve));
      const answers = await Promise.allSettled(Array.from({ length: 300 }, () => flood.call('Heartbeat', {})));
      const limited = answers.filter(
        (a) => a.status === 'rejected' && (a.reason as { rpcErrorCode?: string }).rpcErrorCode === 'GenericError',
      );
      expect(limited.length).to.be.greaterThan(0);
      expect((await closed).code).to.equal(1008);
      expect(await calm.call('Heartbeat', {})).to.have.property('currentTime');
      expect(t.app.services.ocpp.isConnected('CP-calm')).to.equal(true);
    });
  });
});
