// On the embedded store a query no index narrows reads the whole collection, and the collections that
// grow with every decision (decisions, outcomes, batches, notifications, admin records) would make each
// such read slower the longer the copilot runs. The copilot's own reads of them, from a start through
// decisions, an approval, anchoring, the operators' lists and a restart, all go through indexes.
import { expect } from 'chai';
import request from 'supertest';
import { nextAnchoredBatch } from '../helpers/audit.js';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { criticalFault, overload } from '../helpers/signals.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../services/audit/anchoring/embeddedChain.js';
import { createEventBus } from '../../eventBus/index.js';

const GROWING = ['decisionlogs', 'actionoutcomes', 'anchorbatches', 'notifications', 'adminactions', 'energymarkets', 'subs'];

describe('the copilot on the embedded store', function () {
  this.timeout(90_000);
  let chain: EmbeddedChain;
  let t: TestApp | null = null;

  before(async () => {
    chain = await startEmbeddedChain({ dataDir: null });
  });
  after(async () => {
    await t?.close();
    await chain.stop();
  });

  it('reads the collections that grow with history through indexes only, across a restart', async () => {
    const bus = createEventBus();
    t = await startTestApp({ chain: chain.target, env: { ANCHOR_BATCH_MS: '100' }, bus });
    const { dbName } = t;
    await request(t.url).post('/api/stations').send(aRegistration('st-ix')).expect(201);
    const anchored = nextAnchoredBatch(bus);
    const o = overload('st-ix');
    await request(t.url)
      .post('/api/data/signals')
      .send({ signals: [...o.signals, criticalFault('st-ix')] })
      .expect(202);
    await anchored;
    await request(t.url).post(`/api/decisions/${o.decisionId}/approve`).send({ note: 'ok' }).expect(200);
    for (const q of ['', '?stationId=st-ix', '?status=approved', '?agent=mechanic', '?limit=5'])
      await request(t.url).get(`/api/decisions${q}`).expect(200);
    await request(t.url).get(`/api/decisions/${o.decisionId}`).expect(200);
    await request(t.url).get(`/api/audit/decisions/${o.decisionId}/verify`).expect(200);
    await request(t.url).get('/api/audit/batches').expect(200);
    await request(t.url).get('/api/notifications').expect(200);
    await t.close();

    t = await startTestApp({ chain: chain.target, dbName });
    await request(t.url).get(`/api/decisions/${o.decisionId}`).expect(200);
    const stats = await t.conn.db!.command({ embeddedStats: 1 });
    const scanned = Object.entries(stats.fullScans as Record<string, number>)
      .filter(([ns]) => ns.startsWith(`${dbName}.`) && GROWING.includes(ns.slice(dbName.length + 1)))
      .map(([ns, n]) => `${ns.slice(dbName.length + 1)}: ${n}`);
    expect(scanned).to.deep.equal([]);
  });
});
