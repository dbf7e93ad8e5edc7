// Replay: the decisions the live server makes from a signal log are exactly (same ids, same
// hashes) what a fresh offline pipeline makes from the same log, several stations interleaved.
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createSimulation } from '../../simulator/index.js';
import { OfflinePipeline, policyVersionOf } from '../../services/pipeline/index.js';
import { canonicalDecision } from '../../services/audit/index.js';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import type { Signal } from '../../eventBus/types.js';

describe('replay: live and offline pipelines agree', function () {
  this.timeout(120_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { CHAIN_RPC_URL: 'off' } });
  });
  after(() => t.close());

  it('gives the same decision ids and hashes for a heatwave log of four interleaved stations', async () => {
    const sim = createSimulation({ stations: 4, scenario: 'heatwave', seed: 11, durationMin: 90 });
    for (const reg of sim.stations) await request(t.url).post('/api/stations').send(reg).expect(201);
    const signals: Signal[] = [...sim.signals()];
    const stationIds = new Set(signals.map((s) => s.stationId));
    expect(stationIds.size).to.equal(4);
    for (let i = 0; i < signals.length; i += 500) {
      await request(t.url)
        .post('/api/data/signals')
        .send({ signals: signals.slice(i, i + 500) })
        .expect(202);
    }

    const offline = new OfflinePipeline(
      sim.stations,
      {
        thresholds: DEFAULT_THRESHOLDS,
        policy: DEFAULT_POLICY,
        policyVersion: policyVersionOf(DEFAULT_THRESHOLDS, DEFAULT_POLICY),
        disabled: [],
      },
      { nearbyKm: Math.max(DEFAULT_THRESHOLDS.traffic.nearbyKm, DEFAULT_THRESHOLDS.logistics.nearbyKm), maxNearby: 10 },
    );
    const expected = new Map<string, string>();
    for (const s of signals) {
      const d = offline.ingest(s);
      if (d) expected.set(d.id, canonicalDecision(d).hash);
    }
    expect(expected.size).to.be.greaterThan(10);
    // Every station decided something: the replay covers interleaving, not one station alone.
    expect(new Set([...expected.keys()].map((id) => signals.find((s) => `dec-${s.id}` === id)!.stationId)).size).to.equal(4);

    // Decisions reach the database a few ms after the signals are acknowledged.
    const deadline = Date.now() + 20_000;
    let stored = await t.app.models.DecisionLog.find({}, { decisionId: 1, hash: 1 }).lean();
    while (stored.length < expected.size && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      stored = await t.app.models.DecisionLog.find({}, { decisionId: 1, hash: 1 }).lean();
    }
    const live = new Map(stored.map((d) => [d.decisionId, d.hash]));
    expect([...live.keys()].sort()).to.deep.equal([...expected.keys()].sort());
    for (const [id, hash] of expected) expect(live.get(id), id).to.equal(hash);
  });
});
