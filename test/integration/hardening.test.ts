// Abuse through the real server: nobody can lock another's account, a chat conversation belongs to its
// user, and push endpoints must be public addresses. Client addresses come from X-Forwarded-For, which
// the server believes only because TRUST_PROXY names loopback (as a deployment names its proxy).
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { aRegistration, startTestApp, type TestApp } from '../helpers/app.js';
import { criticalFault, sig } from '../helpers/signals.js';
import { until } from '../helpers/chat.js';
import { decisionIdOf } from '../../agents/common.js';
import { loadConfig } from '../../config/index.js';

const PASSWORD = 'a-long-enough-password';

describe('hardening: lockout, conversations, push endpoints', function () {
  this.timeout(30_000);
  let t: TestApp;
  const api = () => request(t.directUrl);
  const from = (address: string, r: request.Test) => r.set('X-Forwarded-For', address);
  const makeUser = async () => {
    const email = `user-${randomUUID().slice(0, 8)}@example.com`;
    const { user } = await t.app.services.users.create({ email, password: PASSWORD, role: 'operator', stationScope: 'all' });
    return { email, id: user.id };
  };
  const signIn = (address: string, email: string, password: string) =>
    from(address, api().post('/api/auth/login')).send({ email, password });

  before(async () => {
    // Account-wide slowing starts past 5 x 3 = 15 attempts, so the test stays quick.
    t = await startTestApp({
      env: { CHAIN_RPC_URL: 'off', TRUST_PROXY: 'loopback', RATE_LOGIN_PER_ACCOUNT: '3', RATE_SIGNALS_PER_S: '5' },
    });
    await request(t.url).post('/api/stations').send(aRegistration('hd-1')).expect(201);
  });
  after(() => t.close());

  it('wrong passwords from one address block that address only: the owner signs in from another', async () => {
    const victim = await makeUser();
    for (let i = 0; i < 3; i++) await signIn('203.0.113.7', victim.email, 'guess-guess-guess').expect(401);
    const blocked = await signIn('203.0.113.7', victim.email, PASSWORD).expect(429);
    expect(blocked.body.error.code).to.equal('RATE_LIMITED');
    expect(blocked.headers['retry-after']).to.match(/^\d+$/);
    const owner = await signIn('198.51.100.20', victim.email, PASSWORD).expect(200);
    expect(owner.body.user.id).to.equal(victim.id);
  });

  it('guessing from many addresses is slowed account-wide, never refused: the owner still gets in', async () => {
    const victim = await makeUser();
    // 5 addresses x 3 attempts: 15, the account-wide threshold; then every attempt waits longer.
    for (let a = 0; a < 5; a++) for (let i = 0; i < 3; i++) await signIn(`203.0.113.${10 + a}`, victim.email, 'guess-guess').expect(401);
    const started = process.hrtime.bigint();
    const owner = await signIn('198.51.100.30', victim.email, PASSWORD).expect(200);
    const waitedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(owner.body.user.id).to.equal(victim.id);
    // The 16th attempt on the account waited one step (250 ms) before it was judged.
    expect(waitedMs).to.be.at.least(250);
  });

  it("asking for one-time codes again does not cancel the owner's: one code, delivered once, still good", async () => {
    const owner = await makeUser();
    const ask = (address: string) => from(address, api().post('/api/auth/otp/request')).send({ email: owner.email }).expect(202);
    await ask('198.51.100.40');
    for (const address of ['203.0.113.41', '203.0.113.42']) await ask(address);
    await t.app.services.otp.idle();
    const token = await t.app.services.tokens.access(owner.id, 'operator');
    const listed = await api().get('/api/notifications').set('Authorization', `Bearer ${token}`).expect(200);
    const codes = listed.body.items.filter((n: { kind: string }) => n.kind === 'otp');
    expect(codes).to.have.length(1);
    const code = /\b(\d{6})\b/.exec(codes[0].body)![1]!;
    const signedIn = await from('198.51.100.40', api().post('/api/auth/otp/verify')).send({ email: owner.email, code }).expect(200);
    expect(signedIn.body.user.id).to.equal(owner.id);
  });

  it("another user's conversationId starts a new conversation, with none of the other's history", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const token = async (u: { id: string }) => t.app.services.tokens.access(u.id, 'operator');
    const ask = async (u: { id: string }, body: object) =>
      (
        await api()
          .post('/api/chat')
          .set('Authorization', `Bearer ${await token(u)}`)
          .send(body)
          .expect(200)
      ).body as { conversationId: string };
    const first = await ask(a, { message: 'What is the plan for today?' });
    expect((await ask(a, { message: 'And then?', conversationId: first.conversationId })).conversationId).to.equal(first.conversationId);
    const other = await ask(b, { message: 'What did they ask?', conversationId: first.conversationId });
    expect(other.conversationId).to.not.equal(first.conversationId);
    // The owner's conversation is still theirs to continue.
    expect((await ask(a, { message: 'Thanks', conversationId: first.conversationId })).conversationId).to.equal(first.conversationId);
  });

  it('refuses push endpoints on loopback, private and link-local addresses over REST, and stores none', async () => {
    const u = await makeUser();
    const auth = { Authorization: `Bearer ${await t.app.services.tokens.access(u.id, 'operator')}` };
    const ecdh = createECDH('prime256v1');
    const keys = { p256dh: ecdh.generateKeys().toString('base64url'), auth: randomBytes(16).toString('base64url') };
    for (const endpoint of ['https://127.0.0.1/p', 'https://localhost/p', 'https://169.254.169.254/p', 'https://[fd12::1]/p']) {
      const res = await api().post('/api/push/subscriptions').set(auth).send({ endpoint, keys }).expect(400);
      expect(res.body.error.code, endpoint).to.equal('ENDPOINT_NOT_PUBLIC');
      expect(res.body.error.details[0].field).to.equal('endpoint');
    }
    expect(await t.app.models.Sub.countDocuments({ userId: u.id })).to.equal(0);
    await api().post('/api/push/subscriptions').set(auth).send({ endpoint: 'https://8.8.8.8/p', keys }).expect(201);
  });

  it("one station's key cannot silence another by sending its signal ids first: ids are unique per station", async () => {
    const keyOf = async (id: string) =>
      (await request(t.url).post('/api/stations').send(aRegistration(id)).expect(201)).body.deviceKey as string;
    const [a, b] = [await keyOf('hd-a'), await keyOf('hd-b')];
    const squat = { ...criticalFault('hd-a', 'C1'), id: 'fault-0001' };
    const real = { ...criticalFault('hd-b', 'C1'), id: 'fault-0001' };
    const first = await api().post('/api/data/signals').set('X-Device-Key', a).send(squat).expect(202);
    expect(first.body).to.include({ accepted: 1, duplicates: 0 });
    const second = await api().post('/api/data/signals').set('X-Device-Key', b).send(real).expect(202);
    expect(second.body).to.include({ accepted: 1, duplicates: 0 });
    // A resend is still a duplicate, per station.
    expect((await api().post('/api/data/signals').set('X-Device-Key', b).send(real).expect(202)).body).to.include({ duplicates: 1 });
    // Each made its own decision, named by station and signal.
    const ids = [decisionIdOf(squat), decisionIdOf(real)];
    expect(ids).to.deep.equal(['dec-hd-a~fault-0001', 'dec-hd-b~fault-0001']);
    await until(async () => (await t.app.models.DecisionLog.countDocuments({ decisionId: { $in: ids } })) === 2);
    expect(await t.app.models.SignalLog.countDocuments({ signalId: 'fault-0001' })).to.equal(2);
  });

  it('prototype names are ordinary ids: a station, a charger and a pack called constructor, toString, hasOwnProperty', async () => {
    const key = (await request(t.url).post('/api/stations').send(aRegistration('constructor')).expect(201)).body.deviceKey as string;
    const send = (s: object) => api().post('/api/data/signals').set('X-Device-Key', key).send(s).expect(202);
    await send(sig('constructor', 'charger_temp', { chargerId: 'toString', tempC: 41 }));
    await send(sig('constructor', 'battery_health', { batteryId: 'hasOwnProperty', sohPct: 90, cycles: 12, tempC: 30 }));
    const fault = criticalFault('constructor', 'constructor');
    await send(fault);
    await until(async () => (await t.app.models.DecisionLog.countDocuments({ decisionId: decisionIdOf(fault) })) === 1);
    const { body } = await request(t.url).get('/api/stations/constructor').expect(200);
    expect(body.chargers.toString).to.include({ id: 'toString', status: 'available', tempC: 41 });
    expect(body.chargers.constructor).to.include({ id: 'constructor', status: 'faulted' });
    expect(body.batteries.hasOwnProperty).to.include({ id: 'hasOwnProperty', sohPct: 90 });
    const plan = (await request(t.url).get('/api/stations/constructor/plan').expect(200)).body;
    expect(plan.actions.map((a: { id: string }) => a.id)).to.include('take_charger_offline:constructor');
    // Nothing reached Object.prototype or the Object constructor.
    expect(Object.hasOwn(Object, 'tempC')).to.equal(false);
    expect(({} as Record<string, unknown>).status).to.equal(undefined);
  });

  it("an operator's signals are rate limited like a device's", async () => {
    const u = await makeUser();
    const auth = { Authorization: `Bearer ${await t.app.services.tokens.access(u.id, 'operator')}` };
    const batch = Array.from({ length: 5 }, (_, i) => criticalFault('hd-1', `C${i}`));
    await api().post('/api/data/signals').set(auth).send({ signals: batch }).expect(202);
    const over = await api().post('/api/data/signals').set(auth).send(criticalFault('hd-1', 'C9')).expect(429);
    expect(over.body.error.code).to.equal('RATE_LIMITED');
    expect(over.headers['retry-after']).to.match(/^\d+$/);
  });

  it('health shows each part to anyone, its details only to a signed-in user', async () => {
    const anonymous = (await api().get('/api/health').expect(200)).body;
    for (const part of Object.values(anonymous.parts) as Record<string, unknown>[]) expect(part).to.have.keys('state');
    const signedIn = (await request(t.url).get('/api/health').expect(200)).body;
    expect(Object.values(signedIn.parts).some((p) => 'detail' in (p as object))).to.equal(true);
    expect((await api().get('/api/ready').expect(200)).body.parts.db).to.have.keys('state');
  });

  it('TRUST_PROXY is off by default and refuses what is no address, subnet or keyword', () => {
    expect(loadConfig({}).trustProxy).to.equal(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).to.equal(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).to.deep.equal(['loopback', '10.0.0.0/8']);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).to.throw(/TRUST_PROXY/);
  });
});
