// The central system alone on a loopback HTTP server, with a registry that a test controls: what only
// several instances need (the sweep of charge points removed elsewhere), the stop, and the bound on
// commands waiting for a charge point to connect.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import pino from 'pino';
import { RPCClient } from 'ocpp-rpc';
import { CENTRAL_SYSTEM_DEFAULTS, CentralSystem, OcppActuator } from '../../ocpp/index.js';
import type { Handover, PlanAction, StationPlan } from '../../eventBus/types.js';
import { Revocations } from '../../services/access/index.js';
import { createMetrics } from '../../services/platform/index.js';

interface Client {
  connect(): Promise<unknown>;
  call(method: string, params?: unknown): Promise<unknown>;
  once(event: string, fn: (e: { code: number }) => void): void;
  close(o?: { force?: boolean }): Promise<unknown>;
}

describe('ocpp/centralSystem: several instances and the stop', () => {
  let http: Server;
  let cs: CentralSystem;
  let url: string;
  const registered = new Set(['CP-A', 'CP-B']);

  beforeEach(async () => {
    cs = new CentralSystem({
      chargePoints: {
        authenticate: async (identity, password) =>
          registered.has(identity) && password?.toString() === 'pw' ? { identity, stationId: 'S1', connectors: 1 } : null,
        booted: async () => undefined,
        stillRegistered: async (ids) => new Set(ids.filter((id) => registered.has(id))),
      },
      ingest: async () => ({ accepted: 0, duplicates: 0, rejected: [], results: [] }),
      revocations: new Revocations(),
      metrics: createMetrics(),
      logger: pino({ level: 'silent' }),
      now: () => new Date(),
      options: { ...CENTRAL_SYSTEM_DEFAULTS, sweepMs: 50 },
    });
    http = createServer();
    cs.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ocpp`;
  });
  afterEach(async () => {
    await cs.close();
    await new Promise((resolve) => http.close(resolve));
  });

  const connect = async (identity: string): Promise<Client> => {
    const c = new RPCClient({
      endpoint: url,
      identity,
      password: 'pw',
      protocols: ['ocpp1.6'],
      reconnect: false,
    } as never) as unknown as Client;
    await c.connect();
    return c;
  };

  it('closes the connection of a charge point another instance removed, and keeps the others', async () => {
    const a = await connect('CP-A');
    const b = await connect('CP-B');
    const closed = new Promise<{ code: number }>((resolve) => a.once('close', resolve));
    registered.delete('CP-A');
    expect((await closed).code).to.equal(1008);
    expect(cs.isConnected('CP-A')).to.equal(false);
    expect(cs.isConnected('CP-B')).to.equal(true);
    expect(await b.call('Heartbeat', {})).to.have.property('currentTime');
    registered.add('CP-A');
    await b.close();
  });

  it('a new connection of the same identity replaces the old one', async () => {
    const first = await connect('CP-B');
    const closed = new Promise<{ code: number }>((resolve) => first.once('close', resolve));
    const second = await connect('CP-B');
    await closed;
    expect(cs.connectedCount).to.equal(1);
    expect(await second.call('Heartbeat', {})).to.have.property('currentTime');
  });

  it('stops with charge points connected, closing them', async () => {
    const a = await connect('CP-B');
    const closed = new Promise<{ code: number }>((resolve) => a.once('close', resolve));
    await cs.close();
    expect((await closed).code).to.be.oneOf([1001, 1006]);
    expect(cs.connectedCount).to.equal(0);
  });
});

describe('ocpp/actuator: commands for a charge point that is not connected', () => {
  it('wait at most `waitingPerChargePoint` each and expire unsent at the deadline', async () => {
    const cs = new CentralSystem({
      chargePoints: { authenticate: async () => null, booted: async () => undefined, stillRegistered: async () => new Set() },
      ingest: async () => ({ accepted: 0, duplicates: 0, rejected: [], results: [] }),
      revocations: new Revocations(),
      metrics: createMetrics(),
      logger: pino({ level: 'silent' }),
      now: () => new Date(),
      options: CENTRAL_SYSTEM_DEFAULTS,
    });
    const actuator = new OcppActuator(
      cs,
      { serves: () => true, identitiesOf: () => ['CP-away'] },
      { deadlineMs: 150, waitingPerChargePoint: 2 },
    );
    const offline = (n: number): Handover => {
      const action = {
        id: `take_charger_offline:CP-away:${n}`,
        action: 'take_charger_offline',
        target: 'CP-away',
        status: 'active',
        params: { chargerId: 'CP-away' },
      } as unknown as PlanAction;
      return {
        stationId: 'S1',
        decisionId: `d${n}`,
        commands: [
          {
            ref: `d${n}/start/x`,
            kind: 'start',
            actionId: action.id,
            action: 'take_charger_offline',
            target: 'CP-away',
            params: action.params,
          },
        ],
        started: [action],
        plan: { actions: [action] } as unknown as StationPlan,
      };
    };
    const answers = await Promise.all([1, 2, 3].map((n) => actuator.carryOut(offline(n))));
    const outcomes = answers.map((a) => a[0]!);
    expect(outcomes.filter((o) => o.outcome === 'timeout').map((o) => o.detail)).to.deep.equal([
      'CP-away ChangeAvailability: charge point CP-away was not connected; expired unsent',
      'CP-away ChangeAvailability: charge point CP-away was not connected; expired unsent',
    ]);
    expect(outcomes.filter((o) => o.outcome === 'failed')).to.have.length(1);
    expect(outcomes.find((o) => o.outcome === 'failed')!.detail).to.match(/not connected and 2 commands already wait for it/);
    expect(actuator.waitingCount).to.equal(0);
    await cs.close();
  });
});
