// A copilot killed inside a batch window loses no anchor: the decisions it stored carry
// their leaf sequence numbers, and the next start takes them back into a batch.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { Wallet } from 'ethers';
import { aRegistration, embeddedMongo, startTestApp } from '../helpers/app.js';
import { criticalFault } from '../helpers/signals.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../services/audit/anchoring/embeddedChain.js';
import { createEventBus } from '../../eventBus/index.js';
import { connectMongo } from '../../services/platform/database.js';
import { decisionIdOf } from '../../agents/common.js';

const ROOT = path.resolve(__dirname, '..', '..');

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

/** Starts `tsx start.ts` (npm run dev); resolves with its URL once it prints it. */
function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'start.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+) /.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
}

describe('anchoring after a crash', function () {
  this.timeout(90_000);
  let chain: EmbeddedChain;
  before(async () => {
    chain = await startEmbeddedChain({ dataDir: null });
  });
  after(async () => {
    await chain.stop();
  });

  it('takes back the leaves of decisions stored inside a batch window the killed process never closed', async () => {
    const mongo = await embeddedMongo();
    const dbName = `crash_${randomUUID().replace(/-/g, '')}`;
    const key = `0x${randomBytes(32).toString('hex')}`;
    await rpc(chain.target.rpcUrl, 'hardhat_setBalance', [new Wallet(key).address, '0x' + (10n ** 22n).toString(16)]);
    const { child, url } = await startServer({
      PORT: '0',
      LOG_LEVEL: 'silent',
      SEED_DEMO: '0',
      MONGODB_URI: `${mongo.uri}/${dbName}`,
      REDIS_URL: '',
      CHAIN_RPC_URL: chain.target.rpcUrl,
      ANCHOR_PRIVATE_KEY: key,
      // The window never closes on its own: the kill lands inside it.
      ANCHOR_BATCH_MS: '600000',
      ADMIN_EMAIL: 'crash@example.com',
      ADMIN_PASSWORD: 'a-crash-test-password',
    });
    const ids: string[] = [];
    try {
      const { body: session } = await request(url)
        .post('/api/auth/login')
        .send({ email: 'crash@example.com', password: 'a-crash-test-password' })
        .expect(200);
      const auth = { Authorization: `Bearer ${session.accessToken as string}` };
      const { body: reg } = await request(url).post('/api/stations').set(auth).send(aRegistration('st-k')).expect(201);
      // The station's device sends its own signals.
      for (const c of ['C1', 'C2', 'C3']) {
        const s = criticalFault('st-k', c);
        await request(url)
          .post('/api/data/signals')
          .set('X-Device-Key', reg.deviceKey as string)
          .send(s)
          .expect(202);
        ids.push(`${decisionIdOf(s)}`);
      }
      // The list reads the database only: once it holds all three, they are stored.
      for (;;) {
        const { body } = await request(url).get('/api/decisions?stationId=st-k').set(auth).expect(200);
        if (body.items.length === ids.length) break;
      }
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }

    // What the dead process left: three stored decisions with sequence numbers, no batch.
    const conn = await connectMongo(mongo.uri, { dbName, embedded: true });
    try {
      expect(await conn.collection('anchorbatches').countDocuments()).to.equal(0);
      expect(await conn.collection('decisionlogs').countDocuments({ anchorSeq: { $gt: 0 } })).to.equal(ids.length);
    } finally {
      await conn.close();
    }

    const bus = createEventBus();
    const anchored = new Promise<Set<string>>((resolve) => {
      const seen = new Set<string>();
      bus.on('decision.anchored', (e) => {
        if (e.anchor.status === 'anchored') seen.add(e.id);
        if (ids.every((id) => seen.has(id))) resolve(seen);
      });
    });
    const t = await startTestApp({
      dbName,
      bus,
      chain: { ...chain.target, privateKey: key, embedded: false },
      env: { ANCHOR_BATCH_MS: '100' },
    });
    try {
      await anchored;
      const docs = await t.app.models.DecisionLog.find({ stationId: 'st-k' }).lean();
      const batches = await t.app.models.AnchorBatch.find({}).lean();
      expect(batches).to.have.length(1);
      const seqs = batches[0].leaves.map((l) => l.seq).sort((a, b) => a - b);
      // The leaves keep the sequence numbers the dead process gave them.
      // The station's registration is an admin action with a leaf of its own, taken back too.
      const admin = await t.app.models.AdminAction.find({}).lean();
      expect(admin.map((a) => a.action)).to.deep.equal(['station.register']);
      expect(seqs).to.deep.equal(
        [...docs.flatMap((d) => [d.anchorSeq!, d.explanationSeq!]), ...admin.map((a) => a.anchorSeq!)].sort((a, b) => a - b),
      );
      for (const id of ids) {
        const { body } = await request(t.url).get(`/api/audit/decisions/${id}/verify`).expect(200);
        expect(body.verified, JSON.stringify(body.details)).to.equal(true);
      }
    } finally {
      await t.close();
    }
  });
});
