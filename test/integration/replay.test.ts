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
import { exportLog } from '../../scripts/replay/export.js';
import { replay } from '../../scripts/replay/log.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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

  it('npm run export writes the log of a running server and npm run replay finds every hash the same, and catches an edited signal', async () => {
    // The app of the test above holds the heatwave log; export it as an auditor would.
    const { user } = await t.app.services.users.create({
      email: 'replay-auditor@example.com',
      password: 'an-auditor-password',
      role: 'auditor',
      stationScope: 'all',
    });
    const token = await t.app.services.tokens.access(user.id, 'auditor');
    const bad = await request(t.directUrl).get('/api/audit/signals?after=not-a-cursor').set('authorization', `Bearer ${token}`).expect(400);
    expect(bad.body.error.details[0].field).to.equal('after');
    const { user: op } = await t.app.services.users.create({
      email: 'replay-op@example.com',
      password: 'an-operator-password',
      role: 'operator',
      stationScope: 'all',
    });
    await request(t.directUrl)
      .get('/api/audit/signals')
      .set('authorization', `Bearer ${await t.app.services.tokens.access(op.id, 'operator')}`)
      .expect(403);
    const lines = await exportLog(t.directUrl, token);
    expect(lines.filter((l) => l.kind === 'station')).to.have.length(4);
    const report = replay(lines);
    expect(report.decisionsRecorded).to.be.greaterThan(10);
    expect(report).to.deep.include({ ok: true, identical: report.decisionsRecorded, differing: [], missing: [], extra: [] });
    expect(report.policyVersion.recorded).to.equal(report.policyVersion.replayed);

    const dir = mkdtempSync(path.join(tmpdir(), 'replay-'));
    try {
      const file = path.join(dir, 'log.ndjson');
      writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const ok = await runScript('scripts/replay.ts', [file]);
      expect(ok.code, ok.out).to.equal(0);
      expect(ok.out)
        .to.match(/identical \(100\.0 %\)/)
        .and.match(/^PASS/m);

      // One hotter reading than was sent: the replay no longer matches the record.
      const hot = lines.findIndex((l) => l.kind === 'signal' && l.signal.type === 'charger_temp');
      const edited = lines.map((l, i) =>
        i === hot && l.kind === 'signal' ? { ...l, signal: { ...l.signal, payload: { ...l.signal.payload, tempC: 99 } } } : l,
      );
      expect(replay(edited as typeof lines).ok).to.equal(false);
      writeFileSync(file, edited.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const failed = await runScript('scripts/replay.ts', [file]);
      expect(failed.code, failed.out).to.equal(1);
      expect(failed.out).to.match(/^FAIL/m);
      const usage = await runScript('scripts/replay.ts', []);
      expect(usage.code).to.equal(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function runScript(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: path.resolve(__dirname, '../..') });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
}
