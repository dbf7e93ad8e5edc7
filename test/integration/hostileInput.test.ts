// Bad input at the HTTP edge: oversized and non-JSON bodies, deep nesting, prototype-pollution keys
// and unicode tricks in emails get a clear 4xx naming what is wrong, store nothing, leak no stack.
// Requests go to the app directly (t.directUrl) with the credentials each case sets.
import { expect } from 'chai';
import request from 'supertest';
import { aRegistration, type TestApp } from '../helpers/app.js';
import { criticalFault } from '../helpers/signals.js';
import { startHostileTarget, type HostileTarget } from '../helpers/hostile.js';

const STACK = /\bat \S+ \(?[^\s()]+:\d+:\d+\)?|\.(ts|js):\d+/;

describe('hostile input', function () {
  this.timeout(30_000);
  let t: TestApp;
  let operator = '';
  let deviceKey = '';
  let decision = '';
  let refreshToken = '';
  const api = () => request(t.directUrl);

  let counts: HostileTarget['counts'];

  /** Every write endpoint, with the caller it needs. */
  const writes = (): { name: string; call: () => request.Test }[] => {
    const bearer = (r: request.Test, tok: string) => r.set('Authorization', `Bearer ${tok}`);
    return [
      { name: 'POST /api/data/signals (operator)', call: () => bearer(api().post('/api/data/signals'), operator) },
      { name: 'POST /api/data/signals (device key)', call: () => api().post('/api/data/signals').set('X-Device-Key', deviceKey) },
      { name: 'POST /api/stations', call: () => bearer(api().post('/api/stations'), t.adminToken) },
      { name: 'POST /api/decisions/:id/approve', call: () => bearer(api().post(`/api/decisions/${decision}/approve`), operator) },
      { name: 'POST /api/decisions/:id/reject', call: () => bearer(api().post(`/api/decisions/${decision}/reject`), operator) },
      { name: 'POST /api/chat', call: () => bearer(api().post('/api/chat'), operator) },
      { name: 'POST /api/auth/login', call: () => api().post('/api/auth/login') },
      { name: 'POST /api/auth/refresh', call: () => api().post('/api/auth/refresh') },
      { name: 'POST /api/auth/logout', call: () => api().post('/api/auth/logout') },
      { name: 'POST /api/auth/users', call: () => bearer(api().post('/api/auth/users'), t.adminToken) },
      { name: 'POST /api/auth/password', call: () => bearer(api().post('/api/auth/password'), operator) },
      { name: 'POST /api/auth/otp/request', call: () => api().post('/api/auth/otp/request') },
      { name: 'POST /api/auth/otp/verify', call: () => api().post('/api/auth/otp/verify') },
      { name: 'POST /api/stations/:id/device-keys', call: () => bearer(api().post('/api/stations/st-h/device-keys'), t.adminToken) },
    ];
  };

  const expectClean = (r: request.Response, what: string) => {
    expect(r.status, `${what}: ${r.text.slice(0, 300)}`).to.be.within(400, 499);
    expect(r.text, `${what} leaks a stack`).not.to.match(STACK);
    expect(r.body?.error?.code, what).to.be.a('string');
  };

  before(async () => {
    ({ t, operator, deviceKey, decision, refreshToken, counts } = await startHostileTarget('st-h', 'op@example.com'));
  });
  after(() => t.close());

  it('answers 413 to a body over 1 MB, on every write endpoint', async () => {
    const big = JSON.stringify({ message: 'x'.repeat(1_100_000) });
    for (const w of writes()) {
      const before = await counts();
      const r = await w.call().set('Content-Type', 'application/json').send(big);
      expectClean(r, w.name);
      expect(r.status, w.name).to.equal(413);
      expect(r.body.error.code).to.equal('PAYLOAD_TOO_LARGE');
      expect(await counts(), w.name).to.deep.equal(before);
    }
  });

  it('answers 415 to text/plain and form bodies, naming the content type', async () => {
    for (const w of writes()) {
      for (const [type, body] of [
        ['text/plain', '{"email":"a@b.c","password":"x"}'],
        ['application/x-www-form-urlencoded', 'email=a%40b.c&password=x'],
      ]) {
        const before = await counts();
        const r = await w.call().set('Content-Type', type).send(body);
        expectClean(r, `${w.name} ${type}`);
        expect(r.status, `${w.name} ${type}`).to.equal(415);
        expect(r.body.error.details).to.deep.equal([{ field: 'content-type' }]);
        expect(await counts()).to.deep.equal(before);
      }
    }
  });

  it('answers 400 to JSON nested 10,000 levels deep, and keeps serving', async () => {
    const depth = 10_000;
    const deepObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const deepSignal = JSON.stringify({ ...criticalFault('st-h', 'C4'), payload: 'X' }).replace('"X"', deepObject);
    for (const w of writes()) {
      for (const [kind, body] of [
        ['object', deepObject],
        ['array', deepArray],
        ['signal', deepSignal],
      ]) {
        const before = await counts();
        const r = await w.call().set('Content-Type', 'application/json').send(body);
        expectClean(r, `${w.name} deep ${kind}`);
        // A device key refuses a body that names no station of its own before anything else (403).
        expect(r.status, `${w.name} deep ${kind}: ${r.text.slice(0, 200)}`).to.be.oneOf(w.name.includes('device key') ? [400, 403] : [400]);
        expect(await counts()).to.deep.equal(before);
      }
    }
    await api().get('/api/health').expect(200);
  });

  describe('prototype-pollution keys', () => {
    const payloads: [string, string][] = [
      ['__proto__', '{"__proto__":{"polluted":true}}'],
      ['constructor.prototype', '{"constructor":{"prototype":{"polluted":true}}}'],
      ['nested __proto__', '{"signals":[{"__proto__":{"polluted":true}}],"payload":{"__proto__":{"polluted":true}}}'],
    ];
    afterEach(() => {
      expect(({} as Record<string, unknown>).polluted, 'Object.prototype was polluted').to.equal(undefined);
    });
    for (const [label, body] of payloads) {
      it(`rejects ${label} on every write endpoint, naming a field`, async () => {
        for (const w of writes()) {
          const before = await counts();
          const r = await w.call().set('Content-Type', 'application/json').send(body);
          expectClean(r, `${w.name} ${label}`);
          const fields = (r.body.error.details ?? []).map((d: { field?: string }) => d.field).filter(Boolean);
          expect(fields, `${w.name} ${label}: ${r.text.slice(0, 300)}`).to.have.length.above(0);
          expect(await counts(), `${w.name} ${label}`).to.deep.equal(before);
          expect(({} as Record<string, unknown>).polluted, `${w.name} ${label} polluted Object.prototype`).to.equal(undefined);
        }
      });
    }

    it('rejects __proto__ beside an otherwise valid body (signal, station, user)', async () => {
      const valid: [string, () => request.Test, object][] = [
        ['signal', () => api().post('/api/data/signals').set('X-Device-Key', deviceKey), criticalFault('st-h', 'C3')],
        ['station', () => api().post('/api/stations').set('Authorization', `Bearer ${t.adminToken}`), aRegistration('st-proto')],
        [
          'user',
          () => api().post('/api/auth/users').set('Authorization', `Bearer ${t.adminToken}`),
          { email: 'proto@example.com', role: 'admin' },
        ],
      ];
      for (const [what, call, body] of valid) {
        const json = JSON.stringify(body).replace(/^\{/, '{"__proto__":{"polluted":true,"role":"admin"},');
        const before = await counts();
        const r = await call().set('Content-Type', 'application/json').send(json);
        expectClean(r, what);
        expect(r.status, `${what}: ${r.text}`).to.equal(400);
        expect(r.text).to.include('__proto__');
        expect(await counts(), what).to.deep.equal(before);
      }
    });
  });

  describe('unicode tricks in emails', () => {
    // The server's normal form for an email (services/auth/users.ts).
    const fold = (email: string) => email.normalize('NFKC').trim().toLowerCase();
    const tricks: [string, string][] = [
      ['zero-width space', 'op\u200b@example.com'],
      ['zero-width joiner', 'o\u200dp@example.com'],
      ['Cyrillic homoglyph', '\u043ep@example.com'],
      ['RTL override', '\u202eop@example.com'],
      ['fullwidth @ (NFKC folds it)', 'evil\uff20example.com'],
      ['combining mark', 'op\u0301@example.com'],
      ['BOM', '\ufeffop@example.com'],
    ];

    it('POST /api/auth/users refuses them with 400 naming email, creating nothing', async () => {
      for (const [label, email] of tricks) {
        const before = await counts();
        const r = await api()
          .post('/api/auth/users')
          .set('Authorization', `Bearer ${t.adminToken}`)
          .send({ email, role: 'operator', password: 'a-long-enough-password' });
        // A fullwidth @ folds under NFKC to a plain ASCII address: that address, and only it, may be created.
        if (r.status === 201) {
          expect(r.body.user.email, label)
            .to.equal(fold(email))
            .and.match(/^[\x21-\x7e]+$/);
          continue;
        }
        expectClean(r, label);
        expect(r.status, `${label}: ${r.text}`).to.be.oneOf([400, 409]);
        expect(
          r.body.error.details.map((d: { field: string }) => d.field),
          label,
        ).to.include('email');
        expect(await counts(), label).to.deep.equal(before);
      }
    });

    it('POST /api/auth/login answers 400 naming email or 401, never signing in as the look-alike', async () => {
      for (const [label, email] of tricks) {
        const before = await counts();
        const r = await api().post('/api/auth/login').send({ email, password: 'a-long-enough-password' });
        // Signing in is fine only as the account the address folds to (fullwidth @ under NFKC, a BOM trimmed).
        if (r.status === 200) {
          expect(r.body.user.email, label)
            .to.equal(fold(email))
            .and.match(/^[\x21-\x7e]+$/);
          continue;
        }
        expectClean(r, label);
        expect(r.status, `${label}: ${r.text}`).to.be.oneOf([400, 401]);
        expect(
          r.body.error.details.map((d: { field: string }) => d.field),
          label,
        ).to.include('email');
        expect(r.body).to.not.have.property('accessToken');
        expect(await counts(), label).to.deep.equal(before);
      }
    });
  });

  it('leaks no stack in errors of any kind', async () => {
    const cases: request.Test[] = [
      api().post('/api/auth/login').set('Content-Type', 'application/json').send('{"email":'),
      api()
        .post('/api/auth/refresh')
        .send({ refreshToken: 'x'.repeat(150) }),
      api()
        .post('/api/auth/refresh')
        .send({ refreshToken: refreshToken.slice(0, -2) }),
      api().get('/api/no-such-route'),
      api().get('/api/decisions/%E0%A4%A'),
      api().post('/api/chat').set('Authorization', 'Bearer a.b.c').send({ message: 'hi' }),
      api().post('/api/data/signals').set('X-Device-Key', 'dk_zz').send({}),
      api().post('/api/data/signals').set('Content-Type', 'application/json; charset=utf-7').send('{}'),
      api().post('/api/data/signals').set('Content-Encoding', 'br, gzip, snappy').set('Content-Type', 'application/json').send('{}'),
    ];
    for (const c of cases) {
      const r = await c;
      expect(r.status, r.text).to.be.within(400, 499);
      expect(r.text).not.to.match(STACK);
    }
  });

  it('sends security headers and no x-powered-by', async () => {
    for (const r of [await api().get('/api/health'), await api().post('/api/auth/login').send({})]) {
      expect(r.headers['x-content-type-options']).to.equal('nosniff');
      expect(r.headers).to.not.have.property('x-powered-by');
      expect(r.headers['content-type']).to.match(/^application\/json/);
    }
  });
});
