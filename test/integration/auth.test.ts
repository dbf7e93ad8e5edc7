// Sign-in and sessions: scrypt-hashed passwords, pinned-algorithm JWTs with iss/aud/exp checked,
// rotating refresh tokens whose reuse revokes the family, and admin-only user management.
import { expect } from 'chai';
import request from 'supertest';
import { SignJWT, generateKeyPair, UnsecuredJWT } from 'jose';
import { startTestApp, aRegistration, embeddedMongo, type TestApp } from '../helpers/app.js';
import { connectMongo } from '../../services/platform/database.js';
import { createModels } from '../../models/index.js';
import { UserService } from '../../services/access/users.js';
import { AUDIENCE, ISSUER } from '../../services/access/tokens.js';

// The test knows the server's key, so it can forge tokens that differ in one claim only.
const SECRET_TEXT = 'a-test-secret-of-at-least-32-characters';
const SECRET = new TextEncoder().encode(SECRET_TEXT);

describe('authentication', function () {
  this.timeout(30_000);
  let t: TestApp;
  let admin: { email: string; password: string };
  /** An admin with a password of their own: the root admin's generated one lets it only choose another. */
  const ownAdmin = { email: 'own-admin@example.com', password: 'an-admin-password-of-its-own' };

  const login = (email: string, password: string) => request(t.directUrl).post('/api/auth/login').send({ email, password });
  const me = (token: string) => request(t.directUrl).get('/api/auth/me').set('Authorization', `Bearer ${token}`);

  before(async () => {
    t = await startTestApp({ env: { CHAIN_RPC_URL: 'off', JWT_SECRET: SECRET_TEXT } });
    const root = await t.app.services.users.create({ email: 'root@example.com', password: null, role: 'admin', stationScope: 'all' });
    expect(root.password).to.be.a('string').with.length.greaterThan(12);
    admin = { email: 'root@example.com', password: root.password! };
    await t.app.services.users.create({ ...ownAdmin, role: 'admin', stationScope: 'all' });
    // Users exist (the test harness's admin, root): no first admin is made.
    expect(await t.app.services.users.ensureFirstAdmin('other@example.com', null)).to.equal(null);
    await request(t.url).post('/api/stations').send(aRegistration('st-1')).expect(201);
  });
  after(() => t.close());

  it('creates a first admin on a fresh database only, from ADMIN_EMAIL/ADMIN_PASSWORD or with a generated password', async () => {
    const conn = await connectMongo((await embeddedMongo()).uri, { dbName: `fresh_${Date.now()}`, embedded: true });
    try {
      const users = new UserService(createModels(conn));
      await users.load();
      const made = await users.ensureFirstAdmin(null, null);
      expect(made).to.include({ email: 'admin@localhost.localdomain' });
      expect(made!.password).to.be.a('string').with.length.greaterThan(12);
      expect(users.list()[0]).to.include({ role: 'admin', mustChangePassword: true });
      expect(await users.ensureFirstAdmin('x@example.com', 'another-password')).to.equal(null);
      const again = new UserService(createModels(conn));
      await again.load();
      expect(again.count).to.equal(1);
    } finally {
      await conn.close();
    }
  });

  it('signs in with the right password only, with the same answer for a wrong password and an unknown account', async () => {
    const ok = await login(admin.email, admin.password).expect(200);
    expect(ok.body).to.have.keys('accessToken', 'refreshToken', 'expiresIn', 'user');
    expect(ok.body.user).to.include({ email: admin.email, role: 'admin', mustChangePassword: true });
    const wrong = await login(admin.email, 'not-the-password').expect(401);
    const unknown = await login('nobody@example.com', 'not-the-password').expect(401);
    expect(wrong.body).to.deep.equal(unknown.body);
    expect(wrong.body.error.code).to.equal('INVALID_CREDENTIALS');
    // The stored hash is scrypt, never the password.
    const stored = await t.app.models.User.findOne({ email: admin.email }).lean();
    expect(stored!.passwordHash)
      .to.match(/^scrypt\$32768\$8\$1\$/)
      .and.not.contain(admin.password);
    expect((await me(ok.body.accessToken).expect(200)).body.user.email).to.equal(admin.email);
    await request(t.directUrl).get('/api/auth/me').expect(401);
  });

  it('rejects forged access tokens: alg none, another algorithm, wrong audience, expired, tampered payload, another key', async () => {
    const { body } = await login(admin.email, admin.password).expect(200);
    const sub = body.user.id as string;
    const none = new UnsecuredJWT({ role: 'admin' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    const { privateKey } = await generateKeyPair('RS256');
    const rs = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const otherKey = new TextEncoder().encode('an-attacker-chosen-secret-of-32-bytes!!');
    const forged = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(otherKey);
    const [h, p, sig] = (body.accessToken as string).split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = [h, Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url'), sig].join('.');
    // Signed with the server's own key, but for another audience or issuer, or expired.
    const ours = (claims: { aud?: string; iss?: string; exp?: number }) =>
      new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .setIssuer(claims.iss ?? ISSUER)
        .setAudience(claims.aud ?? AUDIENCE)
        .setSubject(sub)
        .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
        .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 300)
        .sign(SECRET);
    const otherAud = await ours({ aud: 'another-api' });
    const otherIss = await ours({ iss: 'someone-else' });
    const expired = await ours({ exp: Math.floor(Date.now() / 1000) - 60 });
    expect((await me(await ours({})).expect(200)).body.user.id).to.equal(sub);
    for (const [name, token] of Object.entries({ none, rs, forged, tampered, otherAud, otherIss })) {
      const r = await me(token);
      expect(r.status, name).to.equal(401);
      expect(r.body.error.code, name).to.equal('INVALID_TOKEN');
    }
    const e = await me(expired).expect(401);
    expect(e.body.error.code).to.equal('TOKEN_EXPIRED');
    await request(t.directUrl).get('/api/auth/me').set('Authorization', 'Basic abc').expect(401);
  });

  it('rotates refresh tokens, and a reused one revokes the whole session', async () => {
    const first = (await login(admin.email, admin.password).expect(200)).body;
    const second = (await request(t.directUrl).post('/api/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200)).body;
    expect(second.refreshToken).to.not.equal(first.refreshToken);
    await me(second.accessToken).expect(200);
    const stolen = await request(t.directUrl).post('/api/auth/refresh').send({ refreshToken: first.refreshToken }).expect(401);
    expect(stolen.body.error.code).to.equal('REFRESH_TOKEN_REUSED');
    // The legitimate holder's newer token dies with the family.
    await request(t.directUrl).post('/api/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401);
    const stored = await t.app.models.RefreshToken.find({}).lean();
    expect(stored.map((d) => d.tokenHash)).to.not.include(first.refreshToken);
  });

  it('logs out: the refresh token and its family stop working', async () => {
    const s = (await login(admin.email, admin.password).expect(200)).body;
    await request(t.directUrl).post('/api/auth/logout').send({ refreshToken: s.refreshToken }).expect(204);
    await request(t.directUrl).post('/api/auth/refresh').send({ refreshToken: s.refreshToken }).expect(401);
    await request(t.directUrl).post('/api/auth/logout').send({}).expect(400);
  });

  it('lets only admins manage users, names bad fields, refuses unicode tricks in emails, and locks out disabled users', async () => {
    const adminToken = (await login(ownAdmin.email, ownAdmin.password).expect(200)).body.accessToken as string;
    const asAdmin = (r: request.Test) => r.set('Authorization', `Bearer ${adminToken}`);
    const created = await asAdmin(
      request(t.directUrl)
        .post('/api/auth/users')
        .send({ email: 'Op@Example.com', role: 'operator', stationScope: ['st-1'] }),
    ).expect(201);
    expect(created.body.user).to.include({ email: 'op@example.com', role: 'operator', mustChangePassword: true });
    // A generated password lets the user do one thing: choose their own.
    const first = (await login('op@example.com', created.body.password).expect(200)).body.accessToken as string;
    const pending = await request(t.directUrl).get('/api/stations').set('Authorization', `Bearer ${first}`).expect(403);
    expect(pending.body.error.code).to.equal('PASSWORD_CHANGE_REQUIRED');
    const opToken = (
      await request(t.directUrl)
        .post('/api/auth/password')
        .set('Authorization', `Bearer ${first}`)
        .send({ currentPassword: created.body.password, newPassword: 'the-operators-own-password' })
        .expect(200)
    ).body.accessToken as string;
    await request(t.directUrl).post('/api/auth/users').send({ email: 'x@example.com', role: 'operator' }).expect(401);
    const forbidden = await request(t.directUrl)
      .post('/api/auth/users')
      .set('Authorization', `Bearer ${opToken}`)
      .send({ email: 'x@example.com', role: 'operator' })
      .expect(403);
    expect(forbidden.body.error.code).to.equal('FORBIDDEN');
    await asAdmin(request(t.directUrl).post('/api/auth/users').send({ email: 'op@example.com', role: 'auditor' })).expect(409);
    for (const email of ['ad\u200bmin@example.com', 'аdmin@example.com', 'admin@exam\u202eple.com', 'not-an-email']) {
      const r = await asAdmin(request(t.directUrl).post('/api/auth/users').send({ email, role: 'auditor' })).expect(400);
      expect(r.body.error.details[0].field, email).to.equal('email');
    }
    const bad = await asAdmin(
      request(t.directUrl)
        .post('/api/auth/users')
        .send({ email: 'y@example.com', role: 'root', stationScope: ['nope'], extra: 1 }),
    ).expect(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field)).to.include.members(['role', 'extra']);
    const scoped = await asAdmin(
      request(t.directUrl)
        .post('/api/auth/users')
        .send({ email: 'z@example.com', role: 'operator', stationScope: ['st-unknown'] }),
    ).expect(400);
    expect(scoped.body.error.details[0].field).to.equal('stationScope');
    expect(await t.app.models.User.countDocuments({ email: { $in: ['y@example.com', 'z@example.com'] } })).to.equal(0);

    await asAdmin(request(t.directUrl).patch(`/api/auth/users/${created.body.user.id}`).send({ disabled: true })).expect(200);
    await me(opToken).expect(401);
    await login('op@example.com', created.body.password).expect(401);
  });

  it('signs in with a one-time code delivered in-app: single use, same answer for unknown accounts', async () => {
    const op = await t.app.services.users.create({
      email: 'otp@example.com',
      password: 'an-otp-user-password',
      role: 'operator',
      stationScope: 'all',
    });
    const known = await request(t.directUrl).post('/api/auth/otp/request').send({ email: 'otp@example.com' }).expect(202);
    const unknown = await request(t.directUrl).post('/api/auth/otp/request').send({ email: 'ghost@example.com' }).expect(202);
    expect(unknown.body).to.deep.equal(known.body);
    await t.app.services.otp.idle();
    // Stored, the notification holds no readable code; its reader sees it opened.
    const note = await t.app.models.Notification.findOne({ userId: op.user.id, kind: 'otp' }).lean();
    expect(JSON.stringify(note)).to.not.match(/\b\d{6}\b/);
    const opToken = await t.app.services.tokens.access(op.user.id, 'operator');
    const listed = await request(t.directUrl).get('/api/notifications').set('Authorization', `Bearer ${opToken}`).expect(200);
    const code = /\b(\d{6})\b/.exec(listed.body.items.find((n: { kind: string }) => n.kind === 'otp').body)![1]!;
    expect(await t.app.models.OtpCode.countDocuments({ codeHash: code })).to.equal(0);
    await request(t.directUrl).post('/api/auth/otp/verify').send({ email: 'otp@example.com', code: 'abc' }).expect(400);
    const ok = await request(t.directUrl).post('/api/auth/otp/verify').send({ email: 'otp@example.com', code }).expect(200);
    expect(ok.body.user.email).to.equal('otp@example.com');
    const again = await request(t.directUrl).post('/api/auth/otp/verify').send({ email: 'otp@example.com', code }).expect(401);
    expect(again.body.error.code).to.equal('INVALID_CODE');
  });

  it('stops guessing one-time codes after the per-account limit, with Retry-After', async () => {
    await t.app.services.users.create({
      email: 'otp-bf@example.com',
      password: 'an-otp-user-password',
      role: 'operator',
      stationScope: 'all',
    });
    await request(t.directUrl).post('/api/auth/otp/request').send({ email: 'otp-bf@example.com' }).expect(202);
    const codes: number[] = [];
    for (let i = 0; i < 12; i++)
      codes.push(
        (
          await request(t.directUrl)
            .post('/api/auth/otp/verify')
            .send({ email: 'otp-bf@example.com', code: String(100000 + i) })
        ).status,
      );
    // The request counted once; then wrong codes until the 10-per-15-minutes budget is spent.
    expect(codes.filter((c) => c === 401).length).to.equal(9);
    expect(codes.slice(9)).to.deep.equal([429, 429, 429]);
    const last = await request(t.directUrl).post('/api/auth/otp/verify').send({ email: 'otp-bf@example.com', code: '123456' }).expect(429);
    expect(Number(last.headers['retry-after'])).to.be.greaterThan(0);
  });

  it('issues a device key with each station, shown once, and lets only admins manage keys', async () => {
    const adminToken = (await login(ownAdmin.email, ownAdmin.password).expect(200)).body.accessToken as string;
    const { body } = await request(t.url).post('/api/stations').send(aRegistration('st-keyed')).expect(201);
    expect(body.deviceKey).to.match(/^dk_[0-9a-f]{12}\.[A-Za-z0-9_-]{43}$/);
    expect(await t.app.services.deviceKeys.verify(body.deviceKey)).to.deep.include({ stationId: 'st-keyed' });
    await request(t.directUrl).get('/api/stations/st-keyed/device-keys').expect(401);
    const op = await t.app.services.users.create({
      email: 'keys-op@example.com',
      password: 'an-operator-password',
      role: 'operator',
      stationScope: 'all',
    });
    const opToken = (await login(op.user.email, 'an-operator-password').expect(200)).body.accessToken as string;
    await request(t.directUrl).get('/api/stations/st-keyed/device-keys').set('Authorization', `Bearer ${opToken}`).expect(403);
    const list = await request(t.directUrl)
      .get('/api/stations/st-keyed/device-keys')
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(200);
    expect(list.body.items).to.have.length(1);
    expect(JSON.stringify(list.body)).to.not.contain(body.deviceKey.split('.')[1]);
  });

  it('changes a password with the current one', async () => {
    const s = (await login(admin.email, admin.password).expect(200)).body;
    const auth = { Authorization: `Bearer ${s.accessToken}` };
    await request(t.directUrl)
      .post('/api/auth/password')
      .set(auth)
      .send({ currentPassword: 'wrong-password!', newPassword: 'a-new-long-password' })
      .expect(401);
    await request(t.directUrl)
      .post('/api/auth/password')
      .set(auth)
      .send({ currentPassword: admin.password, newPassword: 'short' })
      .expect(400);
    await request(t.directUrl)
      .post('/api/auth/password')
      .set(auth)
      .send({ currentPassword: admin.password, newPassword: 'a-new-long-password' })
      .expect(200);
    expect((await login(admin.email, 'a-new-long-password').expect(200)).body.user.mustChangePassword).to.equal(false);
    admin.password = 'a-new-long-password';
  });
});
