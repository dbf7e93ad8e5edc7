// Two copilots behind one Redis, one database: a charge point connected to the instance that does not
// work its station's partition still gets the commands of the plan, through the instance it is on.
import { expect } from 'chai';
import request from 'supertest';
import { RPCClient } from 'ocpp-rpc';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import type { ActionOutcome } from '../../eventBus/types.js';

/** Polls what another instance makes true through Redis or the database (no event here tells when). */
async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Client {
  connect(): Promise<unknown>;
  close(o?: { force?: boolean }): Promise<unknown>;
  call(method: string, params?: unknown): Promise<unknown>;
  handle(method: string, fn: (c: { params: Record<string, unknown> }) => unknown): void;
}

describe('OCPP across instances', function () {
  this.timeout(90_000);
  let redis: RedisHandle;
  let a: TestApp;
  let b: TestApp;
  let cp: Client | null = null;

  before(async () => {
    redis = await startRedis();
    a = await startTestApp({ redisUrl: redis.url });
    b = await startTestApp({ redisUrl: redis.url, dbName: a.dbName });
  });
  after(async () => {
    await cp?.close({ force: true }).catch(() => undefined);
    await a.close();
    await b.close();
    await redis.stop();
  });

  it("sends the owner's command to the charge point through the instance it is connected to, and records the answer", async () => {
    await request(a.url).post('/api/stations').send(aRegistration('oc-x')).expect(201);
    await until(() => b.app.services.stations.has('oc-x'));
    const works = (t: TestApp) => t.app.services.streamLog?.consumer.works(t.app.services.stations.partitionOf('oc-x')) === true;
    await until(() => works(a) || works(b));
    const [owner, other] = works(a) ? [a, b] : [b, a];

    // Registered on the other instance; the owner learns of it from the database.
    const reg = await request(other.url).post('/api/stations/oc-x/charge-points').send({ identity: 'CPX-1' }).expect(201);
    await until(() => owner.app.services.chargePoints.serves('oc-x'));

    const client = new RPCClient({
      endpoint: `${other.directUrl.replace(/^http/, 'ws')}/ocpp`,
      identity: 'CPX-1',
      password: reg.body.password,
      protocols: ['ocpp1.6'],
      strictMode: true,
      reconnect: false,
    } as never) as unknown as Client;
    cp = client;
    const change = new Promise<Record<string, unknown>>((resolve) =>
      client.handle('ChangeAvailability', ({ params }) => {
        resolve(params);
        return { status: 'Accepted' };
      }),
    );
    await client.connect();
    expect(owner.app.services.ocpp.isConnected('CPX-1')).to.equal(false);
    expect(other.app.services.ocpp.isConnected('CPX-1')).to.equal(true);

    await client.call('StatusNotification', {
      connectorId: 1,
      errorCode: 'GroundFailure',
      status: 'Faulted',
      timestamp: '2026-03-02T13:00:00.000Z',
    });
    expect(await change).to.deep.equal({ connectorId: 0, type: 'Inoperative' });
    let outcome: ActionOutcome | null = null;
    await until(async () => {
      outcome = (await owner.app.models.ActionOutcome.findOne({
        stationId: 'oc-x',
        action: 'take_charger_offline',
      }).lean()) as ActionOutcome | null;
      return outcome !== null;
    });
    expect(outcome).to.include({ actuator: 'ocpp', outcome: 'accepted' });
  });
});
