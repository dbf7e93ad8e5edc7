// A station's chargers and packs are bounded by its registered capacity, through the real server: the
// refusals at the edge (REST and /ingest) name the field and store nothing, 5,000 invented ids leave
// the lists at capacity, and an admin's PATCH /api/stations/:id raises it (audited).
import { expect } from 'chai';
import request from 'supertest';
import { io as connect, type Socket } from 'socket.io-client';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { sig } from '../helpers/signals.js';

const PROTO_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];

describe('station capacity bounds chargers and packs', function () {
  this.timeout(60_000);
  let t: TestApp;
  const keys: Record<string, string> = {};
  const api = () => request(t.directUrl);
  const stored = (filter: object) => t.app.models.SignalLog.countDocuments(filter);
  const register = async (id: string, capacity: { bays: number; chargers: number; batterySlots: number }) => {
    keys[id] = (await request(t.url).post('/api/stations').send(aRegistration(id, { capacity })).expect(201)).body.deviceKey;
  };
  const send = (id: string, body: object, status = 202) =>
    api().post('/api/data/signals').set('X-Device-Key', keys[id]!).send(body).expect(status);
  // A batch whose every signal is refused answers 400 with the same body.
  const sendBatch = (id: string, signals: object[]) =>
    api()
      .post('/api/data/signals')
      .set('X-Device-Key', keys[id]!)
      .send({ signals })
      .expect((r) => expect(r.status).to.be.oneOf([202, 400]));
  const stateOf = async (id: string) => (await request(t.url).get(`/api/stations/${id}`).expect(200)).body;
  const temp = (stationId: string, chargerId: string) => sig(stationId, 'charger_temp', { chargerId, tempC: 35 });
  const health = (stationId: string, batteryId: string, over: Record<string, unknown> = {}) =>
    sig(stationId, 'battery_health', { batteryId, sohPct: 92, cycles: 40, tempC: 24 }, over);
  const tokenFor = async (role: 'operator' | 'auditor') => {
    const { user } = await t.app.services.users.create({
      email: `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`,
      password: 'a-long-enough-password',
      role,
      stationScope: 'all',
    });
    return t.app.services.tokens.access(user.id, role);
  };

  before(async () => {
    t = await startTestApp({ env: { CHAIN_RPC_URL: 'off' } });
    await register('cap-1', { bays: 2, chargers: 2, batterySlots: 3 });
  });
  after(() => t.close());

  it('refuses a new charger beyond capacity with 400 naming payload.chargerId; the rest of the batch is taken', async () => {
    const batch = [temp('cap-1', 'C1'), temp('cap-1', 'C2'), temp('cap-1', 'C3'), sig('cap-1', 'queue_length', { waiting: 2 })];
    const res = await send('cap-1', { signals: batch });
    expect(res.body).to.include({ accepted: 3, duplicates: 0 });
    expect(res.body.rejected).to.have.length(1);
    expect(res.body.rejected[0]).to.deep.include({ index: 2 });
    expect(res.body.rejected[0].error).to.include({ code: 'VALIDATION_FAILED', field: 'payload.chargerId' });
    expect(res.body.rejected[0].error.message)
      .to.match(/2 chargers/)
      .and.match(/PATCH \/api\/stations\/cap-1/);
    expect(await stored({ signalId: batch[2]!.id })).to.equal(0);
    const state = await stateOf('cap-1');
    expect(Object.keys(state.chargers).sort()).to.deep.equal(['C1', 'C2']);
    expect(state.queue.waiting).to.equal(2);
    // Alone, the refusal is the request's: 400 naming the field, nothing stored.
    const alone = await send('cap-1', temp('cap-1', 'C3'), 400);
    expect(alone.body.error.details[0]).to.include({ field: 'payload.chargerId' });
    expect(await stored({ stationId: 'cap-1', 'payload.chargerId': 'C3' })).to.equal(0);
  });

  it('nacks a new charger beyond capacity on /ingest, naming the field, and stores nothing', async () => {
    const socket: Socket = connect(`${t.directUrl}/ingest`, { auth: { deviceKey: keys['cap-1'] }, transports: ['websocket'] });
    try {
      const s = temp('cap-1', 'C7');
      const ack = await socket.emitWithAck('signal', s);
      expect(ack.ok).to.equal(false);
      expect(JSON.stringify(ack.error)).to.include('payload.chargerId');
      expect(await stored({ signalId: s.id })).to.equal(0);
      const known = temp('cap-1', 'C2');
      expect(await socket.emitWithAck('signal', known)).to.deep.equal({ ok: true, id: known.id, duplicate: false });
    } finally {
      socket.close();
    }
  });

  it('keeps 5,000 distinct charger and pack ids at capacity; refused ones are not stored', async () => {
    await register('cap-flood', { bays: 2, chargers: 6, batterySlots: 30 });
    let accepted = 0;
    let most = 0;
    for (let b = 0; b < 5; b++) {
      const chargers = Array.from({ length: 1000 }, (_, i) => temp('cap-flood', `X${b * 1000 + i}`));
      const res = await sendBatch('cap-flood', chargers);
      accepted += res.body.accepted;
      expect(res.body.rejected.every((r: { error: { field: string } }) => r.error.field === 'payload.chargerId')).to.equal(true);
      // One pack a minute of signal time: a new one finds room only when the oldest is 15 min silent.
      const packs = Array.from({ length: 1000 }, (_, i) =>
        health('cap-flood', `P${b * 1000 + i}`, {
          ts: new Date(Date.parse('2026-04-01T00:00:00Z') + (b * 1000 + i) * 60_000).toISOString(),
        }),
      );
      const r2 = await sendBatch('cap-flood', packs);
      accepted += r2.body.accepted;
      expect(r2.body.rejected.every((r: { error: { field: string } }) => r.error.field === 'payload.batteryId')).to.equal(true);
      const state = await stateOf('cap-flood');
      expect(Object.keys(state.chargers)).to.have.length(6);
      most = Math.max(most, Object.keys(state.batteries).length);
    }
    expect(most).to.equal(30);
    expect(await stored({ stationId: 'cap-flood' })).to.equal(accepted);
    const state = await stateOf('cap-flood');
    expect(state.version).to.equal(accepted);
  });

  describe('PATCH /api/stations/:id (capacity)', () => {
    it('raises capacity.chargers: the new charger is then accepted, and the change is an anchored admin action', async () => {
      const res = await request(t.url)
        .patch('/api/stations/cap-1')
        .send({ capacity: { chargers: 3 } })
        .expect(200);
      expect(res.body.station.capacity).to.deep.equal({ bays: 2, chargers: 3, batterySlots: 3 });
      const doc = await t.app.models.StationState.findOne({ stationId: 'cap-1' }).lean();
      expect(doc!.capacity).to.deep.equal({ bays: 2, chargers: 3, batterySlots: 3 });
      const c3 = temp('cap-1', 'C3');
      await send('cap-1', c3);
      expect(Object.keys((await stateOf('cap-1')).chargers).sort()).to.deep.equal(['C1', 'C2', 'C3']);
      await send('cap-1', temp('cap-1', 'C4'), 400);
      const action = (await t.app.services.adminAudit.list(20)).find((a) => a.action === 'station.capacity' && a.target === 'cap-1');
      expect(action?.details).to.deep.equal({
        before: { bays: 2, chargers: 2, batterySlots: 3 },
        after: { bays: 2, chargers: 3, batterySlots: 3 },
      });
      expect(action?.hash).to.match(/^[0-9a-f]{64}$/);
    });

    it('refuses to go below what the station holds with 409 naming the field, changing nothing', async () => {
      const before = (await t.app.services.adminAudit.list(50)).length;
      const res = await request(t.url)
        .patch('/api/stations/cap-1')
        .send({ capacity: { chargers: 2 } })
        .expect(409);
      expect(res.body.error.code).to.equal('CAPACITY_BELOW_HELD');
      expect(res.body.error.details[0].field).to.equal('capacity.chargers');
      const bays = await request(t.url)
        .patch('/api/stations/cap-1')
        .send({ capacity: { bays: 1 } })
        .expect(409);
      expect(bays.body.error.details[0].field).to.equal('capacity.bays');
      expect((await stateOf('cap-1')).capacity).to.deep.equal({ bays: 2, chargers: 3, batterySlots: 3 });
      expect((await t.app.services.adminAudit.list(50)).length).to.equal(before);
    });

    it('answers 400 naming the field for bad input, 404 for an unknown station', async () => {
      const bad: [object, string][] = [
        [{ capacity: { chargers: -1 } }, 'capacity.chargers'],
        [{ capacity: { batterySlots: 1.5 } }, 'capacity.batterySlots'],
        [{ capacity: {} }, 'capacity'],
        [{ capacity: { wheels: 4 } }, 'capacity.wheels'],
        [{ capacity: { bays: 3 }, name: 'renamed' }, 'name'],
        [{}, 'capacity'],
      ];
      for (const [body, field] of bad) {
        const res = await request(t.url).patch('/api/stations/cap-1').send(body).expect(400);
        expect(
          res.body.error.details.map((d: { field: string }) => d.field),
          JSON.stringify(body),
        ).to.include(field);
      }
      await request(t.url)
        .patch('/api/stations/nope')
        .send({ capacity: { chargers: 9 } })
        .expect(404);
    });

    it('is for admins only: 401 without credentials, 403 for an operator, an auditor or a device key', async () => {
      const body = { capacity: { chargers: 9 } };
      await api().patch('/api/stations/cap-1').send(body).expect(401);
      for (const role of ['operator', 'auditor'] as const) {
        const res = await api()
          .patch('/api/stations/cap-1')
          .set('Authorization', `Bearer ${await tokenFor(role)}`)
          .send(body)
          .expect(403);
        expect(res.body.error.code).to.equal('FORBIDDEN');
      }
      await api().patch('/api/stations/cap-1').set('X-Device-Key', keys['cap-1']!).send(body).expect(401);
      expect((await stateOf('cap-1')).capacity.chargers).to.equal(3);
    });

    it('is in the OpenAPI document', async () => {
      const doc = (await request(t.url).get('/api/openapi.json').expect(200)).body;
      expect(doc.paths['/api/stations/{id}']).to.have.property('patch');
    });
  });

  it('takes prototype names as ordinary station, charger and pack ids: folded, bounded, counted, nothing polluted', async () => {
    await register('hasOwnProperty', { bays: 2, chargers: 2, batterySlots: 2 });
    const chargers = await send('hasOwnProperty', { signals: PROTO_NAMES.map((id) => temp('hasOwnProperty', id)) });
    expect(chargers.body.accepted).to.equal(2);
    expect(chargers.body.rejected.map((r: { index: number; error: { field: string } }) => [r.index, r.error.field])).to.deep.equal([
      [2, 'payload.chargerId'],
      [3, 'payload.chargerId'],
    ]);
    const packs = await send('hasOwnProperty', { signals: PROTO_NAMES.map((id) => health('hasOwnProperty', id)) });
    expect(packs.body.rejected.map((r: { error: { field: string } }) => r.error.field)).to.deep.equal([
      'payload.batteryId',
      'payload.batteryId',
    ]);
    // `__proto__` is no id at all (ids start with a letter or a digit): refused by its characters.
    const proto = await send('hasOwnProperty', temp('hasOwnProperty', '__proto__'), 400);
    expect(proto.body.error.details[0].field).to.equal('payload.chargerId');
    let state = await stateOf('hasOwnProperty');
    expect(Object.keys(state.chargers)).to.deep.equal(['constructor', 'toString']);
    expect(Object.keys(state.batteries)).to.deep.equal(['constructor', 'toString']);
    // A pack handed out leaves, so another prototype name fits; raising capacity lets a third charger in.
    await send(
      'hasOwnProperty',
      sig('hasOwnProperty', 'swap_completed', { durationS: 170, batteryOutId: 'toString', batteryInId: 'valueOf' }),
    );
    await send('hasOwnProperty', health('hasOwnProperty', 'valueOf'));
    await request(t.url)
      .patch('/api/stations/hasOwnProperty')
      .send({ capacity: { chargers: 3 } })
      .expect(200);
    await send('hasOwnProperty', temp('hasOwnProperty', 'hasOwnProperty'));
    state = await stateOf('hasOwnProperty');
    expect(Object.keys(state.chargers)).to.deep.equal(['constructor', 'toString', 'hasOwnProperty']);
    expect(Object.keys(state.batteries).sort()).to.deep.equal(['constructor', 'valueOf']);
    expect(state.capacity.chargers).to.equal(3);
    expect(Object.keys(Object.prototype)).to.deep.equal([]);
    expect(Object.hasOwn(Object, 'tempC')).to.equal(false);
    expect(({} as Record<string, unknown>).sohPct).to.equal(undefined);
  });
});
