// An operator returns an isolated charger to service through POST /api/stations/:id/plan/release:
// the release goes in as an operator_release signal (stored, folded, decided), which no sender may
// send itself, and a replay of the exported log remakes the release decision with the same hash.
import { expect } from 'chai';
import request from 'supertest';
import { io as connect } from 'socket.io-client';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { criticalFault, overload, sig } from '../helpers/signals.js';
import { exportLog } from '../../scripts/replay/export.js';
import { replay } from '../../scripts/replay/log.js';
import type { Role } from '../../models/index.js';

describe('operator release of a plan action', function () {
  this.timeout(60_000);
  let t: TestApp;
  const token: Record<string, string> = {};
  const email: Record<string, string> = {};

  before(async () => {
    t = await startTestApp({ env: { CHAIN_RPC_URL: 'off' } });
    for (const id of ['st-r', 'st-c', 'st-other']) await request(t.url).post('/api/stations').send(aRegistration(id)).expect(201);
    const make = async (who: string, role: Role, scope: 'all' | string[]) => {
      email[who] = `${who}@release.example`;
      const { user } = await t.app.services.users.create({
        email: email[who],
        password: `${who}-password-long`,
        role,
        stationScope: scope,
      });
      token[who] = await t.app.services.tokens.access(user.id, role);
    };
    await make('operator', 'operator', ['st-r', 'st-c']);
    await make('outsider', 'operator', ['st-other']);
    await make('auditor', 'auditor', 'all');
  });
  after(() => t.close());

  const as = (who: string, path: string) => request(t.directUrl).post(path).set('authorization', `Bearer ${token[who]}`);
  const planIds = async (stationId: string) =>
    (await request(t.url).get(`/api/stations/${stationId}/plan`).expect(200)).body.actions.map((a: { id: string }) => a.id);
  const stored = (signalId: string) => t.app.models.SignalLog.countDocuments({ signalId });

  let releaseDecisionId = '';

  it('returns an isolated charger to service: 200 with the executed decision, and the plan holds neither the isolation nor its ticket', async () => {
    await request(t.url).post('/api/data/signals').send(criticalFault('st-r', 'C1')).expect(202);
    expect(await planIds('st-r')).to.include.members(['take_charger_offline:C1', 'escalate_ticket:C1']);

    const res = await as('operator', '/api/stations/st-r/plan/release')
      .send({ actionId: 'take_charger_offline:C1', note: 'contactor replaced' })
      .expect(200);
    const d = res.body.decision;
    expect(d.id).to.match(/^dec-st-r~op-[0-9a-f-]{36}$/);
    expect(d).to.include({ stationId: 'st-r', signalType: 'operator_release', status: 'executed' });
    expect(d.hash).to.match(/^[0-9a-f]{64}$/);
    expect(d.changes.stopped.map((s: { id: string; reason: string }) => [s.id, s.reason])).to.deep.equal([
      ['take_charger_offline:C1', 'operator'],
      ['escalate_ticket:C1', 'operator'],
    ]);
    expect(d.changes.stopped[0].note).to.equal(`returned to service by ${email.operator}: contactor replaced`);
    expect(d.changes.stopped[0].operator).to.deep.equal({ by: email.operator, note: 'contactor replaced' });
    expect(d.explanation.text).to.contain(`the operator ${email.operator} returned charger C1 to service.`);
    expect(await planIds('st-r')).to.not.include('take_charger_offline:C1');
    expect(await planIds('st-r')).to.not.include('escalate_ticket:C1');
    // The release is a signal like any other: in the log, folded into the state.
    expect(await stored(d.signalId)).to.equal(1);
    const { body: state } = await request(t.url).get('/api/stations/st-r').expect(200);
    expect(state.chargers.C1).to.include({ status: 'available', returnedAt: d.ts });
    const { body: again } = await request(t.url).get(`/api/decisions/${d.id}`).expect(200);
    expect(again.hash).to.equal(d.hash);
    releaseDecisionId = d.id;
  });

  it('answers 409 NOT_IN_PLAN for an action not in the plan (a second release of the same one too)', async () => {
    for (const actionId of ['take_charger_offline:C1', 'quarantine_battery:B404']) {
      const r = await as('operator', '/api/stations/st-r/plan/release').send({ actionId }).expect(409);
      expect(r.body.error.code, actionId).to.equal('NOT_IN_PLAN');
      expect(r.body.error.details[0].field).to.equal('actionId');
    }
  });

  it('answers 409 NOT_OPERATOR_RELEASABLE for an action that ends by itself (a curtailment), and stores nothing', async () => {
    const o = overload('st-c');
    await request(t.url).post('/api/data/signals').send({ signals: o.signals }).expect(202);
    expect(await planIds('st-c')).to.include('curtail_charging:station');
    const before = await t.app.models.SignalLog.countDocuments({ stationId: 'st-c' });
    const r = await as('operator', '/api/stations/st-c/plan/release').send({ actionId: 'curtail_charging:station' }).expect(409);
    expect(r.body.error.code).to.equal('NOT_OPERATOR_RELEASABLE');
    expect(await t.app.models.SignalLog.countDocuments({ stationId: 'st-c' })).to.equal(before);
    expect(await planIds('st-c')).to.include('curtail_charging:station');
  });

  it('lets operators and admins in, in their scope only: auditors get 403, a station outside the scope 404', async () => {
    await as('auditor', '/api/stations/st-r/plan/release').send({ actionId: 'take_charger_offline:C1' }).expect(403);
    const out = await as('outsider', '/api/stations/st-r/plan/release').send({ actionId: 'take_charger_offline:C1' }).expect(404);
    expect(out.body.error.code).to.equal('UNKNOWN_STATION');
    await request(t.directUrl).post('/api/stations/st-r/plan/release').send({ actionId: 'take_charger_offline:C1' }).expect(401);
    await as('operator', '/api/stations/st-nope/plan/release').send({ actionId: 'take_charger_offline:C1' }).expect(404);
    // An admin (the proxy signs in as one) gets through to the plan check.
    const admin = await request(t.url)
      .post('/api/stations/st-other/plan/release')
      .send({ actionId: 'take_charger_offline:C1' })
      .expect(409);
    expect(admin.body.error.code).to.equal('NOT_IN_PLAN');
  });

  it('answers 400 naming the field for a bad body', async () => {
    const cases: [unknown, string][] = [
      [{}, 'actionId'],
      [{ actionId: 7 }, 'actionId'],
      [{ actionId: 'take_charger_offline:C1', note: 'x'.repeat(501) }, 'note'],
      [{ actionId: 'take_charger_offline:C1', by: 'someone-else' }, 'by'],
    ];
    for (const [body, field] of cases) {
      const r = await as('operator', '/api/stations/st-r/plan/release')
        .send(body as object)
        .expect(400);
      expect(r.body.error.details[0].field, JSON.stringify(body)).to.equal(field);
    }
  });

  it('refuses operator_release from every sender (REST, /ingest, the ingestion senders use) naming type, storing nothing', async () => {
    const forged = sig('st-r', 'operator_release', { actionId: 'take_charger_offline:C1', by: 'forger', note: null });
    const rest = await as('operator', '/api/data/signals').send(forged).expect(400);
    expect(rest.body.error.details[0].field).to.equal('type');
    const batch = await request(t.url)
      .post('/api/data/signals')
      .send({ signals: [forged] })
      .expect(400);
    expect(batch.body.rejected[0].error.field).to.equal('type');

    const socket = connect(`${t.url}/ingest`, { transports: ['websocket'] });
    try {
      const ack = await socket.emitWithAck('signal', forged);
      expect(ack.ok).to.equal(false);
      expect(ack.error.details[0].field).to.equal('type');
    } finally {
      socket.close();
    }
    const direct = await t.app.services.ingestion.ingest([forged], performance.now());
    expect(direct.rejected[0]!.error.field).to.equal('type');
    expect(await stored(forged.id)).to.equal(0);
  });

  it('an export of the log with the release replays to the same decisions and hashes', async () => {
    // Decisions reach the database a few ms after they are made.
    const deadline = Date.now() + 20_000;
    while (!(await t.app.models.DecisionLog.exists({ decisionId: releaseDecisionId })) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const lines = await exportLog(t.directUrl, token.auditor!);
    expect(lines.some((l) => l.kind === 'signal' && l.signal.type === 'operator_release')).to.equal(true);
    expect(lines.some((l) => l.kind === 'decision' && l.id === releaseDecisionId)).to.equal(true);
    const report = replay(lines);
    expect(report).to.deep.include({ ok: true, identical: report.decisionsRecorded, differing: [], missing: [], extra: [] });
    expect(report.decisionsRecorded).to.be.greaterThan(2);
  });
});
