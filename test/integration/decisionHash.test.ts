// The hash of a stored decision recomputed by an independent RFC 8785 implementation,
// and a replay of the same signals on a fresh server giving the same ids and hashes.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { sig } from '../helpers/signals.js';
import { fromDoc } from '../../services/pipeline/decisionLogger.js';
import { decisionIdOf } from '../../agents/common.js';

async function independentHash(record: Record<string, unknown>): Promise<string> {
  // erdtman/canonicalize: the RFC author's implementation, not the one the server uses.
  const { default: canonicalize } = (await import('canonicalize')) as unknown as { default: (v: unknown) => string };
  const { hash: _h, explanation: _e, anchor: _a, createdAt: _c, ...content } = record;
  return createHash('sha256').update(canonicalize(content)).digest('hex');
}

function scenario() {
  return [
    sig('st-h', 'grid_limit', { kW: 100 }),
    sig('st-h', 'staff_on_duty', { count: 2 }),
    sig('st-h', 'charger_temp', { chargerId: 'C1', tempC: 88.25 }),
    sig('st-h', 'power_draw', { kW: 97.5 }),
    sig('st-h', 'charger_status', { chargerId: 'C2', status: 'faulted', errorCode: 'OverCurrent' }),
    sig('st-h', 'battery_health', { batteryId: 'B7', sohPct: 61.5, cycles: 1800, tempC: 31 }),
    sig('st-h', 'battery_stock', { charged: 2, charging: 1, depleted: 20, faulty: 0 }),
  ];
}

async function run(signals: ReturnType<typeof scenario>): Promise<{ t: TestApp; records: Record<string, unknown>[] }> {
  const t = await startTestApp();
  await request(t.url).post('/api/stations').send(aRegistration('st-h')).expect(201);
  for (const s of signals) await request(t.url).post('/api/data/signals').send(s).expect(202);
  const records: Record<string, unknown>[] = [];
  for (const s of signals) {
    const r = await request(t.url).get(`/api/decisions/${decisionIdOf(s)}`);
    if (r.status === 200) records.push(r.body);
  }
  return { t, records };
}

describe('decision hashes', () => {
  it('recomputes every stored decision hash from its JSON with an independent JCS library', async () => {
    const { t, records } = await run(scenario());
    try {
      expect(records.length).to.be.greaterThanOrEqual(3);
      // Read back from the database, not the in-memory buffer: round trips must not change content.
      await t.app.close();
      const docs = await t.app.models.DecisionLog.find({}).lean();
      expect(docs.length).to.equal(records.length);
      for (const r of records) expect(await independentHash(r)).to.equal(r.hash);
      for (const d of docs) {
        const stored = JSON.parse(JSON.stringify(fromDoc(d))) as Record<string, unknown>;
        expect(await independentHash(stored)).to.equal(d.hash);
        // The stored canonical text is exactly the hashed bytes.
        expect(createHash('sha256').update(d.canonical).digest('hex')).to.equal(d.hash);
      }
    } finally {
      await t.close();
    }
  });

  it('a replay of the same signals on a fresh server yields the same ids and hashes', async () => {
    const signals = scenario();
    const a = await run(signals);
    const b = await run(signals);
    try {
      expect(a.records.length).to.be.greaterThan(0);
      expect(b.records.map((r) => [r.id, r.hash])).to.deep.equal(a.records.map((r) => [r.id, r.hash]));
    } finally {
      await a.t.close();
      await b.t.close();
    }
  });

  it('changing one field of a decision changes its hash', async () => {
    const { t, records } = await run(scenario());
    try {
      const r = records[0];
      const tampered = { ...r, status: r.status === 'executed' ? 'pending_approval' : 'executed' };
      expect(await independentHash(tampered)).to.not.equal(r.hash);
    } finally {
      await t.close();
    }
  });
});
