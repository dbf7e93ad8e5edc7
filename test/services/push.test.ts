// Web push against a real HTTPS push receiver on loopback (self-signed certificate made here), a fake
// browser (P-256 key pair + auth secret) that decrypts what arrives, and the app's database.
import { expect } from 'chai';
import { createECDH, randomBytes, randomUUID, type ECDH } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { overload } from '../helpers/signals.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { selfSignedCert } from '../helpers/selfSigned.js';
import { PushService, retryAfterMs, type PushPayload, type PushServiceOptions } from '../../services/notify/push.js';
import { pushRouter } from '../../routes/push.js';
import { authenticate } from '../../middlewares/auth.js';
import { errorHandler, notFound, requireJson } from '../../middlewares/errors.js';

const ece = require('http_ece') as {
  decrypt(body: Buffer, params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: Buffer }): Buffer;
};

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

interface Browser {
  ecdh: ECDH;
  authSecret: Buffer;
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
}

describe('web push', () => {
  let t: TestApp;
  let dir: string;
  let cert: Buffer;
  let receiver: https.Server;
  let origin: string;
  const received: Received[] = [];
  /** Per path, the answers the receiver gives in turn (then 201). */
  const answers = new Map<string, { status: number; headers?: Record<string, string> }[]>();
  let sleeps: number[];
  const errors: unknown[] = [];
  /** Called when the receiver gets a request (tests wait on it instead of polling). */
  const arrivals: (() => void)[] = [];

  const browser = (): Browser => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const authSecret = randomBytes(16);
    return {
      ecdh,
      authSecret,
      subscription: {
        endpoint: `${origin}/push/${randomUUID()}`,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url') },
      },
    };
  };
  const service = (over: Partial<PushServiceOptions> = {}) =>
    new PushService({
      model: t.app.models.Sub,
      dataDir: null,
      vapid: null,
      subject: 'mailto:ops@localhost.localdomain',
      agent: new https.Agent({ ca: cert }),
      // The receiver is on loopback; the address rule has its own tests below.
      allowPrivateEndpoints: true,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...over,
    });
  const decrypt = (b: Browser, r: Received): unknown =>
    JSON.parse(ece.decrypt(r.body, { version: 'aes128gcm', privateKey: b.ecdh, authSecret: b.authSecret }).toString('utf8'));
  const pathOf = (b: Browser) => new URL(b.subscription.endpoint).pathname;
  const payload: PushPayload = {
    title: 'Approval needed',
    body: 'Station s-1: shift 40 kW to battery',
    decisionId: 'd-123',
    url: '/decisions/d-123',
    severity: 'warning',
  };

  before(async function () {
    const tls = selfSignedCert('push-test-');
    dir = tls.dir;
    cert = tls.cert;
    receiver = https.createServer({ key: tls.key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        for (const w of arrivals.splice(0)) w();
        const next = answers.get(req.url ?? '')?.shift() ?? { status: 201 };
        res.writeHead(next.status, next.headers ?? {}).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    t = await startTestApp({ pushAgent: new https.Agent({ ca: cert }), env: { PUSH_ALLOW_PRIVATE_ENDPOINTS: '1' } });
  });
  beforeEach(() => {
    received.length = 0;
    answers.clear();
    sleeps = [];
  });
  after(async () => {
    expect(errors).to.deep.equal([]);
    await new Promise((resolve) => receiver.close(resolve));
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a decision waiting for approval reaches the subscribed operator as web push, from the pipeline to the browser', async () => {
    const push = t.app.services.push;
    const { user } = await t.app.services.users.create({
      email: `push-op-${randomUUID().slice(0, 6)}@example.com`,
      password: 'a-long-enough-password',
      role: 'operator',
      stationScope: 'all',
    });
    const b = browser();
    await push.subscribe(user.id, b.subscription);
    const station = `st-push-${randomUUID().slice(0, 6)}`;
    const { body: reg } = await request(t.url)
      .post('/api/stations')
      .send({ id: station, name: 'Push test', location: { lat: 52.5, lng: 13.4 }, capacity: { bays: 2, chargers: 1, batterySlots: 10 } })
      .expect(201);
    const arrived = new Promise<void>((resolve) => arrivals.push(resolve));
    // Curtailing more than half the draw waits for an operator.
    const o = overload(station);
    await request(t.directUrl)
      .post('/api/data/signals')
      .set('X-Device-Key', reg.deviceKey as string)
      .send({ signals: o.signals })
      .expect(202);
    await arrived;
    const mine = received.filter((r) => r.path === pathOf(b));
    expect(mine).to.have.length(1);
    const got = decrypt(b, mine[0]) as Record<string, string>;
    expect(got).to.include({ decisionId: o.decisionId, url: `/decisions/${o.decisionId}` });
    expect(got.title).to.match(/approval/i);
    expect(Object.keys(got).sort()).to.deep.equal(['body', 'decisionId', 'severity', 'title', 'url']);
  });

  it('delivers an encrypted payload the browser decrypts to exactly what was sent, and nothing more', async () => {
    const push = service();
    const b = browser();
    await push.subscribe('u-round', b.subscription);
    // Anything beyond the five fields (a token slipped in by a caller) must not travel.
    const outcomes = await push.send('u-round', { ...payload, accessToken: 'secret' } as PushPayload);
    expect(outcomes).to.deep.equal([{ endpoint: b.subscription.endpoint, status: 'sent', statusCode: 201, attempts: 1 }]);
    expect(received).to.have.length(1);
    const r = received[0];
    expect(r.path).to.equal(pathOf(b));
    expect(r.headers['content-encoding']).to.equal('aes128gcm');
    expect(r.headers.authorization).to.match(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${push.publicKey()}$`));
    expect(decrypt(b, r)).to.deep.equal(payload);
    expect(r.body.includes(Buffer.from('Approval needed'))).to.equal(false);
    expect(sleeps).to.deep.equal([]);
  });

  it('sends to every subscription of the user and only theirs', async () => {
    const push = service();
    const [b1, b2, other] = [browser(), browser(), browser()];
    await push.subscribe('u-multi', b1.subscription);
    await push.subscribe('u-multi', b2.subscription);
    await push.subscribe('u-someone-else', other.subscription);
    const outcomes = await push.send('u-multi', payload);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['sent', 'sent']);
    expect(received.map((r) => r.path).sort()).to.deep.equal([pathOf(b1), pathOf(b2)].sort());
    for (const b of [b1, b2])
      expect(
        decrypt(
          b,
          received.find((r) => r.path === pathOf(b))!,
        ),
      ).to.deep.equal(payload);
  });

  it('deletes a subscription the push service answers 410 (or 404) for', async () => {
    const push = service();
    const [gone, missing, alive] = [browser(), browser(), browser()];
    for (const b of [gone, missing, alive]) await push.subscribe('u-gone', b.subscription);
    answers.set(pathOf(gone), [{ status: 410 }]);
    answers.set(pathOf(missing), [{ status: 404 }]);
    const outcomes = await push.send('u-gone', payload);
    expect(outcomes.find((o) => o.endpoint === gone.subscription.endpoint)).to.include({ status: 'gone', statusCode: 410, attempts: 1 });
    expect(outcomes.find((o) => o.endpoint === missing.subscription.endpoint)).to.include({ status: 'gone', statusCode: 404 });
    const left = await t.app.models.Sub.find({ userId: 'u-gone' }).lean();
    expect(left.map((s) => s.endpoint)).to.deep.equal([alive.subscription.endpoint]);
    expect(sleeps).to.deep.equal([]);
  });

  it('retries a 429 after the Retry-After it asks for, then succeeds', async () => {
    const push = service();
    const b = browser();
    await push.subscribe('u-429', b.subscription);
    answers.set(pathOf(b), [{ status: 429, headers: { 'Retry-After': '2' } }]);
    const outcomes = await push.send('u-429', payload);
    expect(outcomes).to.deep.equal([{ endpoint: b.subscription.endpoint, status: 'sent', statusCode: 201, attempts: 2 }]);
    expect(sleeps).to.deep.equal([2000]);
    expect(received).to.have.length(2);
    expect(decrypt(b, received[1])).to.deep.equal(payload);
  });

  it('backs off exponentially on 5xx and gives up after three tries, keeping the subscription', async () => {
    const push = service();
    const b = browser();
    await push.subscribe('u-503', b.subscription);
    answers.set(pathOf(b), [{ status: 503 }, { status: 502 }, { status: 500 }, { status: 500 }]);
    const [o] = await push.send('u-503', payload);
    expect(o).to.include({ status: 'failed', statusCode: 500, attempts: 3 });
    expect(sleeps).to.deep.equal([1000, 2000]);
    expect(received).to.have.length(3);
    expect(await t.app.models.Sub.countDocuments({ endpoint: b.subscription.endpoint })).to.equal(1);
  });

  it('does not retry other refusals, nor wait for a Retry-After beyond its limit', async () => {
    const push = service({ maxDelayMs: 30_000 });
    const [bad, slow] = [browser(), browser()];
    await push.subscribe('u-400', bad.subscription);
    await push.subscribe('u-slow', slow.subscription);
    answers.set(pathOf(bad), [{ status: 400 }]);
    answers.set(pathOf(slow), [{ status: 429, headers: { 'Retry-After': '3600' } }]);
    expect((await push.send('u-400', payload))[0]).to.include({ status: 'failed', statusCode: 400, attempts: 1 });
    expect((await push.send('u-slow', payload))[0]).to.include({ status: 'failed', statusCode: 429, attempts: 1 });
    expect(sleeps).to.deep.equal([]);
  });

  it('reports itself degraded on /api/health when most recent deliveries fail, and up again when they get through', async () => {
    const push = service();
    expect((await push.health()).state).to.equal('up');
    const b = browser();
    await push.subscribe('u-health', b.subscription);
    answers.set(pathOf(b), [{ status: 400 }, { status: 400 }, { status: 400 }]);
    for (let i = 0; i < 3; i++) await push.send('u-health', payload);
    const bad = await push.health();
    expect(bad.state).to.equal('degraded');
    expect(bad.detail).to.include('0 of the last 3 deliveries got through').and.include('400');
    for (let i = 0; i < 4; i++) await push.send('u-health', payload);
    expect(await push.health()).to.deep.include({ state: 'up' });
    // The app's own push part is this check, not a constant.
    const { body } = await request(t.url).get('/api/health').expect(200);
    expect(body.parts.push.detail).to.match(/\d+ subscriptions; \d+ of the last \d+ deliveries got through/);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(retryAfterMs('7', now)).to.equal(7000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).to.equal(5000);
    expect(retryAfterMs(undefined, now)).to.equal(null);
    expect(retryAfterMs('soon', now)).to.equal(null);
  });

  it('refuses bad subscriptions naming the field, and stores nothing', async () => {
    const push = service();
    const good = browser().subscription;
    const notOnCurve = Buffer.alloc(65, 1);
    notOnCurve[0] = 4;
    const cases: [unknown, string][] = [
      [{ ...good, endpoint: good.endpoint.replace('https:', 'http:') }, 'endpoint'],
      [{ ...good, endpoint: 'not a url' }, 'endpoint'],
      [{ keys: good.keys }, 'endpoint'],
      [{ endpoint: good.endpoint }, 'keys'],
      [{ ...good, keys: { ...good.keys, p256dh: randomBytes(64).toString('base64url') } }, 'keys.p256dh'],
      [{ ...good, keys: { ...good.keys, p256dh: notOnCurve.toString('base64url') } }, 'keys.p256dh'],
      [{ ...good, keys: { ...good.keys, p256dh: 'a+b/c' } }, 'keys.p256dh'],
      [{ ...good, keys: { ...good.keys, auth: randomBytes(15).toString('base64url') } }, 'keys.auth'],
      [{ ...good, keys: { p256dh: good.keys.p256dh } }, 'keys.auth'],
      ['a string', 'body'],
    ];
    for (const [sub, field] of cases) {
      const err = await push.subscribe('u-bad', sub).then(
        () => null,
        (e: unknown) => e as { status: number; details: { field: string }[] },
      );
      expect(err, JSON.stringify(sub)).to.not.equal(null);
      expect(err!.status).to.equal(400);
      expect(err!.details.map((d) => d.field)).to.include(field);
    }
    expect(await t.app.models.Sub.countDocuments({ userId: 'u-bad' })).to.equal(0);
  });

  it("keeps one record per endpoint: its owner's subscribing again updates it, another user's is refused", async () => {
    const push = service();
    const b = browser();
    await push.subscribe('u-up-1', b.subscription);
    const fresh = browser().subscription.keys;
    await push.subscribe('u-up-1', { ...b.subscription, keys: fresh, expirationTime: null });
    const taken = await push.subscribe('u-up-2', { ...b.subscription, keys: browser().subscription.keys }).then(
      () => null,
      (e: unknown) => e as { status: number; code: string },
    );
    expect(taken).to.include({ status: 409, code: 'ENDPOINT_TAKEN' });
    const docs = await t.app.models.Sub.find({ endpoint: b.subscription.endpoint }).lean();
    expect(docs).to.have.length(1);
    expect(docs[0]).to.deep.include({ userId: 'u-up-1', keys: fresh });
    expect(docs[0].createdAt).to.be.instanceOf(Date);
  });

  it('holds at most 10 subscriptions per user; renewing one of them is not a new one', async () => {
    const push = service();
    const mine = Array.from({ length: 10 }, () => browser());
    for (const b of mine) await push.subscribe('u-cap', b.subscription);
    const over = await push.subscribe('u-cap', browser().subscription).then(
      () => null,
      (e: unknown) => e as { status: number; code: string },
    );
    expect(over).to.include({ status: 409, code: 'TOO_MANY_SUBSCRIPTIONS' });
    await push.subscribe('u-cap', { ...mine[3]!.subscription, keys: browser().subscription.keys });
    expect(await t.app.models.Sub.countDocuments({ userId: 'u-cap' })).to.equal(10);
  });

  it('refuses endpoints that are not on public addresses, when stored and when sent to', async () => {
    const push = service({ allowPrivateEndpoints: false });
    const keys = browser().subscription.keys;
    for (const endpoint of [
      `${origin}/push/x`,
      'https://localhost/push/x',
      'https://10.1.2.3/push/x',
      'https://192.168.0.10/push/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/push/x',
      'https://[fe80::1]/push/x',
      'https://[fd00::1]/push/x',
      'https://[::ffff:127.0.0.1]/push/x',
      'https://0.0.0.0/push/x',
    ]) {
      const err = await push.subscribe('u-ssrf', { endpoint, keys }).then(
        () => null,
        (e: unknown) => e as { status: number; code: string; details: { field: string }[] },
      );
      expect(err, endpoint).to.include({ status: 400, code: 'ENDPOINT_NOT_PUBLIC' });
      expect(err!.details[0]!.field).to.equal('endpoint');
    }
    expect(await t.app.models.Sub.countDocuments({ userId: 'u-ssrf' })).to.equal(0);
    // A public address is accepted (nothing is sent to it here).
    await push.subscribe('u-ssrf', { endpoint: 'https://8.8.8.8/push/x', keys });
    // Stored before the rule, or a name that resolves elsewhere now: the connection is refused, nothing reaches the receiver.
    const b = browser();
    await t.app.models.Sub.create({
      userId: 'u-ssrf-late',
      endpoint: b.subscription.endpoint,
      keys: b.subscription.keys,
      createdAt: new Date(),
    });
    const [literal] = await push.send('u-ssrf-late', payload);
    expect(literal).to.include({ status: 'failed', attempts: 0 });
    const named = browser();
    const byName = { ...named.subscription, endpoint: named.subscription.endpoint.replace('127.0.0.1', 'localhost') };
    await t.app.models.Sub.create({ userId: 'u-ssrf-name', endpoint: byName.endpoint, keys: byName.keys, createdAt: new Date() });
    const [resolved] = await service({ allowPrivateEndpoints: false, maxTries: 1 }).send('u-ssrf-name', payload);
    expect(resolved!.status).to.equal('failed');
    expect((resolved as { error: string }).error).to.contain('not a public address');
    expect(received).to.have.length(0);
  });

  it('generates VAPID keys into the data folder once (mode 0600), or takes them from the environment', () => {
    const dataDir = path.join(dir, 'data');
    const first = service({ dataDir });
    const file = path.join(dataDir, 'vapid.json');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(service({ dataDir }).publicKey()).to.equal(first.publicKey());
    expect(Buffer.from(first.publicKey(), 'base64url')).to.have.length(65);
    expect(service().publicKey()).to.not.equal(service().publicKey());
    const env = JSON.parse(readFileSync(file, 'utf8')) as { publicKey: string; privateKey: string };
    expect(service({ dataDir: null, vapid: env }).publicKey()).to.equal(first.publicKey());
    expect(() => service({ vapid: { publicKey: 'short', privateKey: env.privateKey } })).to.throw(/VAPID/);
    expect(() => service({ subject: 'ops@example.com' })).to.throw(/subject/);
  });

  describe('routes', () => {
    let app: express.Express;
    let push: PushService;
    let operator: { id: string; token: string };
    let auditor: { id: string; token: string };
    const user = async (role: 'operator' | 'auditor') => {
      const { user: u } = await t.app.services.users.create({
        email: `${role}-${randomUUID().slice(0, 8)}@test.example`,
        password: randomUUID(),
        role,
        stationScope: 'all',
      });
      return { id: u.id, token: await t.app.services.tokens.access(u.id, role) };
    };

    before(async () => {
      push = service();
      operator = await user('operator');
      auditor = await user('auditor');
      app = express();
      app.use(
        '/api',
        requireJson(),
        express.json({ limit: '1mb', strict: false }),
        authenticate({ tokens: t.app.services.tokens, users: t.app.services.users }),
        pushRouter({ push }),
      );
      app.use(notFound());
      app.use(errorHandler((e) => errors.push(e)));
    });

    it('serves the public key to any signed-in user, and to nobody else', async () => {
      await request(app).get('/api/push/public-key').expect(401);
      const res = await request(app).get('/api/push/public-key').set('Authorization', `Bearer ${auditor.token}`).expect(200);
      expect(res.body).to.deep.equal({ publicKey: push.publicKey() });
    });

    it('subscribes (201), refuses a bad body naming the field (400), unsubscribes only the caller (204/404)', async () => {
      const b = browser();
      await request(app).post('/api/push/subscriptions').send(b.subscription).expect(401);
      const bad = await request(app)
        .post('/api/push/subscriptions')
        .set('Authorization', `Bearer ${operator.token}`)
        .send({ ...b.subscription, keys: { ...b.subscription.keys, auth: 'xx' } })
        .expect(400);
      expect(bad.body.error.code).to.equal('VALIDATION_FAILED');
      expect(bad.body.error.details.map((d: { field: string }) => d.field)).to.deep.equal(['keys.auth']);
      expect(await t.app.models.Sub.countDocuments({ endpoint: b.subscription.endpoint })).to.equal(0);

      const ok = await request(app)
        .post('/api/push/subscriptions')
        .set('Authorization', `Bearer ${operator.token}`)
        .send(b.subscription)
        .expect(201);
      expect(ok.body).to.deep.equal({ endpoint: b.subscription.endpoint });
      expect(await push.count(operator.id)).to.equal(1);

      // Another user cannot remove it, and learns nothing about whether it exists.
      await request(app)
        .delete('/api/push/subscriptions')
        .set('Authorization', `Bearer ${auditor.token}`)
        .send({ endpoint: b.subscription.endpoint })
        .expect(404);
      expect(await push.count(operator.id)).to.equal(1);
      const noField = await request(app)
        .delete('/api/push/subscriptions')
        .set('Authorization', `Bearer ${operator.token}`)
        .send({})
        .expect(400);
      expect(noField.body.error.details[0].field).to.equal('endpoint');
      await request(app)
        .delete('/api/push/subscriptions')
        .set('Authorization', `Bearer ${operator.token}`)
        .send({ endpoint: b.subscription.endpoint })
        .expect(204);
      expect(await push.count(operator.id)).to.equal(0);
    });
  });
});
