// Anchoring against a real Hardhat node: Merkle batches, proofs an outsider can check,
// a chain outage, a chain that restarts empty, and a contract that refuses the key.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { io as ioClient } from 'socket.io-client';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { jcsSha256, verifyCli } from '../helpers/audit.js';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { criticalFault } from '../helpers/signals.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../services/audit/anchoring/embeddedChain.js';
import { createEventBus, type BusEvents, type EventBus } from '../../eventBus/index.js';
import { deployAuditLog } from '../../scripts/deploy.js';
import { decisionIdOf } from '../../agents/common.js';

const ABI = [
  'function verifyLeaf(bytes32 root, bytes32 leaf, bytes32[] proof) view returns (bool)',
  'function getBatch(bytes32 root) view returns (tuple(address submitter, uint48 timestamp, uint48 blockNumber))',
  'function isAnchored(bytes32 root) view returns (bool)',
];
const FAST = { ANCHOR_BATCH_MS: '100' };

/** Resolves with the payloads of `event` once `done` says enough have arrived. */
function collect<E extends keyof BusEvents>(
  bus: EventBus,
  event: E,
  done: (seen: BusEvents[E][0][]) => boolean,
): Promise<BusEvents[E][0][]> {
  const seen: BusEvents[E][0][] = [];
  return new Promise((resolve) => {
    const on = (e: BusEvents[E][0]) => {
      seen.push(e);
      if (done(seen)) {
        bus.off(event, on as never);
        resolve(seen);
      }
    };
    bus.on(event, on as never);
  });
}

const anchoredIds = (bus: EventBus, ids: string[]) =>
  collect(bus, 'decision.anchored', (seen) => ids.every((id) => seen.some((e) => e.id === id && e.anchor.status === 'anchored')));

let chargers = 0;

/** Critical faults on chargers not seen before: each takes a new charger offline, so each is a decision. */
async function faults(t: TestApp, stationId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = criticalFault(stationId, `C${++chargers}`);
    await request(t.url).post('/api/data/signals').send(s).expect(202);
    ids.push(`${decisionIdOf(s)}`);
  }
  return ids;
}

describe('anchoring on a real chain', function () {
  this.timeout(60_000);
  let chain: EmbeddedChain;
  const apps: TestApp[] = [];
  const started = async (opts: Parameters<typeof startTestApp>[0]) => {
    const t = await startTestApp(opts);
    apps.push(t);
    return t;
  };

  before(async () => {
    chain = await startEmbeddedChain({ dataDir: null });
  });
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.close();
  });
  after(async () => {
    await chain.stop();
  });

  it('anchors decisions and explanations as Merkle leaves and serves proofs an outsider can check on chain', async () => {
    const t = await started({ chain: chain.target, env: FAST });
    await request(t.url).post('/api/stations').send(aRegistration('st-a')).expect(201);
    const dash = ioClient(`${t.url}/dashboard`, { transports: ['websocket'] });
    try {
      await new Promise((resolve) => dash.emit('subscribe', { stationIds: ['st-a'] }, resolve));
      const live = new Promise<Record<string, unknown>>((resolve) => dash.once('decision:anchored', resolve));
      const ids = await faults(t, 'st-a', 3);
      const waiting = anchoredIds(t.app.bus, ids);
      await waiting;
      const pushed = await live;
      expect(ids).to.include(pushed.id);
      expect(pushed).to.include({ stationId: 'st-a', status: 'anchored' });

      const provider = new JsonRpcProvider(chain.target.rpcUrl);
      for (const id of ids) {
        const { body: p } = await request(t.url).get(`/api/audit/decisions/${id}/proof`).expect(200);
        const hash = await jcsSha256(p.decision);
        expect(p.hash).to.equal(hash);
        const value = ['decision', id, `0x${hash}`];
        expect(StandardMerkleTree.verify(p.root, p.leafEncoding, value, p.proof)).to.equal(true);
        expect(p).to.include({ chainId: 31337 });
        const audit = new Contract(p.contract, ABI, provider);
        const leaf = StandardMerkleTree.of([value], p.leafEncoding).leafHash(value);
        expect(leaf).to.equal(p.leaf);
        expect(await audit.verifyLeaf(p.root, leaf, p.proof)).to.equal(true);
        const onChain = await audit.getBatch(p.root);
        expect(Number(onChain.blockNumber)).to.equal(p.blockNumber);
        const receipt = await provider.getTransactionReceipt(p.txHash);
        expect(receipt?.blockNumber).to.equal(p.blockNumber);

        const e = p.explanation;
        expect(await jcsSha256(e.value)).to.equal(e.hash);
        expect(StandardMerkleTree.verify(e.root, p.leafEncoding, ['explanation', id, `0x${e.hash}`], e.proof)).to.equal(true);

        const { body: v } = await request(t.url).get(`/api/audit/decisions/${id}/verify`).expect(200);
        expect(v).to.deep.include({
          verified: true,
          checks: { hash: true, proof: true, onChain: true, explanation: true, approval: null, outcomes: null },
        });
        const { body: rec } = await request(t.url).get(`/api/decisions/${id}`).expect(200);
        expect(rec.anchor).to.include({ status: 'anchored', txHash: p.txHash, root: p.root, leaf: p.leaf });
        expect(rec.anchor.proof).to.deep.equal(p.proof);
      }
      provider.destroy();

      const { body: list } = await request(t.url).get('/api/decisions?stationId=st-a').expect(200);
      expect(list.items.map((r: { anchor: { status: string } }) => r.anchor.status)).to.deep.equal(['anchored', 'anchored', 'anchored']);
      const { body: batches } = await request(t.url).get('/api/audit/batches?status=anchored').expect(200);
      const leaves = batches.items.reduce((n: number, b: { leafCount: number }) => n + b.leafCount, 0);
      // Three decisions and their explanations, and the admin action that registered the station.
      expect(leaves).to.equal(7);
      const { body: c } = await request(t.url).get('/api/audit/contract').expect(200);
      expect(c).to.include({ chainId: 31337, rpcUrl: chain.target.rpcUrl, state: 'up' });
      expect(c.abi.map((f: { name?: string }) => f.name)).to.include.members(['anchorBatch', 'verifyLeaf', 'getBatch']);
      const { body: health } = await request(t.url).get('/api/health').expect(200);
      expect(health.parts.chain.state).to.equal('embedded');
    } finally {
      dash.disconnect();
    }
  });

  it('the auditor CLI verifies a proof URL of the running server, and catches an explanation edited in the database', async () => {
    const t = await started({ chain: chain.target, env: FAST });
    await request(t.url).post('/api/stations').send(aRegistration('st-v')).expect(201);
    const [id] = await faults(t, 'st-v', 1);
    await anchoredIds(t.app.bus, [id]);
    const { body: c } = await request(t.url).get('/api/audit/contract').expect(200);
    const args = [`${t.url}/api/audit/decisions/${id}/proof`, '--rpc', c.rpcUrl, '--contract', c.address];
    const ok = await verifyCli(args);
    expect(ok.code, ok.out).to.equal(0);
    expect(ok.out).to.match(/^VERIFIED/m);

    // Someone with database access rewrites the explanation: the anchored leaf no longer matches.
    const doc = await t.app.models.DecisionLog.findOne({ decisionId: id }).lean();
    await t.app.models.DecisionLog.updateOne({ decisionId: id }, { $set: { 'explanation.text': 'Nothing happened here.' } });
    const tampered = await verifyCli(args);
    expect(tampered.code, tampered.out).to.equal(1);
    expect(tampered.out).to.match(/^FAIL .*explanation/im);
    const { body: afterEdit } = await request(t.url).get(`/api/audit/decisions/${id}/verify`).expect(200);
    expect(afterEdit).to.deep.include({
      verified: false,
      checks: { hash: true, proof: true, onChain: true, explanation: false, approval: null, outcomes: null },
    });
    // ...and the decision itself rewritten (its hash left as it was) is caught by the server's own check too.
    const content = JSON.parse(doc!.canonical) as Record<string, unknown>;
    await t.app.models.DecisionLog.updateOne(
      { decisionId: id },
      { $set: { canonical: JSON.stringify({ ...content, status: 'approved' }) } },
    );
    const { body: v } = await request(t.url).get(`/api/audit/decisions/${id}/verify`).expect(200);
    expect(v.verified).to.equal(false);
    expect(v.checks.hash).to.equal(false);
    const decisionTampered = await verifyCli(args);
    expect(decisionTampered.code).to.equal(1);
  });

  it('keeps deciding through a chain outage, queues batches in the database, and sends them in order when it returns', async () => {
    const { port } = new URL(chain.target.rpcUrl);
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(port) });
    try {
      const t = await started({ chain: { ...chain.target, rpcUrl: proxy.url }, env: FAST });
      await request(t.url).post('/api/stations').send(aRegistration('st-o')).expect(201);
      const before = await faults(t, 'st-o', 1);
      await anchoredIds(t.app.bus, before);

      await proxy.cut();
      const queued = collect(t.app.bus, 'anchor.batch', (seen) => seen.filter((b) => b.status === 'queued').length >= 3);
      const during: string[] = [];
      for (let i = 0; i < 3; i++) {
        const stored = collect(t.app.bus, 'anchor.batch', (seen) => seen.some((b) => b.status === 'queued'));
        during.push(...(await faults(t, 'st-o', 1)));
        await stored;
      }
      await queued;
      // Decisions were made and are readable; their anchors wait.
      for (const id of during) {
        const { body } = await request(t.url).get(`/api/decisions/${id}`).expect(200);
        expect(body.anchor.status).to.equal('pending');
      }
      const stored = await t.app.models.AnchorBatch.find({ status: 'queued' }).lean();
      expect(stored.length).to.be.greaterThanOrEqual(3);
      const { body: health } = await request(t.url).get('/api/health').expect(200);
      expect(health.parts.chain.state).to.be.oneOf(['down', 'degraded']);

      const back = anchoredIds(t.app.bus, during);
      await proxy.restore();
      await back;
      const batches = await t.app.models.AnchorBatch.find({}).sort({ batchId: 1 }).lean();
      expect(batches.every((b) => b.status === 'anchored')).to.equal(true);
      const blocks = batches.map((b) => b.blockNumber!);
      expect(blocks).to.deep.equal([...blocks].sort((a, b) => a - b));
      expect(new Set(blocks).size).to.equal(blocks.length);
    } finally {
      await proxy.close();
    }
  });

  it('re-anchors the stored history when the chain comes back empty, so old proofs verify again', async () => {
    const first = await startEmbeddedChain({ dataDir: null });
    let second: EmbeddedChain | null = null;
    try {
      const a = await started({ chain: first.target, env: FAST });
      await request(a.url).post('/api/stations').send(aRegistration('st-r')).expect(201);
      const ids = await faults(a, 'st-r', 2);
      await anchoredIds(a.app.bus, ids);
      const { body: old } = await request(a.url).get(`/api/audit/decisions/${ids[0]}/proof`).expect(200);
      const stored = await a.app.models.AnchorBatch.find({}).lean();
      expect(stored.length).to.be.greaterThan(0);
      await a.close();
      apps.splice(apps.indexOf(a), 1);
      await first.stop();

      // What `npm start` does: a new, empty node and the same anchoring key from the data folder.
      second = await startEmbeddedChain({ dataDir: null });
      const bus = createEventBus();
      const reanchored = collect(bus, 'anchor.batch', (seen) =>
        stored.every((d) => seen.some((e) => e.batchId === d.batchId && e.status === 'anchored')),
      );
      const b = await started({ chain: { ...second.target, privateKey: first.target.privateKey }, env: FAST, dbName: a.dbName, bus });
      await reanchored;
      const { body: v } = await request(b.url).get(`/api/audit/decisions/${ids[0]}/verify`).expect(200);
      expect(v).to.deep.include({
        verified: true,
        checks: { hash: true, proof: true, onChain: true, explanation: true, approval: null, outcomes: null },
      });
      const { body: now } = await request(b.url).get(`/api/audit/decisions/${ids[0]}/proof`).expect(200);
      expect(now.root).to.equal(old.root);
      expect(now.proof).to.deep.equal(old.proof);
      const provider = new JsonRpcProvider(second.target.rpcUrl);
      expect(await new Contract(now.contract, ABI, provider).isAnchored(now.root)).to.equal(true);
      provider.destroy();
    } finally {
      await second?.stop();
      await first.stop();
    }
  });

  it('answers bad audit requests precisely: unknown decision, batch still open, bad filters', async () => {
    // No chain and a long window: decisions wait in the open batch.
    const t = await started({ env: { ANCHOR_BATCH_MS: '600000' } });
    await request(t.url).post('/api/stations').send(aRegistration('st-b')).expect(201);
    const [id] = await faults(t, 'st-b', 1);
    const open = await request(t.url).get(`/api/audit/decisions/${id}/proof`).expect(409);
    expect(open.body.error.code).to.equal('ANCHOR_PENDING');
    expect(Number(open.headers['retry-after'])).to.be.greaterThan(0);
    const { body: rec } = await request(t.url).get(`/api/decisions/${id}`).expect(200);
    expect(rec.anchor).to.include({ status: 'pending' });
    const { body: v } = await request(t.url).get(`/api/audit/decisions/${id}/verify`).expect(200);
    expect(v).to.deep.include({
      verified: false,
      checks: { hash: true, proof: false, onChain: false, explanation: false, approval: null, outcomes: null },
    });
    const unknown = await request(t.url).get('/api/audit/decisions/dec-nope/proof').expect(404);
    expect(unknown.body.error).to.include({ code: 'UNKNOWN_DECISION' });
    await request(t.url).get('/api/audit/decisions/dec-nope/verify').expect(404);
    const bad = await request(t.url).get('/api/audit/batches?status=lost&limit=0').expect(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field)).to.have.members(['status', 'limit']);
    const { body: c } = await request(t.url).get('/api/audit/contract').expect(200);
    expect(c).to.include({ address: null, state: 'off' });
    const { body: health } = await request(t.url).get('/api/health').expect(200);
    expect(health.parts.chain.state).to.equal('not_configured');
  });

  it('marks batches failed, with the reason, when the contract refuses the anchoring key', async () => {
    const provider = new JsonRpcProvider(chain.target.rpcUrl);
    const owner = await provider.getSigner(0);
    const audit = await deployAuditLog(owner, { admin: await owner.getAddress(), anchorer: await owner.getAddress() });
    const stranger = `0x${randomBytes(32).toString('hex')}`;
    const t = await started({
      chain: { rpcUrl: chain.target.rpcUrl, privateKey: stranger, contract: await audit.getAddress(), embedded: false },
      env: FAST,
    });
    // The URL the copilot writes through may hold a provider's key: without CHAIN_PUBLIC_RPC_URL auditors are told none.
    expect((await request(t.url).get('/api/audit/contract').expect(200)).body).to.include({ rpcUrl: null, embedded: false });
    await request(t.url).post('/api/stations').send(aRegistration('st-f')).expect(201);
    const failed = collect(t.app.bus, 'decision.anchored', (seen) => seen.length >= 1);
    const [id] = await faults(t, 'st-f', 1);
    const [e] = await failed;
    expect(e.id).to.equal(id);
    expect(e.anchor.status).to.equal('failed');
    expect(e.anchor.reason).to.contain(new Wallet(stranger).address).and.contain('ANCHORER_ROLE');
    const { body } = await request(t.url).get(`/api/decisions/${id}`).expect(200);
    expect(body.anchor).to.include({ status: 'failed' });
    expect(body.anchor.reason).to.contain('ANCHORER_ROLE');
    provider.destroy();
  });
});
