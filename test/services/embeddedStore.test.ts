// The embedded store answers from LMDB key ranges instead of reading every document: its answers must
// be the ones a full read gives (checked against an unindexed copy of the same documents in the same
// server), indexed queries must not read whole collections, and writes must be visible to the next
// statement before they are committed.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db, Document, Filter, Sort } from 'mongodb';
import { connectMongo, startEmbeddedMongo, type EmbeddedMongo } from '../../services/platform/database.js';

function docs(n: number): Document[] {
  // Deterministic pseudo-random values, with gaps (missing fields, nulls) and arrays.
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const stations = ['st-a', 'st-b', 'St-C', 'st-d'];
  return Array.from({ length: n }, (_, i) => {
    const doc: Document = {
      n: i,
      station: stations[Math.floor(next() * stations.length)],
      ts: new Date(Date.UTC(2026, 11, 1) + Math.floor(next() * 50) * 60_000),
      seq: Math.floor(next() * 40) - 5,
      tags: ['x', 'y', 'z'].filter(() => next() < 0.5),
      status: next() < 0.3 ? 'pending' : 'done',
    };
    if (next() < 0.2) delete doc.seq;
    if (next() < 0.1) doc.seq = null;
    return doc;
  });
}

const queries: { filter: Filter<Document>; sort?: Sort; limit?: number; skip?: number }[] = [
  { filter: { station: 'st-b' } },
  { filter: { station: 'st-b' }, sort: { ts: -1, _id: -1 }, limit: 5 },
  { filter: { station: { $in: ['st-a', 'St-C'] }, seq: { $gte: 3 } } },
  { filter: { $and: [{ station: 'st-d' }, { ts: { $lt: new Date(Date.UTC(2026, 11, 1, 0, 20)) } }] }, sort: { ts: 1, _id: 1 }, limit: 3 },
  { filter: { seq: { $gt: 10, $lte: 30 } }, sort: { seq: -1, _id: -1 }, limit: 4, skip: 2 },
  { filter: { seq: null } },
  { filter: { tags: 'y' }, sort: { ts: -1, _id: -1 }, limit: 6 },
  { filter: { tags: { $in: ['x', 'z'] }, status: 'pending' } },
  { filter: {}, sort: { ts: -1, _id: -1 }, limit: 7 },
  { filter: { status: 'pending' }, sort: { station: 1, n: 1 }, limit: 10 },
  { filter: { station: 'st-a', seq: { $ne: 3 } }, sort: { n: 1 } },
  { filter: { $or: [{ station: 'st-a' }, { seq: 4 }] }, sort: { n: 1 } },
];

describe('the embedded store', function () {
  this.timeout(60_000);
  let dir: string;
  let mongo: EmbeddedMongo;
  let db: Db;
  let close: () => Promise<void>;

  async function open(remapBytes?: number): Promise<void> {
    mongo = await startEmbeddedMongo({ dataDir: dir, remapBytes });
    const conn = await connectMongo(mongo.uri, { dbName: 'store', embedded: true });
    db = conn.db!;
    close = async () => {
      await conn.close();
      await mongo.stop();
    };
  }
  const fullScans = async (coll: string): Promise<number> =>
    ((await db.command({ embeddedStats: 1 })).fullScans as Record<string, number>)[`store.${coll}`] ?? 0;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'embedded-store-'));
    await open();
  });
  afterEach(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers through indexes what a full read answers, without reading whole collections', async () => {
    const all = docs(400);
    await db.collection('plain').insertMany(all.map((d) => ({ ...d })));
    const indexed = db.collection('indexed');
    await indexed.createIndex({ station: 1, ts: -1 });
    await indexed.createIndex({ seq: 1 });
    await indexed.createIndex({ tags: 1, ts: -1 });
    await indexed.createIndex({ ts: -1 });
    await indexed.insertMany(all.map((d) => ({ ...d })));
    const strip = (rows: Document[]) => rows.map(({ _id, ...rest }) => rest);
    for (const q of queries) {
      const run = (coll: string) =>
        db
          .collection(coll)
          .find(q.filter, { sort: q.sort ?? { n: 1 }, limit: q.limit, skip: q.skip })
          .toArray();
      const [want, got] = await Promise.all([run('plain'), run('indexed')]);
      expect(strip(got), JSON.stringify(q)).to.deep.equal(strip(want));
      expect(await indexed.countDocuments(q.filter), `count ${JSON.stringify(q.filter)}`).to.equal(
        await db.collection('plain').countDocuments(q.filter),
      );
    }
    // Only what no index narrows reads everything: $or and the unindexed status (find and count
    // each), and counting the empty filter.
    expect(await fullScans('indexed')).to.equal(5);
    const before = await fullScans('indexed');
    await indexed.findOne({ station: 'st-a' }, { sort: { ts: -1 } });
    await indexed.updateOne({ seq: 12 }, { $set: { touched: true } });
    await indexed.deleteOne({ tags: 'z', station: 'st-d' });
    expect(await fullScans('indexed')).to.equal(before);
  });

  it('keeps indexes in step with updates, deletes and a restart', async () => {
    const coll = db.collection('things');
    await coll.createIndex({ key: 1 });
    await coll.insertMany([
      { key: 'a', v: 1 },
      { key: 'b', v: 2 },
      { key: 'c', v: 3 },
    ]);
    await coll.updateOne({ key: 'a' }, { $set: { key: 'z' } });
    await coll.deleteOne({ key: 'b' });
    expect(await coll.findOne({ key: 'a' })).to.equal(null);
    expect((await coll.findOne({ key: 'z' }))?.v).to.equal(1);
    await close();
    await open();
    const again = db.collection('things');
    expect(await again.findOne({ key: 'b' })).to.equal(null);
    expect((await again.find({ key: { $in: ['z', 'c'] } }, { sort: { v: 1 } }).toArray()).map((d) => d.v)).to.deep.equal([1, 3]);
    // An index made after the documents is built from them.
    await again.createIndex({ v: 1 });
    expect((await again.findOne({ v: { $gte: 2 } }))?.key).to.equal('c');
    expect(await fullScans('things')).to.equal(0);
  });

  it('lets a statement see the statements before it in one command, before they are committed', async () => {
    const coll = db.collection('counters');
    await coll.createIndex({ name: 1 });
    const res = await coll.bulkWrite([
      { updateOne: { filter: { name: 'n' }, update: { $inc: { v: 1 } }, upsert: true } },
      { updateOne: { filter: { name: 'n' }, update: { $inc: { v: 1 } }, upsert: true } },
      { updateOne: { filter: { name: 'n' }, update: { $inc: { v: 1 } }, upsert: true } },
    ]);
    expect(res.upsertedCount).to.equal(1);
    const all = await coll.find({}).toArray();
    expect(all).to.have.length(1);
    expect(all[0]!.v).to.equal(3);
  });

  it('maps its file again as it grows, under concurrent commands, losing and mixing up nothing', async () => {
    await close();
    // A map every 16 KB: the 600 documents below (about 100 bytes each, two indexes) cross it several times.
    await open(16 * 1024);
    const coll = db.collection('busy');
    await coll.createIndex({ station: 1, ts: -1 });
    await coll.createIndex({ seq: 1 });
    const all = docs(600);
    // Inserts, updates and reads sent together: the commands in flight when a remap falls due finish
    // first, the others wait for it.
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < all.length; i += 20) {
      work.push(coll.insertMany(all.slice(i, i + 20).map((d) => ({ ...d }))));
      work.push(coll.updateMany({ n: { $gte: i, $lt: i + 20 } }, { $set: { touched: true } }));
      work.push(
        coll
          .find({ station: 'st-b' }, { sort: { ts: -1 } })
          .limit(5)
          .toArray(),
      );
    }
    await Promise.all(work);
    const stats = await db.command({ embeddedStats: 1 });
    expect(stats.remapped).to.be.at.least(3);
    const back = await coll.find({}, { sort: { n: 1 }, projection: { _id: 0 } }).toArray();
    expect(back.map((d) => d.n)).to.deep.equal(all.map((d) => d.n));
    // Updates that came before their documents' insert matched nothing; the rest are there.
    expect(back.filter((d) => d.touched).length).to.be.within(1, all.length);
    // The indexes written across the remaps answer as the documents do, without a whole read.
    const scans = await fullScans('busy');
    expect(await coll.countDocuments({ station: 'st-b' })).to.equal(all.filter((d) => d.station === 'st-b').length);
    expect(await coll.countDocuments({ seq: { $gte: 20 } })).to.equal(all.filter((d) => d.seq >= 20).length);
    expect(await fullScans('busy')).to.equal(scans);
  });

  it('orders strings by their bytes, as MongoDB does', async () => {
    const coll = db.collection('names');
    await coll.insertMany([{ s: 'b' }, { s: 'B' }, { s: 'a' }, { s: 'A' }]);
    expect((await coll.find({}, { sort: { s: 1 } }).toArray()).map((d) => d.s)).to.deep.equal(['A', 'B', 'a', 'b']);
  });
});
