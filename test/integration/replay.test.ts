// Replay: the decisions the live server makes from a signal log are exactly (same ids, same
// hashes) what a fresh offline pipeline makes from the same log, several stations interleaved, and
// operators' answers to pending decisions (operator_answer signals) included.
import { expect } from 'chai';
import request from 'supertest';
import { io as connect } from 'socket.io-client';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { sig } from '../helpers/signals.js';
import { createEventBus, type PlanUpdated } from '../../eventBus/index.js';
import { createSimulation } from '../../simulator/index.js';
import { OfflinePipeline, nearbyReach, policyVersionOf } from '../../services/pipeline/index.js';
import { canonicalDecision } from '../../services/audit/index.js';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import type { PlanAction, Signal } from '../../eventBus/types.js';
import { exportLog } from '../../scripts/replay/export.js';
import { replay } from '../../scripts/replay/log.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decisionIdOf } from '../../agents/common.js';

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
      nearbyReach(DEFAULT_THRESHOLDS),
    );
    const expected = new Map<string, string>();
    for (const s of signals) {
      const d = offline.ingest(s);
      if (d) expected.set(d.id, canonicalDecision(d).hash);
    }
    expect(expected.size).to.be.greaterThan(10);
    // Every station decided something: the replay covers interleaving, not one station alone.
    expect(new Set([...expected.keys()].map((id) => signals.find((s) => `${decisionIdOf(s)}` === id)!.stationId)).size).to.equal(4);

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

describe('replay: stations registered mid-run', function () {
  this.timeout(60_000);
  it("a station registered after its neighbour's first decisions joins the replay where it joined live: every hash identical", async () => {
    const t = await startTestApp({ env: { CHAIN_RPC_URL: 'off' } });
    try {
      await request(t.url).post('/api/stations').send(aRegistration('st-early')).expect(201);
      const first = sig('st-early', 'charger_status', { chargerId: 'C1', status: 'faulted', errorCode: 'GroundFailure' });
      await request(t.url)
        .post('/api/data/signals')
        .send({ signals: [first] })
        .expect(202);
      // st-late (same place) joins now: from here on it is in st-early's nearby, not before.
      await request(t.url).post('/api/stations').send(aRegistration('st-late')).expect(201);
      const later = [
        sig('st-late', 'charger_status', { chargerId: 'C2', status: 'faulted', errorCode: 'GroundFailure' }),
        sig('st-early', 'charger_status', { chargerId: 'C2', status: 'faulted', errorCode: 'GroundFailure' }),
      ];
      await request(t.url).post('/api/data/signals').send({ signals: later }).expect(202);
      const decisions = t.app.services.decisions;
      const deadline = Date.now() + 10_000;
      while ((await t.app.models.DecisionLog.countDocuments({})) < 3 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      expect((await decisions.get(`${decisionIdOf(first)}`))!.nearby).to.deep.equal([]);
      expect((await decisions.get(`${decisionIdOf(later[1]!)}`))!.nearby.map((n) => n.id)).to.deep.equal(['st-late']);
      const { user } = await t.app.services.users.create({
        email: 'late-auditor@example.com',
        password: 'an-auditor-password',
        role: 'auditor',
        stationScope: 'all',
      });
      const lines = await exportLog(t.directUrl, await t.app.services.tokens.access(user.id, 'auditor'));
      expect(lines.filter((l) => l.kind === 'station').every((l) => l.kind === 'station' && typeof l.registeredAt === 'string')).to.equal(
        true,
      );
      expect(replay(lines)).to.deep.include({ ok: true, decisionsRecorded: 3, identical: 3, differing: [], missing: [], extra: [] });
      // Without the times (an older log) every station is there from the start: the first decision differs.
      const untimed = lines.map((l) => (l.kind === 'station' ? { kind: l.kind, station: l.station } : l));
      expect(replay(untimed).differing).to.deep.equal([`${decisionIdOf(first)}`]);
    } finally {
      await t.close();
    }
  });
});

describe("replay: operators' answers are in the signal log", function () {
  this.timeout(120_000);
  let t: TestApp;
  const planUpdates: PlanUpdated[] = [];
  const keys: Record<string, string> = {};
  let auditorToken = '';

  before(async () => {
    const bus = createEventBus();
    bus.on('plan.updated', (e) => planUpdates.push(e));
    t = await startTestApp({ env: { CHAIN_RPC_URL: 'off' }, bus });
    for (const id of ['st-yes', 'st-no']) {
      const { body } = await request(t.url).post('/api/stations').send(aRegistration(id)).expect(201);
      keys[id] = body.deviceKey;
    }
    const { user } = await t.app.services.users.create({
      email: 'answers-auditor@example.com',
      password: 'an-auditor-password',
      role: 'auditor',
      stationScope: 'all',
    });
    auditorToken = await t.app.services.tokens.access(user.id, 'auditor');
  });
  after(() => t.close());

  // Signal time a day ahead of the wall clock: an answer's ts is then the station's last signal's, so
  // the rejection's hold (30 min) is measured on this clock and the test can step past it. T starts a
  // quarter-hour, so a calm reading just after a quarter starts ends the overload the energy agent sees.
  const T = Math.ceil((Date.now() + 86_400_000) / 900_000) * 900_000;
  const at = (s: number) => new Date(T + s * 1000).toISOString();
  const send = async (stationId: string, type: string, payload: Record<string, unknown>, s: number) => {
    const signal = sig(stationId, type, payload, { ts: at(s) });
    await request(t.url).post('/api/data/signals').send(signal).expect(202);
    return `${decisionIdOf(signal)}`;
  };
  const decision = async (id: string) => {
    // Decisions reach the database a few ms after the signal is acknowledged.
    const deadline = Date.now() + 20_000;
    while (!(await t.app.models.DecisionLog.exists({ decisionId: id })) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    return (await request(t.url).get(`/api/decisions/${id}`).expect(200)).body;
  };
  const decisionExists = async (id: string) => (await request(t.url).get(`/api/decisions/${id}`)).status === 200;
  const plan = async (stationId: string): Promise<PlanAction[]> =>
    (await request(t.url).get(`/api/stations/${stationId}/plan`).expect(200)).body.actions;
  const statuses = (actions: PlanAction[]) => actions.map((a) => [a.id, a.status]);
  // The rejection (at 4 s) holds the curtailment back for 30 min: a minute past that it is asked again.
  const ASKED_AGAIN_S = 4 + 1800 + 60;
  let askedAgainId = '';

  it('a run where an operator approves one pending decision and rejects another replays with every hash identical, later decisions included', async () => {
    // Two overloads: each station's curtailment (more than half the draw) waits for an operator.
    await send('st-yes', 'grid_limit', { kW: 100 }, 1);
    const approvedId = await send('st-yes', 'power_draw', { kW: 400 }, 2);
    await send('st-no', 'grid_limit', { kW: 100 }, 3);
    const rejectedId = await send('st-no', 'power_draw', { kW: 400 }, 4);
    expect((await decision(approvedId)).status).to.equal('pending_approval');
    expect((await decision(rejectedId)).status).to.equal('pending_approval');

    const { body: yes } = await request(t.url).post(`/api/decisions/${approvedId}/approve`).send({ note: 'crew on site' }).expect(200);
    const { body: no } = await request(t.url).post(`/api/decisions/${rejectedId}/reject`).send({}).expect(200);
    // The answer's time is its signal's: never before the station's last signal.
    expect(yes).to.include({ outcome: 'approved', at: at(2) });
    expect(no).to.include({ outcome: 'rejected', at: at(4) });
    expect(statuses(await plan('st-yes'))).to.deep.equal([['curtail_charging:station', 'active']]);
    expect(await plan('st-no')).to.deep.equal([]);
    // The plan change reached the dashboards as before: plan.updated with cause approval.
    expect(planUpdates.filter((u) => u.cause === 'approval').map((u) => [u.stationId, u.decisionId])).to.deep.equal([
      ['st-yes', approvedId],
      ['st-no', rejectedId],
    ]);

    // Each answer is one operator_answer signal in the station's log, which made no decision of its own.
    const answers = await t.app.models.SignalLog.find({ type: 'operator_answer' }).lean();
    expect(answers.map((a) => [a.stationId, a.ts, a.payload])).to.deep.equal([
      ['st-yes', at(2), { decisionId: approvedId, outcome: 'approved', by: yes.by, note: 'crew on site' }],
      ['st-no', at(4), { decisionId: rejectedId, outcome: 'rejected', by: no.by, note: null }],
    ]);
    for (const a of answers) expect(await decisionExists(decisionIdOf({ stationId: a.stationId, id: a.signalId }))).to.equal(false);

    // After the answers: the rejected kind is held back while the hold lasts, then asked again; the
    // approved curtailment is released once the overload is over (past the station's release round).
    expect(await decisionExists(await send('st-no', 'power_draw', { kW: 420 }, 600))).to.equal(false);
    const released = await decision(await send('st-yes', 'power_draw', { kW: 50 }, 1805));
    expect(released.changes.stopped.map((x: { id: string; reason: string }) => [x.id, x.reason])).to.deep.equal([
      ['curtail_charging:station', 'released'],
    ]);
    const isolated = await decision(
      await send('st-yes', 'charger_status', { chargerId: 'C1', status: 'faulted', errorCode: 'GroundFailure' }, 2200),
    );
    expect(isolated.status).to.equal('executed');
    const askedAgain = await decision(await send('st-no', 'power_draw', { kW: 420 }, ASKED_AGAIN_S));
    askedAgainId = askedAgain.id;
    expect(askedAgain.changes.started.map((a: PlanAction) => a.id)).to.deep.equal(['curtail_charging:station']);

    const lines = await exportLog(t.directUrl, auditorToken);
    expect(lines.filter((l) => l.kind === 'signal' && l.signal.type === 'operator_answer')).to.have.length(2);
    const report = replay(lines);
    expect(report).to.deep.include({ ok: true, identical: report.decisionsRecorded, differing: [], missing: [], extra: [] });
    expect(report.decisionsRecorded).to.equal(5);

    // The replayed plans are the live ones, the approved action's status and the rejection's hold included.
    const offline = new OfflinePipeline(
      [aRegistration('st-yes'), aRegistration('st-no')],
      {
        thresholds: DEFAULT_THRESHOLDS,
        policy: DEFAULT_POLICY,
        policyVersion: policyVersionOf(DEFAULT_THRESHOLDS, DEFAULT_POLICY),
        disabled: [],
      },
      nearbyReach(DEFAULT_THRESHOLDS),
    );
    for (const l of lines) if (l.kind === 'signal') offline.ingest(l.signal);
    for (const id of ['st-yes', 'st-no']) {
      const { body: live } = await request(t.url).get(`/api/stations/${id}`).expect(200);
      expect(JSON.parse(JSON.stringify(offline.states.get(id)!.plan)), id).to.deep.equal(live.plan);
      expect(offline.states.get(id)!.version, id).to.equal(live.version);
    }
  });

  it('an answer whose actions left the plan before it was settled stays in the log, changes nothing and replays the same', async () => {
    // The curtailment asked again waits for an operator; the overload ends and it is released.
    expect(statuses(await plan('st-no'))).to.deep.equal([['curtail_charging:station', 'pending_approval']]);
    // Calm from the start of a quarter hour; released at the station's round (30 min after its last change).
    expect(await decisionExists(await send('st-no', 'power_draw', { kW: 50 }, 3601))).to.equal(false);
    const released = await decision(await send('st-no', 'power_draw', { kW: 50 }, 3700));
    expect(released.changes.stopped.map((x: { id: string }) => x.id)).to.deep.equal(['curtail_charging:station']);
    const before = (await request(t.url).get('/api/stations/st-no/plan').expect(200)).body;
    // What the later of two racing answers leaves behind: checked while the action waited, settled after it left.
    const late = sig(
      'st-no',
      'operator_answer',
      { decisionId: askedAgainId, outcome: 'approved', by: 'ops@example.com', note: null },
      { id: 'op-late', ts: at(3701) },
    ) as Signal;
    expect((await t.app.services.ingestion.ingestOwn(late, performance.now())).accepted).to.equal(1);
    const after = (await request(t.url).get('/api/stations/st-no/plan').expect(200)).body;
    expect(after).to.deep.include({ actions: before.actions, changedAt: before.changedAt });
    expect(await decisionExists('dec-st-no~op-late')).to.equal(false);
    expect(await t.app.models.SignalLog.countDocuments({ signalId: 'op-late' })).to.equal(1);
    const report = replay(await exportLog(t.directUrl, auditorToken));
    expect(report).to.deep.include({ ok: true, identical: report.decisionsRecorded, differing: [], missing: [], extra: [] });
  });

  it('refuses operator_answer from every sender (REST as operator or device key, /ingest, the ingestion senders use) naming type, storing nothing', async () => {
    const forged = sig('st-yes', 'operator_answer', { decisionId: 'dec-x', outcome: 'approved', by: 'forger', note: null });
    const rest = await request(t.url).post('/api/data/signals').send(forged).expect(400);
    expect(rest.body.error.details[0].field).to.equal('type');
    const device = await request(t.directUrl)
      .post('/api/data/signals')
      .set('X-Device-Key', keys['st-yes']!)
      .send({ signals: [forged] })
      .expect(400);
    expect(device.body.rejected[0].error.field).to.equal('type');
    const socket = connect(`${t.directUrl}/ingest`, { transports: ['websocket'], auth: { deviceKey: keys['st-yes'] } });
    try {
      const ack = await socket.emitWithAck('signal', forged);
      expect(ack.ok).to.equal(false);
      expect(ack.error.details[0].field).to.equal('type');
    } finally {
      socket.close();
    }
    const direct = await t.app.services.ingestion.ingest([forged], performance.now());
    expect(direct.rejected[0]!.error.field).to.equal('type');
    expect(await t.app.models.SignalLog.countDocuments({ signalId: forged.id })).to.equal(0);
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
