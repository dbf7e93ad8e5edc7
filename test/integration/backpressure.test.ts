// A database that goes away: acknowledgements wait, the write backlog reaches WRITE_BACKLOG_MAX,
// further signals are refused (503 BACKPRESSURE with Retry-After, a BACKPRESSURE ack) without being
// folded, /api/ready says 503, and once the database is back the backlog drains and nothing
// acknowledged is missing.
import { expect } from 'chai';
import request from 'supertest';
import { io as connect } from 'socket.io-client';
import { startTestApp, aRegistration, embeddedMongo, type TestApp } from '../helpers/app.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { sig } from '../helpers/signals.js';

/**
 * A copilot whose database connection runs through a TCP proxy the test can cut, with one station
 * registered; the hooks start it before the tests and stop it after.
 */
function behindCuttableDatabase(env: Record<string, string>, stationId: string): { proxy: () => TcpProxy; app: () => TestApp } {
  let proxy: TcpProxy;
  let t: TestApp;
  before(async () => {
    const db = new URL((await embeddedMongo()).uri);
    proxy = await startTcpProxy({ host: db.hostname, port: Number(db.port) });
    t = await startTestApp({ mongoUri: proxy.url.replace('http:', 'mongodb:'), env });
    await request(t.url).post('/api/stations').send(aRegistration(stationId)).expect(201);
  });
  after(async () => {
    await proxy.restore().catch(() => undefined);
    await t.close();
    await proxy.close();
  });
  return { proxy: () => proxy, app: () => t };
}

describe('backpressure while the database is away', function () {
  this.timeout(90_000);
  const setup = behindCuttableDatabase({ WRITE_BACKLOG_MAX: '2000' }, 'st-bp');

  it('refuses past the bound without folding anything, and loses nothing acknowledged once the database returns', async () => {
    const proxy = setup.proxy();
    const t = setup.app();
    await proxy.cut();
    let folded = 0;
    const backlogFull = new Promise<void>((resolve) =>
      t.app.bus.on('signal.received', () => {
        if (++folded === 2000) resolve();
      }),
    );
    const batches = [0, 1].map((b) =>
      Array.from({ length: 1000 }, (_, i) => sig('st-bp', 'queue_length', { waiting: (b * 1000 + i) % 50 })),
    );
    // Taken and folded, but not answered: the answer waits until the signals are in the log.
    const pending = batches.map((signals) =>
      request(t.url)
        .post('/api/data/signals')
        .send({ signals })
        .then((r) => r.status),
    );
    await backlogFull;
    const version = t.app.services.stations.get('st-bp')!.version;

    const refused = await request(t.url)
      .post('/api/data/signals')
      .send({ signals: [sig('st-bp', 'queue_length', { waiting: 99 })] });
    expect(refused.status).to.equal(503);
    expect(refused.headers['retry-after']).to.equal('1');
    expect(refused.body.error.code).to.equal('BACKPRESSURE');

    const socket = connect(`${t.url}/ingest`, { transports: ['websocket'] });
    const ack = await socket.emitWithAck('signal', sig('st-bp', 'queue_length', { waiting: 98 }));
    socket.close();
    expect(ack).to.deep.include({ ok: false });
    expect(ack.error.code).to.equal('BACKPRESSURE');
    // A refused signal changed nothing.
    expect(t.app.services.stations.get('st-bp')!.version).to.equal(version);
    expect(folded).to.equal(2000);

    const ready = await request(t.directUrl).get('/api/ready');
    expect(ready.status).to.equal(503);

    await proxy.restore();
    expect(await Promise.all(pending)).to.deep.equal([202, 202]);
    const ids = batches.flat().map((s) => s.id);
    expect(await t.app.models.SignalLog.countDocuments({ stationId: 'st-bp', signalId: { $in: ids } })).to.equal(2000);
    expect((await request(t.directUrl).get('/api/ready')).status).to.equal(200);
    // Taken again once there is room.
    await request(t.url)
      .post('/api/data/signals')
      .send({ signals: [sig('st-bp', 'queue_length', { waiting: 97 })] })
      .expect(202);
  });
});

describe('backpressure on signals in flight', function () {
  this.timeout(90_000);
  const setup = behindCuttableDatabase({ WRITE_BACKLOG_MAX: '50000', INGEST_IN_FLIGHT_MAX: '1000' }, 'st-if');

  it('refuses past INGEST_IN_FLIGHT_MAX signals not yet answered, folding nothing, and takes signals again once they are', async () => {
    const proxy = setup.proxy();
    const t = setup.app();
    await proxy.cut();
    let folded = 0;
    const decided = new Promise<void>((resolve) =>
      t.app.bus.on('signal.received', () => {
        if (++folded === 1000) resolve();
      }),
    );
    const signals = Array.from({ length: 1000 }, (_, i) => sig('st-if', 'queue_length', { waiting: i % 40 }));
    // Decided (the worker does not wait for the database) but not answered: the log cannot be written.
    const pending = request(t.url).post('/api/data/signals').send({ signals });
    const answered = pending.then((r) => r.status);
    await decided;
    const version = t.app.services.stations.get('st-if')!.version;

    const refused = await request(t.url)
      .post('/api/data/signals')
      .send({ signals: [sig('st-if', 'queue_length', { waiting: 41 })] });
    expect(refused.status).to.equal(503);
    expect(refused.body.error.code).to.equal('BACKPRESSURE');
    expect(refused.body.error.message).to.match(/1000 signals are taken and not yet answered \(the bound is 1000\)/);
    expect(t.app.services.stations.get('st-if')!.version).to.equal(version);
    const ready = await request(t.directUrl).get('/api/ready');
    expect(ready.status).to.equal(503);
    expect(ready.body.parts.decider.state).to.equal('down');

    await proxy.restore();
    expect(await answered).to.equal(202);
    expect((await request(t.directUrl).get('/api/ready')).status).to.equal(200);
    await request(t.url)
      .post('/api/data/signals')
      .send({ signals: [sig('st-if', 'queue_length', { waiting: 42 })] })
      .expect(202);
    expect(t.app.services.stations.get('st-if')!.version).to.equal(version + 1);
  });
});

describe('load shedding while the event loop falls behind', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { SHED_LAG_MS: '5' } });
    await request(t.url).post('/api/stations').send(aRegistration('st-shed')).expect(201);
  });
  after(() => t.close());

  it('answers BACKPRESSURE without folding while the loop is behind, and takes signals again once it caught up', async () => {
    const version = t.app.services.stations.get('st-shed')!.version;
    // A 300 ms stall: the lag timer fires late once it ends.
    const until = performance.now() + 300;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 15));
    let error: { code?: string; status?: number; message?: string } = {};
    await t.app.services.ingestion
      .ingest([sig('st-shed', 'queue_length', { waiting: 3 })], performance.now())
      .catch((e: unknown) => (error = e as typeof error));
    expect(error.code).to.equal('BACKPRESSURE');
    expect(error.status).to.equal(503);
    expect(error.message).to.match(/behind/);
    expect(t.app.services.stations.get('st-shed')!.version).to.equal(version);
    // Caught up: the smoothed lag decays within a few ticks of an idle loop.
    let accepted = 0;
    for (let i = 0; i < 200 && accepted === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      accepted = await t.app.services.ingestion
        .ingest([sig('st-shed', 'queue_length', { waiting: 4 })], performance.now())
        .then((r) => r.accepted)
        .catch(() => 0);
    }
    expect(accepted).to.equal(1);
    expect(t.app.services.stations.get('st-shed')!.version).to.equal(version + 1);
  });
});
