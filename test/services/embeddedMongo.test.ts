// The embedded default's document store: every write journaled to LMDB as it happens, so a restart
// (clean or after a crash) finds what was acknowledged, with its types, and nothing is rewritten whole.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Types } from 'mongoose';
import { connectMongo, startEmbeddedMongo, EMBEDDED_DB_FILE } from '../../services/platform/database.js';

const run = promisify(execFile);

async function open(dataDir: string) {
  const mongo = await startEmbeddedMongo({ dataDir });
  const conn = await connectMongo(mongo.uri, { dbName: 'journal', embedded: true });
  return {
    db: conn.db!,
    stop: async () => {
      await conn.close();
      await mongo.stop();
    },
  };
}

describe('the embedded database journal', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'embedded-db-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('brings back inserts, updates, deletes, indexes and types after a restart', async () => {
    const first = await open(dir);
    const at = new Date('2026-12-01T08:00:00.000Z');
    const ref = new Types.ObjectId();
    await first.db.collection('things').insertMany([
      { name: 'kept', at, ref, n: 1 },
      { name: 'changed', at, n: 2 },
      { name: 'gone', n: 3 },
    ]);
    await first.db.collection('things').updateOne({ name: 'changed' }, { $set: { n: 20 } });
    await first.db.collection('things').deleteOne({ name: 'gone' });
    await first.db.collection('things').createIndex({ name: 1 }, { unique: true, name: 'by_name' });
    await first.db.collection('dropped').insertOne({ x: 1 });
    await first.db.collection('dropped').drop();
    await first.db.createCollection('empty');
    await first.stop();
    expect(statSync(path.join(dir, EMBEDDED_DB_FILE)).size).to.be.greaterThan(0);

    const second = await open(dir);
    const docs = await second.db
      .collection('things')
      .find({}, { sort: { n: 1 } })
      .toArray();
    expect(docs.map((d) => [d.name, d.n])).to.deep.equal([
      ['kept', 1],
      ['changed', 20],
    ]);
    // BSON in the journal: dates and ids come back as dates and ids, not strings.
    expect(docs[0].at).to.be.instanceOf(Date);
    expect((docs[0].at as Date).getTime()).to.equal(at.getTime());
    expect(String(docs[0].ref)).to.equal(String(ref));
    expect(docs[0].ref).to.have.property('toHexString');
    const names = (await second.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    expect(names).to.deep.equal(['empty', 'things']);
    expect((await second.db.collection('things').indexes()).map((i) => i.name)).to.include('by_name');
    await second.stop();
  });

  it('keeps every acknowledged write when the process is killed without a stop', async () => {
    const child = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, '../helpers/crashWriter.ts'), dir, '300']).catch(
      (err: { stdout: string; signal: string }) => err,
    );
    expect((child as { signal?: string }).signal).to.equal('SIGKILL');
    const acked = (child as { stdout: string }).stdout.trim().split('\n').filter(Boolean);
    expect(acked).to.have.length(300);
    const mongo = await startEmbeddedMongo({ dataDir: dir });
    const conn = await connectMongo(mongo.uri, { dbName: 'crash', embedded: true });
    const ns = (await conn.db!.collection('acks').find({}).toArray()).map((d) => d.n as number).sort((a, b) => a - b);
    expect(ns).to.deep.equal(Array.from({ length: 300 }, (_, i) => i));
    await conn.close();
    await mongo.stop();
  });

  it('imports the whole-database snapshot of earlier versions once, then keeps it aside', async () => {
    const id = new Types.ObjectId().toHexString();
    const snapshot = {
      databases: { copilot: { users: [{ _id: id, email: 'a@example.org' }] } },
      indexes: { copilot: { users: [{ name: '_id_', key: { _id: 1 }, unique: true }] } },
    };
    writeFileSync(path.join(dir, 'embedded-db.json'), JSON.stringify(snapshot));
    const mongo = await startEmbeddedMongo({ dataDir: dir });
    const conn = await connectMongo(mongo.uri, { dbName: 'copilot', embedded: true });
    const users = await conn.db!.collection('users').find({}).toArray();
    expect(users.map((u) => [String(u._id), u.email])).to.deep.equal([[id, 'a@example.org']]);
    await conn.close();
    await mongo.stop();
    expect(existsSync(path.join(dir, 'embedded-db.json'))).to.equal(false);
    expect(existsSync(path.join(dir, 'embedded-db.json.imported'))).to.equal(true);
  });
});
