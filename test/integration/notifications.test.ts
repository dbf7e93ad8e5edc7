// Notifications on the real pipeline: a signal that needs an operator notifies the operators in
// scope only, once even when the charger flaps, and each user reads and marks their own.
import { expect } from 'chai';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { overload, sig } from '../helpers/signals.js';
import { authenticate } from '../../middlewares/auth.js';
import { errorHandler } from '../../middlewares/errors.js';
import { createNotificationPrefsModel } from '../../models/notificationPrefs.js';
import { notificationsRouter } from '../../routes/notifications.js';
import { NotificationService, type NotificationView } from '../../services/notify/service.js';

const MIN = 60_000;

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('notifications', function () {
  this.timeout(60_000);
  let t: TestApp;
  let svc: NotificationService;
  let server: Server;
  let url: string;
  let now = Date.parse('2026-03-02T08:00:00.000Z');
  const delivered: { userId: string; n: NotificationView }[] = [];
  const pushed: string[] = [];
  const updated: { userId: string; n: NotificationView }[] = [];
  const listenerErrors: { where: string; err: unknown }[] = [];
  const ids: Record<'opP' | 'opQ' | 'aud', string> = { opP: '', opQ: '', aud: '' };
  const tokens: Record<'opP' | 'opQ' | 'aud', string> = { opP: '', opQ: '', aud: '' };
  let logged = 0;

  before(async () => {
    t = await startTestApp();
    // One charger: taking it offline needs an operator.
    await request(t.url)
      .post('/api/stations')
      .send(aRegistration('st-p', { capacity: { bays: 2, chargers: 1, batterySlots: 10 } }))
      .expect(201);
    await request(t.url).post('/api/stations').send(aRegistration('st-q')).expect(201);
    const users = t.app.services.users;
    for (const [k, role, scope] of [
      ['opP', 'operator', ['st-p']],
      ['opQ', 'operator', ['st-q']],
      ['aud', 'auditor', 'all'],
    ] as const) {
      const { user } = await users.create({
        email: `${k.toLowerCase()}-${Date.now()}@test.example`,
        password: 'a long password 123',
        role,
        stationScope: scope === 'all' ? 'all' : [...scope],
      });
      ids[k] = user.id;
      tokens[k] = await t.app.services.tokens.access(user.id, role);
    }

    // This test drives its own service with a controlled clock: the app's own one stops listening.
    t.app.services.notifications.stop();
    svc = new NotificationService({
      models: t.app.models,
      prefs: createNotificationPrefsModel(t.conn),
      users,
      clock: () => now,
      deliver: { created: (userId, n) => delivered.push({ userId, n }), updated: (userId, n) => updated.push({ userId, n }) },
      push: async (userId) => {
        pushed.push(userId);
      },
    });
    await svc.load();
    svc.attach(t.app.bus, (where, err) => listenerErrors.push({ where, err }), 3_600_000);
    t.app.bus.on('decision.logged', ({ record }) => {
      if (record.stationId === 'st-p') logged++;
    });

    const app = express();
    app.use('/api', express.json(), authenticate(t.app.services), notificationsRouter({ notifications: svc }));
    app.use(errorHandler(() => undefined));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    expect(listenerErrors).to.deep.equal([]);
    svc.stop();
    server.close();
    await t.close();
  });

  const count = (userId: string) => t.app.models.Notification.countDocuments({ userId });

  it('a pending approval from a real overload notifies the in-scope operator, not one scoped elsewhere', async () => {
    const o = overload('st-p');
    await request(t.url).post('/api/data/signals').send({ signals: o.signals }).expect(202);
    await until(async () => (await count(ids.opP)) === 1, 'the operator notification');
    const { body: d } = await request(t.url).get(`/api/decisions/${o.decisionId}`).expect(200);
    expect(d.status).to.equal('pending_approval');

    const mine = delivered.filter((x) => x.userId === ids.opP);
    expect(mine).to.have.length(1);
    expect(mine[0].n).to.include({ kind: 'pending_approval', severity: 'high', stationId: 'st-p', decisionId: o.decisionId });
    expect(mine[0].n.title).to.equal("Decision at st-p waits for an operator's approval");
    expect(await count(ids.opQ)).to.equal(0);
    expect(await count(ids.aud)).to.equal(0);
    expect(delivered.some((x) => x.userId === ids.opQ || x.userId === ids.aud)).to.equal(false);
    // No subscription stored, so no push.
    expect(pushed).to.deep.equal([]);
  });

  it('lists own notifications with the unread count, marks one read, and answers 404 for anyone else', async () => {
    const { body: list } = await request(url).get('/api/notifications').set('authorization', `Bearer ${tokens.opP}`).expect(200);
    expect(list).to.include({ unread: 1, nextCursor: null });
    expect(list.items).to.have.length(1);
    const id = list.items[0].id as string;

    await request(url).post(`/api/notifications/${id}/read`).set('authorization', `Bearer ${tokens.opQ}`).expect(404);
    await request(url).post('/api/notifications/000000000000000000000000/read').set('authorization', `Bearer ${tokens.opP}`).expect(404);
    await request(url).post('/api/notifications/nope/read').set('authorization', `Bearer ${tokens.opP}`).expect(404);
    const { body: read } = await request(url)
      .post(`/api/notifications/${id}/read`)
      .set('authorization', `Bearer ${tokens.opP}`)
      .expect(200);
    expect(read.readAt).to.be.a('string');

    const { body: after } = await request(url).get('/api/notifications').set('authorization', `Bearer ${tokens.opP}`).expect(200);
    expect(after.unread).to.equal(0);
    const { body: unreadOnly } = await request(url)
      .get('/api/notifications?unreadOnly=true')
      .set('authorization', `Bearer ${tokens.opP}`)
      .expect(200);
    expect(unreadOnly.items).to.deep.equal([]);
    const { body: other } = await request(url).get('/api/notifications').set('authorization', `Bearer ${tokens.opQ}`).expect(200);
    expect(other).to.deep.equal({ items: [], unread: 0, nextCursor: null });
    await request(url).get('/api/notifications').expect(401);
  });

  it('reads and validates preferences', async () => {
    const auth = `Bearer ${tokens.aud}`;
    const { body: d } = await request(url).get('/api/notifications/prefs').set('authorization', auth).expect(200);
    expect(d).to.deep.equal({ onCall: true, pushMinSeverity: 'high', quietHours: null });
    const prefs = { onCall: false, pushMinSeverity: 'critical', quietHours: { start: '22:00', end: '07:00', tzOffsetMin: 60 } };
    await request(url).put('/api/notifications/prefs').set('authorization', auth).send(prefs).expect(200);
    const { body: got } = await request(url).get('/api/notifications/prefs').set('authorization', auth).expect(200);
    expect(got).to.deep.equal(prefs);
    const bad = await request(url)
      .put('/api/notifications/prefs')
      .set('authorization', auth)
      .send({ ...prefs, quietHours: { start: '25:00', end: '07:00', tzOffsetMin: 0 } })
      .expect(400);
    expect(bad.body.error.details[0].field).to.equal('quietHours.start');
  });

  it('a charger faulting 10 times in the window escalates once through the plan and notifies once', async () => {
    // A fresh window: the first test's alert is older than it.
    now += 11 * MIN;
    svc.flush();
    const before = await count(ids.opP);
    const seen = logged;
    for (let i = 0; i < 10; i++) {
      await request(t.url)
        .post('/api/data/signals')
        .send(sig('st-p', 'charger_status', { chargerId: 'C1', status: 'faulted', errorCode: 'OtherError' }))
        .expect(202);
      await request(t.url)
        .post('/api/data/signals')
        .send(sig('st-p', 'charger_status', { chargerId: 'C1', status: 'available' }))
        .expect(202);
      now += 30_000;
    }
    // Reset (level 1), a technician ticket when it recurs (level 2), offline with a level-3 ticket on the third:
    // then the charger is isolated and the other seven faults change nothing.
    await until(async () => (await t.app.models.DecisionLog.countDocuments({ stationId: 'st-p' })) >= 4, 'the escalation');
    expect(logged - seen).to.equal(3);
    const { body: plan } = await request(t.url).get('/api/stations/st-p/plan').expect(200);
    expect(plan.actions.map((x: { id: string }) => x.id)).to.include.members(['take_charger_offline:C1', 'escalate_ticket:C1']);
    await until(async () => (await count(ids.opP)) === before + 1, 'the first notification');
    const { body } = await request(url).get('/api/notifications?limit=1').set('authorization', `Bearer ${tokens.opP}`).expect(200);
    expect(body.items[0]).to.include({ stationId: 'st-p', title: 'Charger C1 at st-p needs a technician' });
    // The window closes without a second notification for the same charger.
    now += 10 * MIN;
    svc.flush();
    expect(await count(ids.opP)).to.equal(before + 1);
    expect(await count(ids.opQ)).to.equal(0);
  });
});
