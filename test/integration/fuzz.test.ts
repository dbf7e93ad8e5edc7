// Random JSON at every write endpoint and socket event: no 5xx, no INTERNAL ack, the server keeps
// answering, and a refused request stores nothing. Seeded: FUZZ_SEED=<n> replays a failing run,
// FUZZ_RUNS=<n> changes how many bodies each endpoint gets.
import { expect } from 'chai';
import fc from 'fast-check';
import request from 'supertest';
import { io as ioClient, type Socket } from 'socket.io-client';
import { aRegistration, type TestApp } from '../helpers/app.js';
import { startHostileTarget, type HostileTarget } from '../helpers/hostile.js';
import { criticalFault } from '../helpers/signals.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_302);
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

// Keys that have broken JavaScript servers before, beside random and unicode ones.
const hostileKey = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'valueOf',
      '$where',
      '$gt',
      '$ne',
      'signals',
      'stationId',
      'email',
      'password',
      'message',
      'note',
      'refreshToken',
      'rotate',
      '',
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom('\u200b', '\u202e', '\ufeff', '\u0000', 'ａ', 'е', '\ud83d\ude00') },
);

const leaf = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(null, true, 0, -1, 1e308, -0, '', 'null', '{}', '[]'),
);

/** JSON text: built by hand so keys like "__proto__" stay own keys on the wire. */
const objectText = (depth: number): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        hostileKey,
        depth > 0
          ? fc.oneof(
              leaf.map((v) => JSON.stringify(v)),
              fc.constant(null).chain(() => objectText(depth - 1)),
            )
          : leaf.map((v) => JSON.stringify(v)),
      ),
      { maxLength: 6 },
    )
    .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);

const deepText = fc
  .tuple(fc.integer({ min: 50, max: 5000 }), fc.boolean())
  .map(([n, arr]) => (arr ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`));

/** Any JSON text; `huge` allows strings up to ~900 KB (the HTTP limit is 1 MB). */
const anyJson = (huge: boolean) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 4, arbitrary: objectText(2) },
    { weight: 1, arbitrary: deepText },
    {
      weight: huge ? 1 : 0,
      arbitrary: fc
        .integer({ min: 100_000, max: 900_000 })
        .map((n) => JSON.stringify({ message: 'é'.repeat(n / 2), email: 'x'.repeat(n / 2) })),
    },
  );

/** A valid body with one field replaced or one hostile key added: gets past the first checks. */
const mutated = (base: () => Record<string, unknown>) =>
  fc.tuple(fc.nat(), fc.boolean(), hostileKey, fc.oneof(leaf, fc.jsonValue({ maxDepth: 3 }))).map(([i, replace, key, v]) => {
    const b = base();
    const keys = Object.keys(b);
    const entries: [string, unknown][] = Object.entries(b);
    if (replace && keys.length) entries[i % keys.length] = [keys[i % keys.length], v];
    else entries.push([key, v]);
    return `{${entries.map(([k, val]) => `${JSON.stringify(k)}:${JSON.stringify(val) ?? 'null'}`).join(',')}}`;
  });

const body = (base: () => Record<string, unknown>, huge = true) =>
  fc.oneof({ weight: 1, arbitrary: anyJson(huge) }, { weight: 1, arbitrary: mutated(base) });

describe('fuzz: random JSON at every write endpoint and socket event', function () {
  this.timeout(120_000);
  let t: TestApp;
  let operator = '';
  let deviceKey = '';
  let decision = '';
  let refreshToken = '';
  const api = () => request(t.directUrl);
  const sockets: Socket[] = [];

  let counts: HostileTarget['counts'];

  // Set after an accepted call: its buffered writes must land before the next call is measured.
  let dirty = true;
  /** Wait for buffered writes of earlier accepted calls, so they are not mistaken for this call's. */
  const settle = async () => {
    if (!dirty) return counts();
    dirty = false;
    let prev = await counts();
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 15));
      const now = await counts();
      if (JSON.stringify(now) === JSON.stringify(prev)) return now;
      prev = now;
    }
    return prev;
  };

  const withSeed = async (name: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      throw new Error(`${name} failed; replay with FUZZ_SEED=${SEED}\n${err instanceof Error ? err.message : String(err)}`);
    }
  };

  before(async () => {
    ({ t, operator, deviceKey, decision, refreshToken, counts } = await startHostileTarget('st-f', 'fuzz-op@example.com', {
      RATE_SIGNALS_PER_S: '100000',
    }));
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
  });

  const bearer = (r: request.Test, tok: string) => r.set('Authorization', `Bearer ${tok}`);
  const endpoints: { name: string; call: () => request.Test; base: () => Record<string, unknown> }[] = [
    {
      name: 'POST /api/data/signals (operator)',
      call: () => bearer(api().post('/api/data/signals'), operator),
      base: () => criticalFault('st-f', 'C2'),
    },
    {
      name: 'POST /api/data/signals (device key)',
      call: () => api().post('/api/data/signals').set('X-Device-Key', deviceKey),
      base: () => ({ signals: [criticalFault('st-f', 'C3')] }),
    },
    {
      name: 'POST /api/stations',
      call: () => bearer(api().post('/api/stations'), t.adminToken),
      base: () => ({ ...aRegistration(`st-z${Math.random().toString(36).slice(2, 8)}`) }),
    },
    {
      name: 'POST /api/decisions/:id/approve',
      call: () => bearer(api().post(`/api/decisions/${decision}/approve`), operator),
      base: () => ({ note: 'looks right' }),
    },
    {
      name: 'POST /api/decisions/:id/reject',
      call: () => bearer(api().post(`/api/decisions/${decision}/reject`), operator),
      base: () => ({ note: 'no' }),
    },
    {
      name: 'POST /api/chat',
      call: () => bearer(api().post('/api/chat'), operator),
      base: () => ({ message: 'which stations are at risk', stationId: 'st-f' }),
    },
    {
      name: 'POST /api/auth/login',
      call: () => api().post('/api/auth/login'),
      base: () => ({ email: 'fuzz-op@example.com', password: 'wrong-password-here' }),
    },
    {
      name: 'POST /api/auth/refresh',
      call: () => api().post('/api/auth/refresh'),
      base: () => ({ refreshToken: `${refreshToken.slice(0, -4)}AAAA` }),
    },
    { name: 'POST /api/auth/logout', call: () => api().post('/api/auth/logout'), base: () => ({ refreshToken: 'not-a-token' }) },
    {
      name: 'POST /api/auth/users',
      call: () => bearer(api().post('/api/auth/users'), t.adminToken),
      base: () => ({ email: `u${Math.random().toString(36).slice(2, 8)}@example.com`, role: 'auditor', stationScope: ['st-f'] }),
    },
    {
      name: 'POST /api/auth/password',
      call: () => bearer(api().post('/api/auth/password'), operator),
      base: () => ({ currentPassword: 'wrong-password-here', newPassword: 'another-long-password' }),
    },
    { name: 'POST /api/auth/otp/request', call: () => api().post('/api/auth/otp/request'), base: () => ({ email: 'nobody@example.com' }) },
    {
      name: 'POST /api/auth/otp/verify',
      call: () => api().post('/api/auth/otp/verify'),
      base: () => ({ email: 'fuzz-op@example.com', code: '000000' }),
    },
    {
      name: 'POST /api/stations/:id/device-keys',
      call: () => bearer(api().post('/api/stations/st-f/device-keys'), t.adminToken),
      base: () => ({ rotate: false }),
    },
  ];

  for (const e of endpoints) {
    it(`${e.name}: no 5xx, still serving, nothing stored when refused`, async () => {
      await withSeed(e.name, () =>
        fc.assert(
          fc.asyncProperty(body(e.base), async (text) => {
            const before = await settle();
            const r = await e.call().set('Content-Type', 'application/json').send(text);
            const what = `${e.name} ${r.status} for ${text.slice(0, 200)}: ${r.text.slice(0, 300)}`;
            expect(r.status, what).to.be.below(500);
            if (r.status < 400) dirty = true;
            if (r.status >= 400) {
              expect(r.body?.error?.code, what).to.be.a('string');
              expect(await counts(), what).to.deep.equal(before);
            }
            await api().get('/api/health').expect(200);
          }),
          { seed: SEED, numRuns: RUNS },
        ),
      );
      // The device-key route rotates by default: keep the fuzzed station's key current for later runs.
      if (e.name.includes('device-keys'))
        deviceKey = (
          await api()
            .post('/api/stations/st-f/device-keys')
            .set('Authorization', `Bearer ${t.adminToken}`)
            .send({ rotate: false })
            .expect(201)
        ).body.deviceKey;
    });
  }

  describe('socket events', () => {
    const connect = (ns: string, auth: Record<string, string>): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = ioClient(`${t.directUrl}${ns}`, { transports: ['websocket'], auth, reconnection: false, forceNew: true });
        sockets.push(socket);
        socket.once('connect', () => resolve(socket));
        socket.once('connect_error', reject);
      });

    const events: { ns: string; event: string; auth: () => Record<string, string>; base: () => Record<string, unknown> }[] = [
      { ns: '/ingest', event: 'signal', auth: () => ({ deviceKey }), base: () => criticalFault('st-f', 'C4') },
      { ns: '/ingest', event: 'signals', auth: () => ({ deviceKey }), base: () => ({ signals: [criticalFault('st-f', 'C5')] }) },
      { ns: '/dashboard', event: 'subscribe', auth: () => ({ token: operator }), base: () => ({ stationIds: ['st-f'] }) },
      { ns: '/dashboard', event: 'unsubscribe', auth: () => ({ token: operator }), base: () => ({ stationIds: '*' }) },
      { ns: '/chat', event: 'chat:message', auth: () => ({ token: operator }), base: () => ({ message: 'why is st-f busy' }) },
    ];

    for (const ev of events) {
      it(`${ev.ns} ${ev.event}: no INTERNAL ack, still connected, nothing stored when refused`, async () => {
        const socket = await connect(ev.ns, ev.auth());
        await withSeed(`${ev.ns} ${ev.event}`, () =>
          fc.assert(
            fc.asyncProperty(body(ev.base, false), async (text) => {
              const before = await settle();
              const ack = (await socket.timeout(10_000).emitWithAck(ev.event, JSON.parse(text))) as {
                ok?: boolean;
                error?: { code?: string };
              };
              const what = `${ev.ns} ${ev.event} for ${text.slice(0, 200)}: ${JSON.stringify(ack).slice(0, 300)}`;
              expect(ack, what).to.be.an('object');
              expect(ack.error?.code, what).to.not.equal('INTERNAL');
              if (ack.ok !== false) dirty = true;
              if (ack.ok === false) expect(await counts(), what).to.deep.equal(before);
              expect(socket.connected, what).to.equal(true);
              await api().get('/api/health').expect(200);
            }),
            { seed: SEED, numRuns: RUNS },
          ),
        );
      });
    }
  });

  describe('afterwards', () => {
    it('left Object.prototype alone', () => {
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(Object.keys(Object.prototype)).to.deep.equal([]);
    });
  });
});
