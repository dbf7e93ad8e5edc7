// The actuator port: every plan change is handed to the actuator; each device command's answer is an
// outcome record bound to its decision's hash, stored, anchored as its own leaf, pushed to dashboards
// as `decision:outcome`, and checked by the server's verify and by the auditor CLI. The actuator here is
// a scripted device rig (the port's other side), not our code.
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { io as ioClient, type Socket } from 'socket.io-client';
import { decisionAnchored, jcsSha256, nextAnchoredBatch, verifyCli } from '../helpers/audit.js';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { criticalFault, overload } from '../helpers/signals.js';
import { exportLog } from '../../scripts/replay/export.js';
import { replay } from '../../scripts/replay/log.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../services/audit/anchoring/embeddedChain.js';
import { createEventBus, type EventBus } from '../../eventBus/index.js';
import type { ActionOutcome, Actuator, CommandResult, Decision, Handover } from '../../eventBus/types.js';
import { decisionIdOf } from '../../agents/common.js';

type Answer = (h: Handover) => Promise<CommandResult[]>;

/** A device rig whose answers a test sets; it remembers every handover. */
class Rig implements Actuator {
  readonly name = 'test-rig';
  readonly handovers: Handover[] = [];
  answer: Answer = async (h) => h.commands.map(() => ({ outcome: 'accepted' }));
  carryOut(h: Handover): Promise<CommandResult[]> {
    this.handovers.push(h);
    return this.answer(h);
  }
}

function nextOutcomes(bus: EventBus, decisionId: string, count = 1): Promise<ActionOutcome[]> {
  return new Promise((resolve) => {
    const got: ActionOutcome[] = [];
    const on = (e: { id: string; outcome: ActionOutcome }) => {
      if (e.id !== decisionId) return;
      got.push(e.outcome);
      if (got.length < count) return;
      bus.off('decision.outcome', on);
      resolve(got);
    };
    bus.on('decision.outcome', on);
  });
}

function nextDecision(bus: EventBus, stationId: string, signalType: string): Promise<Decision> {
  return new Promise((resolve) => {
    const on = (e: { decision: Decision }) => {
      if (e.decision.stationId !== stationId || e.decision.signalType !== signalType) return;
      bus.off('decision.made', on);
      resolve(e.decision);
    };
    bus.on('decision.made', on);
  });
}

describe('actuation: the actuator port', function () {
  this.timeout(90_000);
  let chain: EmbeddedChain;
  let t: TestApp;
  let bus: EventBus;
  const rig = new Rig();
  let stations = 0;

  before(async () => {
    chain = await startEmbeddedChain({ dataDir: null });
    bus = createEventBus();
    t = await startTestApp({ chain: chain.target, env: { ANCHOR_BATCH_MS: '100', ACTUATION_TIMEOUT_MS: '300' }, bus, actuator: rig });
  });
  after(async () => {
    await t.close();
    await chain.stop();
  });
  afterEach(() => {
    rig.answer = async (h) => h.commands.map(() => ({ outcome: 'accepted' }));
  });

  async function aStation(): Promise<string> {
    const id = `st-a${++stations}`;
    await request(t.url).post('/api/stations').send(aRegistration(id)).expect(201);
    return id;
  }

  /** A faulted charger: the mechanic takes it offline at once, a device command. */
  async function faultDecision(stationId: string): Promise<{ id: string; outcomes: Promise<ActionOutcome[]> }> {
    const s = criticalFault(stationId);
    const id = `${decisionIdOf(s)}`;
    const outcomes = nextOutcomes(bus, id);
    await request(t.url)
      .post('/api/data/signals')
      .send({ signals: [s] })
      .expect(202);
    return { id, outcomes };
  }

  it('hands a decision to the actuator; its answer is bound to the decision, anchored, pushed to dashboards, and verified by the auditor CLI', async () => {
    const stationId = await aStation();
    const token = await t.app.services.tokens.access(
      (
        await t.app.services.users.create({
          email: 'ops@example.com',
          password: 'a-long-enough-password',
          role: 'operator',
          stationScope: 'all',
        })
      ).user.id,
      'operator',
    );
    const dash: Socket = ioClient(`${t.directUrl}/dashboard`, { transports: ['websocket'], auth: { token }, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        dash.once('connect', () => resolve());
        dash.once('connect_error', reject);
      });
      expect(await dash.timeout(5000).emitWithAck('subscribe', { stationIds: [stationId] })).to.include({ ok: true });
      const pushed = new Promise<Record<string, unknown>>((resolve) => dash.once('decision:outcome', resolve));
      const d = await faultDecision(stationId);
      // The decision's own batch (it closes ANCHOR_BATCH_MS after its first leaf): the station's
      // registration may close an earlier one first.
      const anchored = decisionAnchored(bus, d.id);
      const [o] = await d.outcomes;
      expect(o).to.include({
        decisionId: d.id,
        stationId,
        kind: 'start',
        action: 'take_charger_offline',
        outcome: 'accepted',
        actuator: 'test-rig',
      });
      const h = rig.handovers.find((x) => x.decisionId === d.id)!;
      expect(h.commands.map((c) => c.ref)).to.deep.equal([o!.ref]);
      expect(await pushed).to.include({ id: d.id, stationId, ref: o!.ref, outcome: 'accepted', hash: o!.hash });
      await anchored;

      const { body: rec } = await request(t.url).get(`/api/decisions/${d.id}`).expect(200);
      expect(rec.status).to.equal('executed');
      expect(rec.outcomes).to.have.length(1);
      expect(rec.outcomes[0]).to.include({ ref: o!.ref, outcome: 'accepted', decisionHash: rec.hash });
      // The outcome hashes on its own; the decision's hash is untouched by it.
      const { hash: oh, anchor: _oa, ...value } = rec.outcomes[0];
      expect(await jcsSha256(value)).to.equal(oh);
      const { hash, explanation: _e, anchor: _a, outcomes: _o, createdAt: _c, ...content } = rec;
      expect(await jcsSha256(content)).to.equal(hash);

      // Its leaf is anchored (the decision's batch, or the next one).
      let proof = (await request(t.url).get(`/api/audit/decisions/${d.id}/proof`).expect(200)).body;
      if (proof.outcomes.length === 0) {
        await nextAnchoredBatch(bus);
        proof = (await request(t.url).get(`/api/audit/decisions/${d.id}/proof`).expect(200)).body;
      }
      expect(proof.outcomes).to.have.length(1);
      expect(proof.outcomes[0].value).to.deep.equal(value);
      expect(proof.outcomes[0].leafValue).to.deep.equal(['outcome', o!.ref, `0x${oh}`]);
      const { body: v } = await request(t.url).get(`/api/audit/decisions/${d.id}/verify`).expect(200);
      expect(v.checks.outcomes).to.equal(true);
      expect(v.verified).to.equal(true);

      const dir = await mkdtemp(join(tmpdir(), 'outcome-'));
      try {
        const { body: c } = await request(t.url).get('/api/audit/contract').expect(200);
        const contract = c.address as string;
        const good = join(dir, 'good.json');
        await writeFile(good, JSON.stringify(proof));
        const ok = await verifyCli([good, '--rpc', c.rpcUrl, '--contract', contract]);
        expect(ok.code, ok.out).to.equal(0);
        expect(ok.out).to.match(/outcome\[0\]\.decision.*start take_charger_offline:\S+: accepted/);
        expect(ok.out).to.match(/PASS\s+outcome\[0\]\.proof/);
        // An outcome edited after the fact ("accepted" where the device said otherwise) fails.
        const edited = join(dir, 'edited.json');
        const tampered = structuredClone(proof);
        tampered.outcomes[0].value.outcome = 'rejected';
        await writeFile(edited, JSON.stringify(tampered));
        const bad = await verifyCli([edited, '--rpc', c.rpcUrl, '--contract', contract]);
        expect(bad.code, bad.out).to.equal(1);
        expect(bad.out).to.match(/FAIL\s+outcome\[0\]\.hash/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      dash.close();
    }
  });

  it('records what the device said: rejected, failed when the actuator throws, timeout when no answer comes in time', async () => {
    rig.answer = async (h) => h.commands.map(() => ({ outcome: 'rejected', detail: 'connector locked' }));
    const stationId = await aStation();
    const dropped = nextDecision(bus, stationId, 'actuation_outcome');
    const rejected = await (await faultDecision(stationId)).outcomes;
    expect(rejected[0]).to.include({ outcome: 'rejected', detail: 'connector locked' });
    // What the device refused is not in force: it leaves the plan in a decision of its own, held back for a while.
    const d = await dropped;
    expect(d.changes.stopped).to.deep.equal([
      {
        id: 'take_charger_offline:C1',
        agent: 'mechanic',
        action: 'take_charger_offline',
        target: 'C1',
        reason: 'failed',
        note: 'the command was rejected: connector locked',
      },
    ]);
    const { body: plan } = await request(t.url).get(`/api/stations/${stationId}/plan`).expect(200);
    expect(plan.actions.map((a: { id: string }) => a.id)).to.not.include('take_charger_offline:C1');

    const { body: rec } = await request(t.url).get(`/api/decisions/${d.id}`).expect(200);
    expect(rec.explanation.text).to.match(/Not carried out/);
    // The same fault again is not handed to the device again while the refusal holds.
    const again = criticalFault(stationId);
    await request(t.url)
      .post('/api/data/signals')
      .send({ signals: [again] })
      .expect(202);
    await t.app.services.actuation!.idle();
    const handed = rig.handovers.filter((h) => h.stationId === stationId).flatMap((h) => h.commands.map((c) => `${c.kind} ${c.actionId}`));
    expect(handed).to.deep.equal(['start take_charger_offline:C1', 'stop take_charger_offline:C1']);

    rig.answer = async () => {
      throw new Error('link down');
    };
    const failed = await (await faultDecision(await aStation())).outcomes;
    expect(failed[0]).to.include({ outcome: 'failed', detail: 'the actuator failed: link down' });

    let release!: () => void;
    rig.answer = (h) => new Promise((resolve) => (release = () => resolve(h.commands.map(() => ({ outcome: 'accepted' })))));
    const late = await (await faultDecision(await aStation())).outcomes;
    release();
    expect(late[0]).to.include({ outcome: 'timeout', detail: 'no answer within 300 ms' });
    const { body } = await request(t.url).get(`/api/decisions/${late[0]!.decisionId}`).expect(200);
    expect(body.outcomes.map((x: ActionOutcome) => x.outcome)).to.deep.equal(['timeout']);
  });

  it("hands an approved decision's waiting actions when the operator approves, not before", async () => {
    const stationId = await aStation();
    const o = overload(stationId);
    await request(t.url).post('/api/data/signals').send({ signals: o.signals }).expect(202);
    const { body: d } = await request(t.url).get(`/api/decisions/${o.decisionId}`).expect(200);
    expect(d.status).to.equal('pending_approval');
    expect(rig.handovers.filter((h) => h.decisionId === o.decisionId).flatMap((h) => h.commands)).to.deep.equal([]);
    const executions = async () =>
      (await request(t.url).get(`/api/stations/${stationId}/plan`).expect(200)).body.actions.map((a: { id: string; execution: string }) => [
        a.id,
        a.execution,
      ]);
    expect(await executions()).to.deep.equal([['curtail_charging:station', 'awaiting_approval']]);
    const outcomes = nextOutcomes(bus, o.decisionId);
    await request(t.url).post(`/api/decisions/${o.decisionId}/approve`).send({ note: 'go' }).expect(200);
    const [out] = await outcomes;
    expect(out).to.include({ kind: 'start', action: 'curtail_charging', outcome: 'accepted', decisionHash: d.hash });
    expect(out!.params).to.have.property('targetKW');
    expect(await executions()).to.deep.equal([['curtail_charging:station', 'accepted']]);
    expect((await request(t.url).get(`/api/stations/${stationId}/plan`).expect(200)).body.actuator).to.equal('test-rig');
  });

  it('says in health which actuator carries the plans out', async () => {
    const { body } = await request(t.url).get('/api/health').expect(200);
    expect(body.parts.actuator).to.deep.include({ state: 'up' });
    expect(body.parts.actuator.detail).to.match(/^test-rig; OCPP at 0 stations; \d+ plan changes waiting/);
  });
});

describe('actuation: none configured', function () {
  this.timeout(60_000);
  it('records decisions only, and health says so', async () => {
    const t = await startTestApp();
    try {
      await request(t.url).post('/api/stations').send(aRegistration('st-n')).expect(201);
      await request(t.url)
        .post('/api/data/signals')
        .send({ signals: [criticalFault('st-n')] })
        .expect(202);
      const { body: plan } = await request(t.url).get('/api/stations/st-n/plan').expect(200);
      expect(plan.actuator).to.equal(null);
      expect(plan.actions.find((a: { id: string }) => a.id === 'take_charger_offline:C1')).to.include({ execution: 'recorded' });
      // Nothing was handed, so nothing answered: a station without charge points or a simulation is recorded only.
      await t.app.services.actuation.idle();
      expect(await t.app.models.ActionOutcome.countDocuments({})).to.equal(0);
      const { body } = await request(t.url).get('/api/health').expect(200);
      expect(body.parts.actuator).to.deep.equal({
        state: 'not_configured',
        detail: 'no actuator: decisions are recorded, not carried out (no simulation, no OCPP charge points)',
      });
    } finally {
      await t.close();
    }
  });
});

describe('actuation: bounded', function () {
  this.timeout(60_000);
  it('answers a plan change `failed` at once when the actuator has ACTUATION_MAX_PENDING changes waiting, and records it', async () => {
    const bus = createEventBus();
    const rig = new Rig();
    const releases: (() => void)[] = [];
    rig.answer = (h) => new Promise((resolve) => releases.push(() => resolve(h.commands.map(() => ({ outcome: 'accepted' })))));
    const t = await startTestApp({ bus, actuator: rig, env: { ACTUATION_MAX_PENDING: '1', ACTUATION_TIMEOUT_MS: '60000' } });
    try {
      for (const id of ['st-b1', 'st-b2']) await request(t.url).post('/api/stations').send(aRegistration(id)).expect(201);
      const first = criticalFault('st-b1');
      const second = criticalFault('st-b2');
      const shed = nextOutcomes(bus, `${decisionIdOf(second)}`);
      const held = nextOutcomes(bus, `${decisionIdOf(first)}`);
      await request(t.url)
        .post('/api/data/signals')
        .send({ signals: [first] })
        .expect(202);
      expect(t.app.services.actuation!.backlog).to.equal(1);
      await request(t.url)
        .post('/api/data/signals')
        .send({ signals: [second] })
        .expect(202);
      const [o] = await shed;
      expect(o).to.include({ outcome: 'failed', detail: 'actuation queue full (1 plan changes waiting); not handed over' });
      expect(rig.handovers.map((h) => h.decisionId)).to.deep.equal([`${decisionIdOf(first)}`]);
      for (const r of releases) r();
      expect((await held)[0]).to.include({ outcome: 'accepted' });
      await t.app.services.actuation!.idle();
      expect(t.app.services.actuation!.backlog).to.equal(0);
    } finally {
      await t.close();
    }
  });
});

describe('actuation: replay', function () {
  this.timeout(60_000);
  it("puts a device's refusal into the signal log, and a replay of the log remakes every decision, the refusal's included", async () => {
    const bus = createEventBus();
    const rig = new Rig();
    rig.answer = async (h) => h.commands.map(() => ({ outcome: 'rejected', detail: 'firmware busy' }));
    const t = await startTestApp({ bus, actuator: rig });
    try {
      for (const id of ['st-r1', 'st-r2']) await request(t.url).post('/api/stations').send(aRegistration(id)).expect(201);
      const dropped = nextDecision(bus, 'st-r2', 'actuation_outcome');
      await request(t.url)
        .post('/api/data/signals')
        .send({ signals: [criticalFault('st-r1', 'C2'), criticalFault('st-r2')] })
        .expect(202);
      await dropped;
      await t.app.services.actuation!.idle();
      const { user } = await t.app.services.users.create({
        email: 'auditor@example.com',
        password: 'a-long-enough-password',
        role: 'auditor',
        stationScope: 'all',
      });
      const lines = await exportLog(t.directUrl, await t.app.services.tokens.access(user.id, 'auditor'));
      expect(
        lines
          .filter((l) => l.kind === 'signal' && l.signal.type === 'actuation_outcome')
          .map((l) => l.kind === 'signal' && l.signal.stationId),
      ).to.deep.equal(['st-r1', 'st-r2']);
      const report = replay(lines);
      expect(report).to.deep.include({ ok: true, decisionsRecorded: 4, identical: 4, differing: [], missing: [], extra: [] });
    } finally {
      await t.close();
    }
  });
});
