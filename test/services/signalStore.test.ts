// The raw signal log behind its port: the embedded LMDB journal (receive order, paging by station,
// retention, reopening) and MongoDB's TTL index, against the in-process wire server.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { open } from 'lmdb';
import type { Connection } from 'mongoose';
import { EmbeddedSignalStore, MongoSignalStore, RETENTION_INDEX, moveLegacySignals } from '../../services/pipeline/index.js';
import { connectMongo } from '../../services/platform/database.js';
import { createModels, type SignalLogDoc } from '../../models/index.js';
import { embeddedMongo } from '../helpers/app.js';

const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const doc = (stationId: string, n: number, atMs = T0 + n): SignalLogDoc => ({
  signalId: `sig-${String(n).padStart(6, '0')}`,
  stationId,
  type: 'queue_length',
  ts: new Date(atMs).toISOString(),
  payload: { waiting: n },
  receivedAt: new Date(atMs),
});

describe('EmbeddedSignalStore (the embedded signal journal)', () => {
  let dir: string;
  let store: EmbeddedSignalStore;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'signals-'));
    store = EmbeddedSignalStore.open(path.join(dir, 'signals.mdb'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists signals in the order they were taken in, page by page, and by station', async () => {
    // Interleaved stations, all received in the same millisecond: the sequence keeps the order.
    const docs = Array.from({ length: 25 }, (_, i) => doc(i % 2 ? 'st-b' : 'st-a', i, T0));
    await store.insert(docs.slice(0, 10));
    await store.insert(docs.slice(10));
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await store.list({ limit: 7, after });
      seen.push(...r.docs.map((d) => d.signalId));
      if (!r.nextCursor) break;
      expect(r.nextCursor).to.match(/^[0-9a-f]{24}$/);
      after = r.nextCursor;
    }
    expect(seen).to.deep.equal(docs.map((d) => d.signalId));
    const onlyB = await store.list({ stationIds: ['st-b'], limit: 5 });
    expect(onlyB.docs.map((d) => d.signalId)).to.deep.equal(
      docs
        .filter((d) => d.stationId === 'st-b')
        .slice(0, 5)
        .map((d) => d.signalId),
    );
    const restB = await store.list({ stationIds: ['st-b'], limit: 100, after: onlyB.nextCursor! });
    expect(restB.docs.map((d) => d.signalId)).to.deep.equal(
      docs
        .filter((d) => d.stationId === 'st-b')
        .slice(5)
        .map((d) => d.signalId),
    );
    expect(restB.nextCursor).to.equal(null);
    const both = await store.list({ stationIds: ['st-b', 'st-a', 'st-b'], limit: 100 });
    expect(both.docs.map((d) => d.signalId)).to.deep.equal(docs.map((d) => d.signalId));
    expect(both.docs[3]).to.deep.include({ stationId: 'st-b', type: 'queue_length', payload: { waiting: 3 } });
    expect(both.docs[3].receivedAt.getTime()).to.equal(T0);
  });

  it('says which signals it already holds, by station and id, looking only from when they were taken', async () => {
    await store.insert([doc('st-a', 1), doc('st-b', 2), doc('st-a', 3)]);
    const asked = [
      { stationId: 'st-a', signalId: 'sig-000001', receivedAt: new Date(T0 + 1) },
      // The same id at another station is another signal.
      { stationId: 'st-b', signalId: 'sig-000001', receivedAt: new Date(T0 + 1) },
      { stationId: 'st-a', signalId: 'sig-000003', receivedAt: new Date(T0 + 3) },
      { stationId: 'st-a', signalId: 'sig-000009', receivedAt: new Date(T0 + 1) },
    ];
    expect([...(await store.existing(asked))].sort()).to.deep.equal(['st-a/sig-000001', 'st-a/sig-000003']);
    expect(await store.existing([])).to.deep.equal(new Set());
  });

  it('names the most recent ids first, for the dedupe cache', async () => {
    await store.insert([doc('st-a', 1), doc('st-b', 2), doc('st-a', 3)]);
    expect(await store.recentIds(2)).to.deep.equal([
      { stationId: 'st-a', signalId: 'sig-000003' },
      { stationId: 'st-b', signalId: 'sig-000002' },
    ]);
    expect(await store.recentIds(0)).to.deep.equal([]);
  });

  it('reads recent ids from a journal of earlier versions (no ids table) for the part its ids table lacks', async () => {
    await store.close();
    // The earlier layout: entries and the station index only.
    const file = path.join(dir, 'signals.mdb');
    const root = open({ path: file, maxDbs: 4, noSubdir: true });
    const log = root.openDB('log', { encoding: 'msgpack' });
    await root.transaction(() => {
      for (const [i, d] of [doc('st-a', 1), doc('st-b', 2)].entries()) {
        const { receivedAt, ...value } = d;
        void log.put([receivedAt.getTime(), i], value);
      }
    });
    await root.close();
    store = EmbeddedSignalStore.open(file);
    await store.insert([doc('st-c', 3)]);
    expect(await store.recentIds(5)).to.deep.equal([
      { stationId: 'st-c', signalId: 'sig-000003' },
      { stationId: 'st-b', signalId: 'sig-000002' },
      { stationId: 'st-a', signalId: 'sig-000001' },
    ]);
    expect(await store.recentIds(2)).to.deep.equal([
      { stationId: 'st-c', signalId: 'sig-000003' },
      { stationId: 'st-b', signalId: 'sig-000002' },
    ]);
  });

  it('drops signals received before the retention cut, from the log and the station index', async () => {
    const hour = 3600_000;
    await store.insert([doc('st-a', 1, T0), doc('st-b', 2, T0 + hour), doc('st-a', 3, T0 + 3 * hour)]);
    expect(await store.prune(new Date(T0 + 2 * hour))).to.equal(2);
    expect(await store.count()).to.equal(1);
    expect((await store.list({ limit: 10 })).docs.map((d) => d.signalId)).to.deep.equal(['sig-000003']);
    expect((await store.list({ stationIds: ['st-b'], limit: 10 })).docs).to.deep.equal([]);
    expect(await store.recentIds(10)).to.deep.equal([{ stationId: 'st-a', signalId: 'sig-000003' }]);
    expect(await store.prune(new Date(T0 + 2 * hour))).to.equal(0);
  });

  it('prunes more than one transaction holds', async () => {
    const many = Array.from({ length: 12_000 }, (_, i) => doc(`st-${i % 7}`, i, T0 + i));
    await store.insert(many);
    expect(await store.prune(new Date(T0 + 11_000))).to.equal(11_000);
    expect(await store.count()).to.equal(1000);
  });

  it('keeps what was acknowledged across a reopen, and appends after it in order even if the clock stepped back', async () => {
    await store.insert([doc('st-a', 1, T0 + 5000)]);
    await store.close();
    store = EmbeddedSignalStore.open(path.join(dir, 'signals.mdb'));
    await store.insert([doc('st-a', 2, T0)]);
    expect((await store.list({ limit: 10 })).docs.map((d) => d.signalId)).to.deep.equal(['sig-000001', 'sig-000002']);
  });

  it('maps the file again every remapEvery signals without losing, reordering or blocking what comes meanwhile', async () => {
    await store.close();
    store = EmbeddedSignalStore.open(path.join(dir, 'signals.mdb'), { remapEvery: 10 });
    // 7 batches of 5, none awaited before the next is sent: remaps fall between them, and appends and
    // reads made while one is under way wait for it instead of touching a closed file.
    const docs = Array.from({ length: 35 }, (_, i) => doc(i % 3 ? 'st-b' : 'st-a', i, T0));
    const writes: Promise<unknown>[] = [];
    for (let b = 0; b < 7; b++) {
      writes.push(store.insert(docs.slice(b * 5, b * 5 + 5)));
      writes.push(store.list({ limit: 100 }));
      writes.push(store.recentIds(3));
    }
    await Promise.all(writes);
    expect(store.remapped).to.equal(3);
    expect((await store.list({ limit: 100 })).docs.map((d) => d.signalId)).to.deep.equal(docs.map((d) => d.signalId));
    const byA = (await store.list({ stationIds: ['st-a'], limit: 100 })).docs.map((d) => d.signalId);
    expect(byA).to.deep.equal(docs.filter((d) => d.stationId === 'st-a').map((d) => d.signalId));
    expect(await store.prune(new Date(T0 + 1))).to.equal(35);
    expect(await store.count()).to.equal(0);
  });

  it('refuses writes once closed', async () => {
    await store.close();
    let error: unknown;
    await store.insert([doc('st-a', 1)]).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/closed/);
    store = EmbeddedSignalStore.open(path.join(dir, 'signals.mdb'));
  });
});

describe('MongoSignalStore (signals in MongoDB)', () => {
  let conn: Connection;
  before(async () => {
    conn = await connectMongo((await embeddedMongo()).uri, { dbName: `test_${randomUUID().replace(/-/g, '')}`, embedded: true });
  });
  after(() => conn.close());

  it('keeps signals for SIGNAL_RETENTION_H through a TTL index, changed in place when the window changes', async () => {
    const models = createModels(conn);
    await MongoSignalStore.open(models, 72 * 3600);
    const ttl = async () => (await models.SignalLog.collection.indexes()).find((i) => i.name === RETENTION_INDEX)?.expireAfterSeconds;
    expect(await ttl()).to.equal(72 * 3600);
    await MongoSignalStore.open(models, 24 * 3600);
    expect(await ttl()).to.equal(24 * 3600);
    const market = (await models.EnergyMarket.collection.indexes()).find((i) => i.name === RETENTION_INDEX);
    expect(market?.expireAfterSeconds).to.equal(24 * 3600);
  });

  it('says which signals it already holds, by station and id', async () => {
    const store = await MongoSignalStore.open(createModels(conn), 3600);
    // Later than the next test's prune cut: this database is shared by the tests of this block.
    const later = T0 + 7_200_000;
    await store.insert([doc('st-m', 1, later), doc('st-n', 2, later)]);
    const found = await store.existing([
      { stationId: 'st-m', signalId: 'sig-000001', receivedAt: new Date(T0) },
      { stationId: 'st-m', signalId: 'sig-000002', receivedAt: new Date(T0) },
      { stationId: 'st-n', signalId: 'sig-000002', receivedAt: new Date(T0) },
    ]);
    expect([...found].sort()).to.deep.equal(['st-m/sig-000001', 'st-n/sig-000002']);
  });

  it('stores grid prices in the market collection too and prunes both by receive time', async () => {
    const models = createModels(conn);
    const store = await MongoSignalStore.open(models, 3600);
    const price = {
      ...doc('st-p', 1),
      type: 'grid_price',
      payload: { pricePerKWh: 0.3, currency: 'EUR', validFrom: '2026-12-01T08:00:00Z', validTo: '2026-12-01T09:00:00Z' },
    };
    await store.insert([price, doc('st-p', 2, T0 + 3600_000)]);
    expect(await models.SignalLog.countDocuments({ stationId: 'st-p' })).to.equal(2);
    expect(await models.EnergyMarket.countDocuments({ stationId: 'st-p' })).to.equal(1);
    expect(await store.prune(new Date(T0 + 1000))).to.equal(1);
    expect(await models.EnergyMarket.countDocuments({ stationId: 'st-p' })).to.equal(0);
    expect((await store.list({ stationIds: ['st-p'], limit: 10 })).docs.map((d) => d.signalId)).to.deep.equal(['sig-000002']);
  });
});

describe('moving the signals of earlier versions into the journal', () => {
  it('moves the SignalLog collection of the wire server into the journal in receive order, then drops the old collections', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'legacy-'));
    const conn = await connectMongo((await embeddedMongo()).uri, { dbName: `test_${randomUUID().replace(/-/g, '')}`, embedded: true });
    const store = EmbeddedSignalStore.open(path.join(dir, 'signals.mdb'));
    try {
      const old = Array.from({ length: 12 }, (_, i) => doc(i % 2 ? 'st-y' : 'st-x', i, T0 + i));
      await conn.db!.collection('signallogs').insertMany(old.map((d) => ({ ...d })));
      await conn.db!.collection('energymarkets').insertOne({ signalId: 'p-1', stationId: 'st-x' });
      const logged: unknown[] = [];
      expect(await moveLegacySignals(conn, store, { info: (o: unknown) => logged.push(o) } as never)).to.equal(12);
      expect((await store.list({ limit: 100 })).docs.map((d) => d.signalId)).to.deep.equal(old.map((d) => d.signalId));
      const names = (await conn.db!.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      expect(names).to.not.include('signallogs');
      expect(names).to.not.include('energymarkets');
      expect(logged).to.have.length(1);
      // Nothing left to move on the next start.
      expect(await moveLegacySignals(conn, store, { info: () => undefined } as never)).to.equal(0);
    } finally {
      await store.close();
      await conn.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
