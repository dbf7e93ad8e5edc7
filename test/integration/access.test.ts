// Who gets in where: every route and namespace answers 401 without credentials, 403 to the wrong
// role, 404 for a station or decision outside the caller's scope, and lets the right role through.
// Requests go to the app directly (t.directUrl), with only the credentials each case sets.
import { expect } from 'chai';
import request from 'supertest';
import { io as ioClient, type Socket } from 'socket.io-client';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { criticalFault, overload } from '../helpers/signals.js';
import type { Role } from '../../models/index.js';

type Who = 'none' | 'admin' | 'operator' | 'scopedOperator' | 'auditor' | 'scopedAuditor';

describe('access control', function () {
  this.timeout(30_000);
  let t: TestApp;
  const token: Partial<Record<Who, string>> = {};
  const keys: Record<string, string> = {};
  let decA = '';
  let decB = '';

  const as = (who: Who, r: request.Test) => (who === 'none' ? r : r.set('Authorization', `Bearer ${token[who]}`));
  const api = () => request(t.directUrl);

  before(async () => {
    t = await startTestApp({ env: { CHAIN_RPC_URL: 'off' } });
    token.admin = t.adminToken;
    const make = async (who: Who, role: Role, scope: string[] | 'all') => {
      const { user } = await t.app.services.users.create({
        email: `${who.toLowerCase()}@example.com`,
        password: 'a-long-enough-password',
        role,
        stationScope: scope,
      });
      token[who] = await t.app.services.tokens.access(user.id, role);
    };
    for (const id of ['st-a', 'st-b'])
      keys[id] = (await as('admin', api().post('/api/stations')).send(aRegistration(id)).expect(201)).body.deviceKey;
    await make('operator', 'operator', 'all');
    await make('scopedOperator', 'operator', ['st-a']);
    await make('auditor', 'auditor', 'all');
    await make('scopedAuditor', 'auditor', ['st-a']);
    // An overload at each station: a curtailment of more than half the draw waits for an operator.
    const fa = overload('st-a');
    const fb = overload('st-b');
    await api().post('/api/data/signals').set('X-Device-Key', keys['st-a']).send({ signals: fa.signals }).expect(202);
    await api().post('/api/data/signals').set('X-Device-Key', keys['st-b']).send({ signals: fb.signals }).expect(202);
    decA = fa.decisionId;
    decB = fb.decisionId;
  });
  after(() => t.close());

  const cases: { name: string; call: () => request.Test; expect: Partial<Record<Who, number>> }[] = [
    {
      name: 'GET /api/stations',
      call: () => api().get('/api/stations'),
      expect: { none: 401, auditor: 200, operator: 200, scopedOperator: 200 },
    },
    {
      name: 'GET /api/stations/st-b',
      call: () => api().get('/api/stations/st-b'),
      expect: { none: 401, operator: 200, scopedOperator: 404, auditor: 200, scopedAuditor: 404 },
    },
    {
      name: 'POST /api/stations',
      call: () =>
        api()
          .post('/api/stations')
          .send(aRegistration(`st-new-${Math.random().toString(36).slice(2, 8)}`)),
      expect: { none: 401, operator: 403, auditor: 403, admin: 201 },
    },
    { name: 'GET /api/decisions', call: () => api().get('/api/decisions'), expect: { none: 401, operator: 200, auditor: 200 } },
    {
      name: 'GET /api/decisions/<st-b>',
      call: () => api().get(`/api/decisions/${decB}`),
      expect: { none: 401, operator: 200, scopedOperator: 404, auditor: 200, scopedAuditor: 404 },
    },
    {
      name: 'POST /api/decisions/<st-b>/approve',
      call: () => api().post(`/api/decisions/${decB}/approve`).send({}),
      expect: { none: 401, auditor: 403, scopedOperator: 404 },
    },
    {
      name: 'GET /api/audit/batches',
      call: () => api().get('/api/audit/batches'),
      expect: { none: 401, operator: 403, auditor: 200, scopedAuditor: 403 },
    },
    {
      name: 'GET /api/audit/admin-actions',
      call: () => api().get('/api/audit/admin-actions'),
      expect: { none: 401, operator: 403, auditor: 200, scopedAuditor: 403 },
    },
    { name: 'GET /api/audit/contract', call: () => api().get('/api/audit/contract'), expect: { none: 401, operator: 403, auditor: 200 } },
    {
      name: 'GET /api/audit/decisions/<st-b>/verify',
      call: () => api().get(`/api/audit/decisions/${decB}/verify`),
      expect: { none: 401, operator: 403, scopedAuditor: 404, auditor: 200 },
    },
    {
      name: 'POST /api/chat',
      call: () => api().post('/api/chat').send({ message: 'which stations are at risk' }),
      expect: { none: 401, auditor: 403, scopedOperator: 200, operator: 200 },
    },
    {
      name: 'POST /api/chat about st-b',
      call: () => api().post('/api/chat').send({ message: 'what happened here', stationId: 'st-b' }),
      expect: { scopedOperator: 404, operator: 200 },
    },
    { name: 'GET /api/agents', call: () => api().get('/api/agents'), expect: { none: 401, auditor: 200, operator: 200 } },
    {
      name: 'GET /api/auth/users',
      call: () => api().get('/api/auth/users'),
      expect: { none: 401, operator: 403, auditor: 403, admin: 200 },
    },
    {
      name: 'GET /api/stations/st-a/device-keys',
      call: () => api().get('/api/stations/st-a/device-keys'),
      expect: { none: 401, operator: 403, admin: 200 },
    },
    {
      name: 'POST /api/data/signals (user)',
      call: () => api().post('/api/data/signals').send(criticalFault('st-a', 'C7')),
      expect: { none: 401, auditor: 403, operator: 202, scopedOperator: 202 },
    },
    { name: 'GET /api/health', call: () => api().get('/api/health'), expect: { none: 200 } },
    { name: 'GET /metrics', call: () => api().get('/metrics'), expect: { none: 200 } },
  ];
  for (const c of cases) {
    it(`${c.name}: ${Object.entries(c.expect)
      .map(([w, s]) => `${w} ${s}`)
      .join(', ')}`, async () => {
      for (const [who, status] of Object.entries(c.expect) as [Who, number][]) {
        const r = await as(who, c.call());
        expect(r.status, `${c.name} as ${who}: ${JSON.stringify(r.body)}`).to.equal(status);
      }
    });
  }

  it('lists only the stations and decisions in scope', async () => {
    const stations = await as('scopedOperator', api().get('/api/stations')).expect(200);
    expect(stations.body.items.map((s: { id: string }) => s.id)).to.deep.equal(['st-a']);
    const decisions = await as('scopedOperator', api().get('/api/decisions')).expect(200);
    const ids = decisions.body.items.map((d: { id: string }) => d.id);
    expect(ids).to.include(decA).and.not.include(decB);
    expect((await as('scopedOperator', api().get('/api/decisions?stationId=st-b')).expect(200)).body.items).to.deep.equal([]);
  });

  it('the chat reads only what the asking operator may see', async () => {
    const all = await as('operator', api().post('/api/chat')).send({ message: 'what happened in the last hour' }).expect(200);
    const mine = await as('scopedOperator', api().post('/api/chat')).send({ message: 'what happened in the last hour' }).expect(200);
    const ids = (r: request.Response) => r.body.citations.map((c: { id: string }) => c.id) as string[];
    expect(ids(all)).to.include(decB);
    expect(ids(mine)).to.include(decA).and.not.include(decB).and.not.include('st-b');
    expect(mine.body.reply).to.not.contain(decB);
    const why = await as('scopedOperator', api().post('/api/chat'))
      .send({ message: `why did station st-b take charger C1 offline` })
      .expect(200);
    expect(ids(why)).to.not.include(decB);
  });

  it('a device key sends only for its own station; nothing of a refused signal is stored', async () => {
    const forB = criticalFault('st-b', 'C9');
    const r = await api().post('/api/data/signals').set('X-Device-Key', keys['st-a']).send(forB).expect(403);
    expect(r.body.error.code).to.equal('FORBIDDEN_STATION');
    const mixed = [criticalFault('st-a', 'C8'), criticalFault('st-b', 'C8')];
    const m = await api().post('/api/data/signals').set('X-Device-Key', keys['st-a']).send({ signals: mixed }).expect(202);
    expect(m.body.accepted).to.equal(1);
    expect(m.body.rejected).to.deep.equal([{ index: 1, error: m.body.rejected[0].error }]);
    expect(m.body.rejected[0].error).to.include({ code: 'FORBIDDEN_STATION', field: 'stationId' });
    expect(await t.app.models.SignalLog.countDocuments({ signalId: { $in: [forB.id, mixed[1].id] } })).to.equal(0);
    await api().post('/api/data/signals').set('X-Device-Key', `${keys['st-a']}x`).send(criticalFault('st-a')).expect(401);
    // An operator scoped to st-a sending for st-b is told the station does not exist.
    const o = await as('scopedOperator', api().post('/api/data/signals')).send(criticalFault('st-b', 'C6')).expect(404);
    expect(o.body.error.code).to.equal('UNKNOWN_STATION');
  });

  it('records who approved: the operator, not a placeholder', async () => {
    const { body } = await as('operator', api().get(`/api/decisions/${decA}`)).expect(200);
    expect(body.status).to.equal('pending_approval');
    const a = await as('operator', api().post(`/api/decisions/${decA}/approve`))
      .send({})
      .expect(200);
    expect(a.body.by).to.equal('operator@example.com');
  });

  describe('namespaces', () => {
    const connect = (ns: string, auth: Record<string, string>): Promise<{ socket: Socket; error: { data?: { code: string } } | null }> =>
      new Promise((resolve) => {
        const socket = ioClient(`${t.directUrl}${ns}`, { transports: ['websocket'], auth, reconnection: false, forceNew: true });
        socket.once('connect', () => resolve({ socket, error: null }));
        socket.once('connect_error', (error: Error & { data?: { code: string } }) => resolve({ socket, error }));
      });

    it('refuses sockets without credentials or with the wrong role', async () => {
      for (const [ns, auth, code] of [
        ['/dashboard', {}, 'AUTH_REQUIRED'],
        ['/dashboard', { token: 'nonsense' }, 'INVALID_TOKEN'],
        ['/chat', {}, 'AUTH_REQUIRED'],
        ['/ingest', {}, 'AUTH_REQUIRED'],
        ['/ingest', { deviceKey: 'dk_000000000000.bogus' }, 'INVALID_DEVICE_KEY'],
      ] as const) {
        const { socket, error } = await connect(ns, auth);
        socket.disconnect();
        expect(error?.data?.code, `${ns} ${JSON.stringify(auth)}`).to.equal(code);
      }
      const { socket, error } = await connect('/chat', { token: token.auditor! });
      socket.disconnect();
      expect(error?.data?.code).to.equal('FORBIDDEN');
    });

    it('lets a device key send only for its station, and a scoped operator subscribe only in scope', async () => {
      const dev = await connect('/ingest', { deviceKey: keys['st-a'] });
      try {
        expect(dev.error).to.equal(null);
        const own = await dev.socket.timeout(5000).emitWithAck('signal', criticalFault('st-a', 'C5'));
        expect(own.ok).to.equal(true);
        // A __proto__ key is refused as over REST, not silently dropped.
        const polluted = JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(criticalFault('st-a', 'C4')).slice(1)}`) as unknown;
        const refused = await dev.socket.timeout(5000).emitWithAck('signal', polluted);
        expect(refused.error).to.include({ code: 'VALIDATION_FAILED' });
        expect(refused.error.details[0].field).to.equal('__proto__');
        const other = await dev.socket.timeout(5000).emitWithAck('signal', criticalFault('st-b', 'C5'));
        expect(other).to.deep.include({ ok: false });
        expect(other.error.code).to.equal('FORBIDDEN_STATION');
      } finally {
        dev.socket.disconnect();
      }
      const dash = await connect('/dashboard', { token: token.scopedOperator! });
      try {
        expect(dash.error).to.equal(null);
        const bad = await dash.socket.timeout(5000).emitWithAck('subscribe', { stationIds: ['st-b'] });
        expect(bad.error.code).to.equal('UNKNOWN_STATION');
        const ok = await dash.socket.timeout(5000).emitWithAck('subscribe', { stationIds: ['st-a'] });
        expect(ok.ok).to.equal(true);
      } finally {
        dash.socket.disconnect();
      }
    });
  });
});
