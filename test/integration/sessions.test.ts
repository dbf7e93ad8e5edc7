// Access that ends while a socket is open, and what a password change ends: revoking a device key,
// disabling a user, changing a password and an access token expiring each close the sockets they
// concern at once, with `auth:revoked` { code } first; a password change ends the user's other
// sessions; a generated password must be changed before anything else; tokens carry typ at+jwt.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { SignJWT } from 'jose';
import { io as ioClient, type Socket } from 'socket.io-client';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { criticalFault } from '../helpers/signals.js';
import { AUDIENCE, ISSUER } from '../../services/access/tokens.js';

const SECRET_TEXT = 'a-test-secret-of-at-least-32-characters';
const SECRET = new TextEncoder().encode(SECRET_TEXT);
const PASSWORD = 'a-long-enough-password';

type Revoked = { code: string; message: string };

describe('sessions that end while sockets are open', function () {
  this.timeout(30_000);
  let t: TestApp;
  const open: Socket[] = [];

  const api = () => request(t.directUrl);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  const connect = (ns: string, auth: Record<string, string>): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = ioClient(`${t.directUrl}${ns}`, { transports: ['websocket'], auth, reconnection: false, forceNew: true });
      open.push(socket);
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  const refusedAt = (ns: string, auth: Record<string, string>): Promise<string | undefined> =>
    connect(ns, auth).then(
      () => 'connected',
      (err: Error & { data?: { code: string } }) => err.data?.code,
    );
  /** The reason the server gives, and the disconnect that follows it. */
  const ended = (socket: Socket): Promise<{ revoked: Revoked; reason: string }> =>
    new Promise((resolve) => {
      let revoked: Revoked | null = null;
      socket.once('auth:revoked', (r: Revoked) => (revoked = r));
      socket.once('disconnect', (reason) => resolve({ revoked: revoked!, reason }));
    });

  const makeUser = async (role: 'operator' | 'auditor' = 'operator') => {
    const email = `${role}-${randomUUID().slice(0, 8)}@example.com`;
    await t.app.services.users.create({ email, password: PASSWORD, role, stationScope: 'all' });
    const session = (await api().post('/api/auth/login').send({ email, password: PASSWORD }).expect(200)).body;
    return {
      email,
      id: session.user.id as string,
      accessToken: session.accessToken as string,
      refreshToken: session.refreshToken as string,
    };
  };

  before(async () => {
    t = await startTestApp({ env: { CHAIN_RPC_URL: 'off', JWT_SECRET: SECRET_TEXT } });
    await request(t.url).post('/api/stations').send(aRegistration('ss-1')).expect(201);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.disconnect();
  });
  after(() => t.close());

  it('revoking a device key closes the station sockets on that key at once; the new key connects', async () => {
    const first = (await request(t.url).post('/api/stations/ss-1/device-keys').send({}).expect(201)).body;
    const socket = await connect('/ingest', { deviceKey: first.deviceKey });
    expect((await socket.timeout(5000).emitWithAck('signal', criticalFault('ss-1', 'C1'))).ok).to.equal(true);
    const end = ended(socket);
    // Rotating issues a new key and revokes the old one.
    const second = (await request(t.url).post('/api/stations/ss-1/device-keys').send({}).expect(201)).body;
    const { revoked, reason } = await end;
    expect(revoked).to.deep.equal({ code: 'DEVICE_KEY_REVOKED', message: `device key ${first.keyId} was revoked` });
    expect(reason).to.equal('io server disconnect');
    expect(await refusedAt('/ingest', { deviceKey: first.deviceKey })).to.equal('INVALID_DEVICE_KEY');

    const next = await connect('/ingest', { deviceKey: second.deviceKey });
    const gone = ended(next);
    await request(t.url).delete(`/api/stations/ss-1/device-keys/${second.keyId}`).expect(204);
    expect((await gone).revoked.code).to.equal('DEVICE_KEY_REVOKED');
  });

  it('disabling a user closes their dashboard, chat and ingest sockets at once', async () => {
    const op = await makeUser();
    const sockets = await Promise.all(['/dashboard', '/chat', '/ingest'].map((ns) => connect(ns, { token: op.accessToken })));
    const ends = sockets.map(ended);
    await request(t.url).patch(`/api/auth/users/${op.id}`).send({ disabled: true }).expect(200);
    for (const e of await Promise.all(ends)) expect(e.revoked.code).to.equal('ACCOUNT_DISABLED');
    expect(await refusedAt('/dashboard', { token: op.accessToken })).to.equal('INVALID_TOKEN');
    await api().post('/api/auth/refresh').send({ refreshToken: op.refreshToken }).expect(401);
  });

  it("a password change ends the user's other sessions and sockets; the caller goes on with the session it gets back", async () => {
    const op = await makeUser();
    const other = (await api().post('/api/auth/login').send({ email: op.email, password: PASSWORD }).expect(200)).body;
    const dashboard = await connect('/dashboard', { token: other.accessToken });
    const end = ended(dashboard);
    const changed = await api()
      .post('/api/auth/password')
      .set(bearer(op.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'another-long-password' })
      .expect(200);
    expect(changed.body).to.have.keys('accessToken', 'refreshToken', 'expiresIn', 'user');
    expect((await end).revoked.code).to.equal('SESSION_ENDED');
    // Every access token issued before the change is refused, every refresh token revoked.
    for (const token of [op.accessToken, other.accessToken]) {
      expect((await api().get('/api/stations').set(bearer(token)).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
    }
    for (const refreshToken of [op.refreshToken, other.refreshToken])
      await api().post('/api/auth/refresh').send({ refreshToken }).expect(401);
    await api().get('/api/stations').set(bearer(changed.body.accessToken)).expect(200);
    await api().post('/api/auth/refresh').send({ refreshToken: changed.body.refreshToken }).expect(200);
    expect(await refusedAt('/dashboard', { token: changed.body.accessToken })).to.equal('connected');
  });

  it('the password route has the sign-in attempt limit: a stolen access token is no password oracle', async () => {
    const op = await makeUser();
    const attempt = (currentPassword: string) =>
      api().post('/api/auth/password').set(bearer(op.accessToken)).send({ currentPassword, newPassword: 'another-long-password' });
    for (let i = 0; i < 10; i++) await attempt(`wrong-password-${i}`).expect(401);
    const limited = await attempt(PASSWORD).expect(429);
    expect(limited.headers['retry-after']).to.match(/^\d+$/);
  });

  it('an access token that expires closes its socket then; auth:renew with a fresh token keeps it open', async () => {
    const op = await makeUser();
    const forge = (expInS: number) => {
      const iat = Math.floor(Date.now() / 1000);
      return new SignJWT({ role: 'operator', sv: 0 })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(op.id)
        .setIssuedAt(iat)
        .setExpirationTime(iat + expInS)
        .sign(SECRET);
    };
    const renewed = await connect('/dashboard', { token: await forge(2) });
    const kept = await renewed.timeout(5000).emitWithAck('auth:renew', { token: op.accessToken });
    expect(kept.ok).to.equal(true);
    const expiring = await connect('/dashboard', { token: await forge(2) });
    const { revoked } = await ended(expiring);
    expect(revoked.code).to.equal('TOKEN_EXPIRED');
    // The renewed socket outlived the token it opened with.
    expect(renewed.connected).to.equal(true);
    expect((await renewed.timeout(5000).emitWithAck('subscribe', { stationIds: ['ss-1'] })).ok).to.equal(true);
    // A token of another user does not renew this socket.
    const someone = await makeUser();
    const refused = await renewed.timeout(5000).emitWithAck('auth:renew', { token: someone.accessToken });
    expect(refused.error.code).to.equal('INVALID_TOKEN');
  });

  it('caps sockets per user across namespaces, events per socket and second, and stations followed by id', async () => {
    const op = await makeUser();
    const held: Socket[] = [];
    for (let i = 0; i < 20; i++) held.push(await connect(i % 2 ? '/chat' : '/dashboard', { token: op.accessToken }));
    expect(await refusedAt('/dashboard', { token: op.accessToken })).to.equal('TOO_MANY_CONNECTIONS');
    // Closing one frees a place, once the server has seen it go.
    const server = t.app.io.of('/dashboard').sockets.get(held[0]!.id!)!;
    const gone = new Promise((resolve) => server.once('disconnect', resolve));
    held[0]!.disconnect();
    await gone;
    const dash = await connect('/dashboard', { token: op.accessToken });
    // A burst of 25 events in its first second: 20 are taken, 5 refused.
    const answers = await Promise.all(
      Array.from({ length: 25 }, () => dash.timeout(5000).emitWithAck('subscribe', { stationIds: ['ss-1'] })),
    );
    expect(answers.filter((a) => a.ok).length).to.equal(20);
    expect(answers.filter((a) => a.error?.code === 'RATE_LIMITED').length).to.equal(5);
    // More stations by id than a dashboard may follow: refused, naming the field.
    const ids = Array.from({ length: 1001 }, (_, i) => `s-${i}`);
    const tooMany = await held[2]!.timeout(5000).emitWithAck('subscribe', { stationIds: ids });
    expect(tooMany.error).to.include({ code: 'VALIDATION_FAILED' });
    expect(tooMany.error.details[0].field).to.equal('stationIds');
  });

  it('access tokens carry typ at+jwt, and a token of any other type is refused (RFC 8725)', async () => {
    const op = await makeUser();
    const [header] = op.accessToken.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).to.include({ alg: 'HS256', typ: 'at+jwt' });
    const iat = Math.floor(Date.now() / 1000);
    const plain = await new SignJWT({ role: 'operator', sv: 0 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(op.id)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 600)
      .sign(SECRET);
    expect((await api().get('/api/auth/me').set(bearer(plain)).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
    expect(await refusedAt('/dashboard', { token: plain })).to.equal('INVALID_TOKEN');
  });

  it('a generated password must be changed before anything else', async () => {
    const created = await request(t.url)
      .post('/api/auth/users')
      .send({ email: `new-${randomUUID().slice(0, 8)}@example.com`, role: 'operator' })
      .expect(201);
    const s = (await api().post('/api/auth/login').send({ email: created.body.user.email, password: created.body.password }).expect(200))
      .body;
    expect(s.user.mustChangePassword).to.equal(true);
    const refused = await api().get('/api/stations').set(bearer(s.accessToken)).expect(403);
    expect(refused.body.error.code).to.equal('PASSWORD_CHANGE_REQUIRED');
    await api().post('/api/data/signals').set(bearer(s.accessToken)).send(criticalFault('ss-1', 'C9')).expect(403);
    expect(await refusedAt('/dashboard', { token: s.accessToken })).to.equal('PASSWORD_CHANGE_REQUIRED');
    await api().get('/api/auth/me').set(bearer(s.accessToken)).expect(200);
    const changed = await api()
      .post('/api/auth/password')
      .set(bearer(s.accessToken))
      .send({ currentPassword: created.body.password, newPassword: 'my-own-long-password' })
      .expect(200);
    expect(changed.body.user.mustChangePassword).to.equal(false);
    await api().get('/api/stations').set(bearer(changed.body.accessToken)).expect(200);
  });
});
