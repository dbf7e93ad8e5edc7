// One anchoring writer among instances sharing Redis and a database: records made on either instance
// are stored unnumbered and numbered by the lease holder only, each leaf in exactly one stored batch;
// when the writer dies, the other takes the lease over and anchors what it had numbered and not stored.
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { criticalFault } from '../helpers/signals.js';
import { decisionIdOf } from '../../agents/common.js';
import type { AnchorBatchDoc } from '../../models/index.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../services/audit/anchoring/embeddedChain.js';
import type { EventBus } from '../../eventBus/index.js';

interface Leaf {
  kind: string;
  refId: string;
  hash: string;
  seq: number;
}

/** Every leaf the stored records stand for, with the sequence number each record holds. */
async function recordLeaves(t: TestApp): Promise<Leaf[]> {
  const { DecisionLog, AdminAction } = t.app.models;
  const decisions = await DecisionLog.find({}, { decisionId: 1, hash: 1, anchorSeq: 1, explanation: 1, explanationSeq: 1 }).lean();
  const admin = await AdminAction.find({}, { actionId: 1, hash: 1, anchorSeq: 1 }).lean();
  return [
    ...decisions.flatMap((d) => [
      { kind: 'decision', refId: d.decisionId, hash: d.hash, seq: d.anchorSeq ?? -1 },
      { kind: 'explanation', refId: d.decisionId, hash: (d.explanation as { hash: string }).hash, seq: d.explanationSeq ?? -1 },
    ]),
    ...admin.map((a) => ({ kind: 'admin', refId: a.actionId, hash: a.hash, seq: a.anchorSeq ?? -1 })),
  ];
}

async function batches(t: TestApp): Promise<AnchorBatchDoc[]> {
  return t.app.models.AnchorBatch.find({}).sort({ batchId: 1 }).lean<AnchorBatchDoc[]>();
}

/** Waits, batch by batch as the writer stores them, until every record's leaf is in a stored batch. */
async function allInBatches(apps: TestApp[], ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const stored = new Set((await batches(apps[0])).flatMap((b) => b.leaves.map((l) => `${l.kind}/${l.refId}/${l.seq}`)));
    const leaves = await recordLeaves(apps[0]);
    if (leaves.every((l) => l.seq > 0 && stored.has(`${l.kind}/${l.refId}/${l.seq}`))) return;
    if (Date.now() > end) throw new Error('not every record was numbered and stored in a batch in time');
    // The writer announces each batch it stores; the next one may be the last awaited.
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const t of apps) t.app.bus.off('anchor.batch', done);
        resolve();
      };
      const timer = setTimeout(done, 1000);
      for (const t of apps) t.app.bus.on('anchor.batch', done);
    });
  }
}

/** The invariants of the anchored log: one leaf per record, each once, numbers and batch ids never reused. */
async function expectOneLeafPerRecord(t: TestApp): Promise<AnchorBatchDoc[]> {
  const all = await batches(t);
  const leaves = all.flatMap((b) => b.leaves);
  const keys = leaves.map((l) => `${l.kind}/${l.refId}`);
  expect(new Set(keys).size, 'a record anchored twice').to.equal(keys.length);
  expect(new Set(leaves.map((l) => l.seq)).size, 'a sequence number given twice').to.equal(leaves.length);
  expect(all.map((b) => b.batchId)).to.deep.equal(all.map((_, i) => i + 1));
  for (const [i, b] of all.entries()) {
    expect(b.leaves.map((l) => l.seq)).to.deep.equal([...b.leaves.map((l) => l.seq)].sort((x, y) => x - y));
    if (i > 0) expect(b.firstSeq).to.be.above(all[i - 1]!.lastSeq);
  }
  const byKey = new Map(leaves.map((l) => [`${l.kind}/${l.refId}`, l]));
  const records = await recordLeaves(t);
  for (const r of records) expect(byKey.get(`${r.kind}/${r.refId}`), `${r.kind} ${r.refId}`).to.include({ seq: r.seq, hash: r.hash });
  expect(leaves.length).to.equal(records.length);
  return all;
}

describe('one anchoring writer across instances', function () {
  this.timeout(90_000);
  let redis: RedisHandle;
  let a: TestApp;
  let b: TestApp;
  const env = { STREAM_LEASE_MS: '1500', ANCHOR_BATCH_MS: '300' };

  before(async () => {
    redis = await startRedis();
    a = await startTestApp({ redisUrl: redis.url, env });
    b = await startTestApp({ redisUrl: redis.url, env, dbName: a.dbName });
    await request(a.url).post('/api/stations').send(aRegistration('st-a')).expect(201);
    await request(b.url).post('/api/stations').send(aRegistration('st-b')).expect(201);
  });
  after(async () => {
    await a.close();
    await b.close();
    await redis.stop();
  });

  it('numbers and batches the records made on both instances once each, from the lease holder only', async () => {
    // The first instance to start took the lease; the other stands by.
    expect(a.app.services.anchoringLease!.holds()).to.equal(true);
    expect(b.app.services.anchoringLease!.holds()).to.equal(false);
    expect(b.app.services.anchoring.health().detail).to.contain('standby');
    const faults = [criticalFault('st-a', 'C1'), criticalFault('st-a', 'C2')];
    const onB = [criticalFault('st-b', 'C1'), criticalFault('st-b', 'C2')];
    for (const f of faults) await request(a.url).post('/api/data/signals').send(f).expect(202);
    for (const f of onB) await request(b.url).post('/api/data/signals').send(f).expect(202);
    await allInBatches([a, b]);
    const all = await expectOneLeafPerRecord(a);
    // Four decisions with their explanations and two station registrations, made on both instances.
    expect(all.flatMap((x) => x.leaves).length).to.equal(4 * 2 + 2);

    // The instance that does not write reads where a record stands from the database.
    const id = decisionIdOf(onB[0]!);
    const shown = await request(b.url).get(`/api/decisions/${id}`).expect(200);
    const holding = all.find((x) => x.leaves.some((l) => l.refId === id && l.kind === 'decision'))!;
    expect(shown.body.anchor).to.include({ batch: holding.batchId, root: holding.root });
  });

  it('moves to the other instance when the writer dies, which anchors what the dead one had numbered and not stored', async () => {
    const before = await batches(a);
    // Faults decided on A just before it dies: A may have numbered them into its open batch.
    const late = [criticalFault('st-a', 'C3'), criticalFault('st-b', 'C3')];
    await request(a.url).post('/api/data/signals').send(late[0]).expect(202);
    await request(b.url).post('/api/data/signals').send(late[1]).expect(202);
    a.app.services.anchoringLease!.halt();
    expect(a.app.services.anchoring.health().detail).to.contain('standby');
    // A fault decided after A died: only a new writer can number it, so waiting for every record to be
    // in a batch waits for B to take over (A may have stored the late ones before it died).
    const afterDeath = criticalFault('st-b', 'C4');
    await request(b.url).post('/api/data/signals').send(afterDeath).expect(202);
    await allInBatches([a, b]);
    expect(b.app.services.anchoringLease!.holds()).to.equal(true);
    const all = await expectOneLeafPerRecord(b);
    expect(all.length).to.be.above(before.length);
    const refs = all.flatMap((x) => x.leaves).map((l) => l.refId);
    for (const f of [...late, afterDeath]) expect(refs).to.include(decisionIdOf(f));
  });
});

/** Resolves once every one of `ids` is reported anchored on this bus (the writer's). */
function allAnchored(bus: EventBus, ids: string[]): Promise<void> {
  const left = new Set(ids);
  return new Promise((resolve) => {
    const on = (e: { id: string; anchor: { status: string } }) => {
      if (e.anchor.status === 'anchored') left.delete(e.id);
      if (left.size > 0) return;
      bus.off('decision.anchored', on);
      resolve();
    };
    bus.on('decision.anchored', on);
  });
}

describe('one anchoring writer on a real chain', function () {
  this.timeout(90_000);
  let redis: RedisHandle;
  let chain: EmbeddedChain;
  let a: TestApp;
  let b: TestApp;

  before(async () => {
    redis = await startRedis();
    chain = await startEmbeddedChain({ dataDir: null });
    const env = { ANCHOR_BATCH_MS: '200' };
    a = await startTestApp({ redisUrl: redis.url, env, chain: chain.target });
    b = await startTestApp({ redisUrl: redis.url, env, chain: chain.target, dbName: a.dbName });
  });
  after(async () => {
    await b.close();
    await a.close();
    await chain.stop();
    await redis.stop();
  });

  it("sends every batch from the lease holder, one account's transactions in order, and the other instance verifies on chain", async () => {
    await request(a.url).post('/api/stations').send(aRegistration('st-c1')).expect(201);
    await request(b.url)
      .post('/api/stations')
      .send(aRegistration('st-c2', { location: { lat: 40.4, lng: -3.7 } }))
      .expect(201);
    const faults = [criticalFault('st-c1', 'C1'), criticalFault('st-c2', 'C1'), criticalFault('st-c1', 'C2')];
    const ids = faults.map(decisionIdOf);
    const anchored = allAnchored(a.app.bus, ids);
    await request(a.url).post('/api/data/signals').send(faults[0]).expect(202);
    await request(b.url).post('/api/data/signals').send(faults[1]).expect(202);
    await request(b.url).post('/api/data/signals').send(faults[2]).expect(202);
    await anchored;

    const all = await batches(a);
    expect(all.length).to.be.greaterThan(0);
    expect(all.filter((x) => x.status !== 'anchored')).to.have.length(0);
    expect(new Set(all.map((x) => x.txHash)).size).to.equal(all.length);
    // Blocks in batch order: one sender, one nonce sequence.
    const blocks = all.map((x) => x.blockNumber!);
    expect(blocks).to.deep.equal([...blocks].sort((x, y) => x - y));

    // The standby found the writer's contract (it deploys none of its own) and verifies through it.
    const deadline = Date.now() + 30_000;
    while (b.app.services.anchoring.state !== 'up' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(b.app.services.anchoring.contract?.address).to.equal(a.app.services.anchoring.contract?.address);
    for (const id of ids) {
      const { body } = await request(b.url).get(`/api/audit/decisions/${id}/verify`).expect(200);
      expect(body).to.deep.include({ verified: true });
      expect(body.checks).to.include({ hash: true, proof: true, onChain: true, explanation: true });
    }
  });
});
