// Operators answer pending_approval decisions; each answer is a record of its own,
// bound to the decision's hash and anchored as its own leaf, checked by the auditor CLI.
import { expect } from 'chai';
import request from 'supertest';
import { jcsSha256, nextAnchoredBatch, verifyCli } from '../helpers/audit.js';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { advanceClock, criticalFault, overload, sig } from '../helpers/signals.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../services/audit/anchoring/embeddedChain.js';
import { createEventBus, type EventBus } from '../../eventBus/index.js';
import { approvalValue } from '../../services/audit/records.js';
import { canonicalHash } from '../../services/audit/canonical.js';
import { decisionIdOf } from '../../agents/common.js';

describe('approvals', function () {
  this.timeout(60_000);
  let chain: EmbeddedChain;
  let t: TestApp;
  let bus: EventBus;

  before(async () => {
    chain = await startEmbeddedChain({ dataDir: null });
    bus = createEventBus();
    t = await startTestApp({ chain: chain.target, env: { ANCHOR_BATCH_MS: '100' }, bus });
    await request(t.url).post('/api/stations').send(aRegistration('st-q')).expect(201);
  });
  after(async () => {
    await t.close();
    await chain.stop();
  });

  let stations = 0;
  /** A curtailment of more than half the draw, on a station of its own: it waits for an operator. */
  async function pendingDecision(): Promise<Record<string, unknown> & { id: string; hash: string; stationId: string }> {
    const stationId = `st-p${++stations}`;
    await request(t.url).post('/api/stations').send(aRegistration(stationId)).expect(201);
    const anchored = nextAnchoredBatch(bus);
    const o = overload(stationId);
    await request(t.url).post('/api/data/signals').send({ signals: o.signals }).expect(202);
    await anchored;
    const { body } = await request(t.url).get(`/api/decisions/${o.decisionId}`).expect(200);
    expect(body.status).to.equal('pending_approval');
    return body;
  }

  const planOf = async (stationId: string) => (await request(t.url).get(`/api/stations/${stationId}/plan`).expect(200)).body;

  it('records an approval bound to the decision hash, anchors it as its own leaf, and the auditor CLI checks it', async () => {
    const d = await pendingDecision();
    const anchored = nextAnchoredBatch(bus);
    const before = await planOf(d.stationId);
    expect(before.actions.map((x: { id: string; status: string }) => [x.id, x.status])).to.deep.equal([
      ['curtail_charging:station', 'pending_approval'],
    ]);
    expect(before.policyVersion).to.match(/^pv-[0-9a-f]{16}$/);
    const { body: a } = await request(t.url).post(`/api/decisions/${d.id}/approve`).send({ note: 'crew on site' }).expect(200);
    // The approval puts the waiting action in force.
    expect((await planOf(d.stationId)).actions.map((x: { id: string; status: string }) => [x.id, x.status])).to.deep.equal([
      ['curtail_charging:station', 'active'],
    ]);
    expect(a).to.include({ decisionId: d.id, decisionHash: d.hash, outcome: 'approved', note: 'crew on site' });
    const { hash: _h, anchor: _a, ...value } = a;
    expect(await jcsSha256(value)).to.equal(a.hash);
    await anchored;
    // The batch just anchored may be one closed before the approval's leaf came in: wait for the one that holds it.
    let rec = (await request(t.url).get(`/api/decisions/${d.id}`).expect(200)).body;
    for (let i = 0; i < 50 && rec.approval?.anchor?.status !== 'anchored'; i++) {
      const next = nextAnchoredBatch(bus);
      rec = (await request(t.url).get(`/api/decisions/${d.id}`).expect(200)).body;
      if (rec.approval?.anchor?.status !== 'anchored') await next;
    }
    expect(rec.status).to.equal('pending_approval');
    expect(rec.approval).to.include({ outcome: 'approved', hash: a.hash });
    expect(rec.approval.anchor.status).to.equal('anchored');
    // The decision's own hash is untouched by the answer.
    const { hash, explanation: _e, anchor: _an, approval: _ap, createdAt: _c, ...content } = rec;
    expect(await jcsSha256(content)).to.equal(hash);
    const { body: list } = await request(t.url).get('/api/decisions?status=approved').expect(200);
    expect(list.items.map((r: { id: string }) => r.id)).to.include(d.id);

    const { body: p } = await request(t.url).get(`/api/audit/decisions/${d.id}/proof`).expect(200);
    expect(p.approval.value).to.deep.equal(value);
    const { body: v } = await request(t.url).get(`/api/audit/decisions/${d.id}/verify`).expect(200);
    expect(v.verified).to.equal(true);
    expect(v.checks.approval).to.equal(true);
    const { body: c } = await request(t.url).get('/api/audit/contract').expect(200);
    const args = [`${t.url}/api/audit/decisions/${d.id}/proof`, '--rpc', c.rpcUrl, '--contract', c.address];
    const ok = await verifyCli(args);
    expect(ok.code, ok.out).to.equal(0);
    expect(ok.out).to.match(/^PASS +approval\.proof/m);

    // Rewriting who approved, after the fact, is caught.
    await t.app.models.DecisionLog.updateOne({ decisionId: d.id }, { $set: { 'approval.by': 'someone-else' } });
    const bad = await verifyCli(args);
    expect(bad.code, bad.out).to.equal(1);
    expect(bad.out).to.match(/^FAIL +approval\.hash/m);
    const { body: v2 } = await request(t.url).get(`/api/audit/decisions/${d.id}/verify`).expect(200);
    expect(v2).to.deep.include({ verified: false });
    expect(v2.checks.approval).to.equal(false);
  });

  it('answers a decision once, only when it waits for an operator, and names bad fields', async () => {
    const d = await pendingDecision();
    await request(t.url)
      .post(`/api/decisions/${d.id}/approve`)
      .send({ note: 7 })
      .expect(400)
      .expect((r) => expect(r.body.error.details[0].field).to.equal('note'));
    await request(t.url)
      .post(`/api/decisions/${d.id}/reject`)
      .send({ note: 'x', by: 'me' })
      .expect(400)
      .expect((r) => expect(r.body.error.details[0].field).to.equal('by'));
    const unchanged = await t.app.models.DecisionLog.findOne({ decisionId: d.id }).lean();
    expect(unchanged?.approval).to.equal(undefined);

    const { body: r } = await request(t.url).post(`/api/decisions/${d.id}/reject`).send({}).expect(200);
    expect(r).to.include({ outcome: 'rejected', note: null });
    // A rejected action leaves the plan, and the same overload does not ask again at once.
    expect((await planOf(d.stationId)).actions).to.deep.equal([]);
    const again1 = sig(d.stationId, 'power_draw', { kW: 420 });
    await request(t.url).post('/api/data/signals').send(again1).expect(202);
    await request(t.url)
      .get(`/api/decisions/${decisionIdOf(again1)}`)
      .expect(404);
    const again = await request(t.url).post(`/api/decisions/${d.id}/approve`).send({}).expect(409);
    expect(again.body.error.code).to.equal('ALREADY_ANSWERED');

    // Isolating a dangerous charger never waits for an operator.
    const s = criticalFault('st-q', 'C1');
    await request(t.url).post('/api/data/signals').send(s).expect(202);
    const { body: done } = await request(t.url)
      .get(`/api/decisions/${decisionIdOf(s)}`)
      .expect(200);
    expect(done.status).to.equal('executed');
    const executed = await request(t.url)
      .post(`/api/decisions/${decisionIdOf(s)}/approve`)
      .send({})
      .expect(409);
    expect(executed.body.error.code).to.equal('NOT_PENDING_APPROVAL');
    await request(t.url).post('/api/decisions/dec-unknown/approve').send({}).expect(404);
  });

  it('answers 409 NO_LONGER_PLANNED for an action that was stopped before the operator answered', async () => {
    const d = await pendingDecision();
    // The overload ends; past the dwell and the station's release round the waiting curtailment is released.
    await request(t.url)
      .post('/api/data/signals')
      .send(sig(d.stationId, 'power_draw', { kW: 50 }))
      .expect(202);
    advanceClock(35);
    const calm = sig(d.stationId, 'power_draw', { kW: 50 });
    await request(t.url).post('/api/data/signals').send(calm).expect(202);
    const { body: released } = await request(t.url)
      .get(`/api/decisions/${decisionIdOf(calm)}`)
      .expect(200);
    expect(released.changes.stopped.map((x: { id: string; reason: string }) => [x.id, x.reason])).to.deep.equal([
      ['curtail_charging:station', 'released'],
    ]);
    const late = await request(t.url).post(`/api/decisions/${d.id}/approve`).send({}).expect(409);
    expect(late.body.error).to.include({ code: 'NO_LONGER_PLANNED' });
    expect(late.body.error.details[0].field).to.equal('id');
    // Nothing of the refused answer is stored.
    expect((await t.app.models.DecisionLog.findOne({ decisionId: d.id }).lean())?.approval).to.equal(undefined);
  });

  it('anchors, after a restart, an approval whose process died before numbering its leaf', async () => {
    const d = await pendingDecision();
    // What a process killed between its two writes leaves behind: the answer, without a sequence number.
    const base = {
      decisionId: d.id,
      decisionHash: d.hash,
      outcome: 'approved' as const,
      by: 'unauthenticated',
      note: null,
      at: '2026-11-24T09:00:00.000Z',
    };
    const approval = { ...base, hash: canonicalHash(approvalValue(base)) };
    await t.app.models.DecisionLog.updateOne({ decisionId: d.id }, { $set: { status: 'approved', approval } });
    await t.close();
    bus = createEventBus();
    const anchored = nextAnchoredBatch(bus);
    t = await startTestApp({ chain: chain.target, env: { ANCHOR_BATCH_MS: '100' }, bus, dbName: t.dbName });
    await anchored;
    const { body: v } = await request(t.url).get(`/api/audit/decisions/${d.id}/verify`).expect(200);
    expect(v.checks.approval, v.details.approval).to.equal(true);
    expect(v.verified).to.equal(true);
    // The plan is stored with the station state: it survives the restart.
    expect((await planOf(d.stationId)).actions.map((x: { id: string; decisionId: string }) => [x.id, x.decisionId])).to.deep.equal([
      ['curtail_charging:station', d.id],
    ]);
  });
});
