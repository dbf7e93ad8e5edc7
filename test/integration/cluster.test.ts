// Two copilots behind one Redis (a real redis-server), sharing one database: what one decides reaches
// the other's dashboards, a dashboard that reconnects is sent what it missed, and losing Redis refuses
// signals (nothing taken) and marks the instance not ready until Redis is back.
import { expect } from 'chai';
import request from 'supertest';
import { io as connect, type Socket } from 'socket.io-client';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { sig, criticalFault } from '../helpers/signals.js';
import { once } from '../helpers/sockets.js';
import { decisionIdOf } from '../../agents/common.js';
import { RedisCache } from '../../services/platform/index.js';
import { freePort } from '../../utils/net.js';

const dashboard = async (url: string, opts: Record<string, unknown> = {}) => {
  const s = connect(`${url}/dashboard`, { transports: ['websocket'], ...opts });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', reject);
  });
  return s;
};

/** Polls a condition another instance makes true through Redis (no event here tells when). */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('several instances behind one Redis', function () {
  this.timeout(60_000);
  let redis: RedisHandle;
  let a: TestApp;
  let b: TestApp;
  const sockets: Socket[] = [];

  before(async () => {
    redis = await startRedis();
    a = await startTestApp({ redisUrl: redis.url });
    b = await startTestApp({ redisUrl: redis.url, dbName: a.dbName });
    await request(a.url).post('/api/stations').send(aRegistration('st-x')).expect(201);
    await until(() => b.app.services.stations.has('st-x'));
  });
  after(async () => {
    for (const s of sockets) s.close();
    await a.close();
    await b.close();
    await redis.stop();
  });

  it("shows a dashboard on B the decision made on A, and A's station updates once B's dashboard watches", async () => {
    const onB = await dashboard(b.url);
    sockets.push(onB);
    expect(await onB.emitWithAck('subscribe', { stationIds: ['st-x'] })).to.deep.equal({ ok: true, stationIds: ['st-x'] });
    const fault = criticalFault('st-x', 'C1');
    const created = once<{ id: string; hash: string }>(onB, 'decision:created', (d) => d.id === decisionIdOf(fault));
    await request(a.url).post('/api/data/signals').send(fault).expect(202);
    const d = await created;
    expect(d.hash).to.match(/^[0-9a-f]{64}$/);

    // A learns which stations B's dashboards watch from B itself (a server-side event): until it has,
    // A does not send their per-signal updates. Readings go to A until one is seen on B.
    let seen: string | null = null;
    const updated = once<{ signalId: string }>(onB, 'station:updated', () => true).then((e) => (seen = e.signalId));
    const sent: string[] = [];
    for (let i = 0; i < 50 && !seen; i++) {
      const s = sig('st-x', 'queue_length', { waiting: i });
      sent.push(s.id);
      await request(a.url).post('/api/data/signals').send(s).expect(202);
      await Promise.race([updated, new Promise((r) => setTimeout(r, 100))]);
    }
    expect(sent).to.include(seen);
  });

  it('takes in on B a station registered on A, in the same partition, and a capacity changed on A', async () => {
    await request(a.url)
      .post('/api/stations')
      .send(aRegistration('st-y', { location: { lat: 10, lng: 10 } }))
      .expect(201);
    await until(() => b.app.services.stations.has('st-y'));
    expect(b.app.services.stations.partitionOf('st-y')).to.equal(a.app.services.stations.partitionOf('st-y'));
    // B takes its signals at once, as A does.
    await request(b.url)
      .post('/api/data/signals')
      .send(sig('st-y', 'queue_length', { waiting: 2 }))
      .expect(202);
    const chargers = a.app.services.stations.get('st-y')!.capacity.chargers + 2;
    await request(a.url).patch('/api/stations/st-y').send({ capacity: { chargers } }).expect(200);
    await until(() => b.app.services.stations.get('st-y')!.capacity.chargers === chargers);
  });

  it("answers a station read on either instance with the working instance's latest state", async () => {
    await request(a.url)
      .post('/api/stations')
      .send(aRegistration('st-r', { location: { lat: 48.1, lng: 11.5 } }))
      .expect(201);
    await until(() => b.app.services.stations.has('st-r'));
    for (let i = 1; i <= 5; i++)
      await request(a.url)
        .post('/api/data/signals')
        .send(sig('st-r', 'queue_length', { waiting: i }))
        .expect(202);
    // Whichever instance works the station writes its state behind; the other reads that, not its own copy.
    const stored = async () =>
      (await a.app.models.StationState.findOne({ stationId: 'st-r' }).lean())?.state as { version?: number } | undefined;
    const end = Date.now() + 10_000;
    while (((await stored())?.version ?? 0) < 5 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    for (const t of [a, b]) {
      const one = await request(t.url).get('/api/stations/st-r').expect(200);
      expect(one.body).to.deep.include({ version: 5 });
      expect(one.body.queue.waiting).to.equal(5);
      const listed = await request(t.url).get('/api/stations?limit=100').expect(200);
      expect(listed.body.items.find((x: { id: string }) => x.id === 'st-r')).to.deep.include({ version: 5 });
    }
  });

  it('notifies a condition every instance sees (the database down) once, from the instance that claimed it', async () => {
    const down = { db: { state: 'down' as const, detail: 'no answer' } };
    await Promise.all([a.app.services.notifications.onHealth(down), b.app.services.notifications.onHealth(down)]);
    const sent = await a.app.models.Notification.find({ kind: 'db_down' }, { userId: 1 }).lean();
    const users = sent.map((n) => String(n.userId));
    expect(users.length).to.be.greaterThan(0);
    // Both instances know the first admin: without the claim it would get one from each.
    expect(new Set(users).size).to.equal(users.length);
  });

  it('sends a dashboard that reconnects what it missed while away (connection-state recovery through Redis)', async () => {
    const onA = await dashboard(a.url);
    const onB = await dashboard(b.url, { reconnection: false });
    sockets.push(onA, onB);
    await onA.emitWithAck('subscribe', { stationIds: ['st-x'] });
    await onB.emitWithAck('subscribe', { stationIds: ['st-x'] });
    // A first event gives B's client an offset in the stream to resume from.
    const first = criticalFault('st-x', 'C2');
    const firstSeen = once<{ id: string }>(onB, 'decision:created', (x) => x.id === decisionIdOf(first));
    await request(a.url).post('/api/data/signals').send(first).expect(202);
    await firstSeen;

    const away = new Promise<string>((resolve) => onB.once('disconnect', (reason) => resolve(reason)));
    onB.io.engine.close();
    await away;
    const missed = criticalFault('st-x', 'C3');
    const onAseen = once<{ id: string }>(onA, 'decision:created', (x) => x.id === decisionIdOf(missed));
    const caughtUp = once<{ id: string }>(onB, 'decision:created', (x) => x.id === decisionIdOf(missed));
    await request(a.url).post('/api/data/signals').send(missed).expect(202);
    await onAseen;

    const back = new Promise<void>((resolve) => onB.once('connect', () => resolve()));
    onB.connect();
    await back;
    expect(onB.recovered).to.equal(true);
    expect((await caughtUp).id).to.equal(decisionIdOf(missed));
  });
});

// The stream log (the default with Redis) claims and appends in one step; the direct log claims only.
for (const [log, code] of [
  ['stream', 'LOG_UNAVAILABLE'],
  ['direct', 'CACHE_UNAVAILABLE'],
] as const)
  describe(`Redis lost and back (SIGNAL_LOG=${log})`, function () {
    this.timeout(60_000);
    let redis: RedisHandle;
    let proxy: TcpProxy;
    let t: TestApp;

    before(async () => {
      redis = await startRedis();
      const port = Number(new URL(redis.url).port);
      proxy = await startTcpProxy({ host: '127.0.0.1', port });
      t = await startTestApp({ redisUrl: `redis://127.0.0.1:${new URL(proxy.url).port}`, env: { SIGNAL_LOG: log } });
      await request(t.url).post('/api/stations').send(aRegistration('st-l')).expect(201);
    });
    after(async () => {
      await t.close();
      await proxy.close();
      await redis.stop();
    });

    it('refuses signals with a 503 taking nothing and is not ready while Redis is away; recovers by itself', async () => {
      await request(t.url)
        .post('/api/data/signals')
        .send(sig('st-l', 'queue_length', { waiting: 1 }))
        .expect(202);
      await proxy.cut();
      const s = sig('st-l', 'queue_length', { waiting: 2 });
      const refused = await request(t.url).post('/api/data/signals').send(s).expect(503);
      expect(refused.body.error.code).to.equal(code);
      expect(refused.headers['retry-after']).to.equal('1');
      expect(await t.app.models.SignalLog.countDocuments({ signalId: s.id })).to.equal(0);
      const ready = await request(t.url).get('/api/ready');
      expect(ready.status).to.equal(503);

      await proxy.restore();
      // ioredis reconnects on its own schedule (backing off up to 2 s): ready tells when it has.
      for (let i = 0; i < 100; i++) {
        if ((await request(t.url).get('/api/ready')).status === 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await request(t.url).get('/api/ready')).status).to.equal(200);
      const retried = await request(t.url).post('/api/data/signals').send(s).expect(202);
      expect(retried.body.accepted).to.equal(1);
    });
  });

describe('RedisCache.open: a REDIS_URL that does not answer', () => {
  it('rejects within its timeout naming the URL without its password, rather than waiting', async () => {
    const port = await freePort();
    const started = performance.now();
    let error: Error | null = null;
    await RedisCache.open(`redis://:s3cret@127.0.0.1:${port}`, 1500).catch((e: Error) => (error = e));
    expect(performance.now() - started).to.be.below(5000);
    expect(error).to.be.instanceOf(Error);
    expect(error!.message).to.contain(`127.0.0.1:${port}`).and.not.contain('s3cret');
  });
});
