import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import type { Model } from 'mongoose';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { createDeviceKeyModel, type DeviceKeyDoc } from '../../models/deviceKey.js';
import { DEVICE_KEY_DEFAULTS, DeviceKeyService, deviceKeyMayIngest } from '../../services/access/deviceKeys.js';
import { deviceKeysRouter } from '../../routes/deviceKeys.js';
import { AdminWorkflows } from '../../services/admin/index.js';
import { errorHandler, notFound, requireJson } from '../../middlewares/errors.js';
import { sig } from '../helpers/signals.js';

describe('station device keys', () => {
  let t: TestApp;
  let model: Model<DeviceKeyDoc>;
  let clock: number;
  const errors: unknown[] = [];
  const service = (over: Partial<Record<keyof typeof DEVICE_KEY_DEFAULTS, number>> = {}) =>
    new DeviceKeyService({
      model,
      stations: t.app.services.stations,
      now: () => new Date(clock),
      ...DEVICE_KEY_DEFAULTS,
      ...over,
      onError: (e) => errors.push(e),
    });

  before(async () => {
    t = await startTestApp();
    model = createDeviceKeyModel(t.conn);
    await model.init();
    for (const id of ['dk-a', 'dk-b', 'dk-c', 'dk-d', 'dk-r']) await t.app.services.stations.register(aRegistration(id));
  });
  beforeEach(() => {
    clock = Date.parse('2026-11-24T10:00:00Z');
  });
  after(async () => {
    expect(errors).to.deep.equal([]);
    await t.close();
  });

  it('issues a key shown once that verifies to its station', async () => {
    const keys = service();
    const { keyId, deviceKey } = await keys.issue('dk-a');
    expect(keyId).to.match(/^dk_[0-9a-f]{12}$/);
    expect(deviceKey).to.match(new RegExp(`^${keyId}\\.[A-Za-z0-9_-]{43}$`));
    expect(await keys.verify(deviceKey)).to.deep.equal({ stationId: 'dk-a', keyId });
    // A second service (another instance, or a restart) verifies it from the database alone.
    expect(await service().verify(deviceKey)).to.deep.equal({ stationId: 'dk-a', keyId });
  });

  it('does not verify a wrong secret, a malformed key or a key that was never issued', async () => {
    const keys = service();
    const { keyId, deviceKey } = await keys.issue('dk-a');
    const secret = deviceKey.slice(keyId.length + 1);
    const flipped = `${keyId}.${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
    expect(await service().verify(flipped), 'wrong secret, cold cache').to.equal(null);
    expect(await keys.verify(deviceKey)).to.not.equal(null);
    expect(await keys.verify(flipped), 'wrong secret, key cached').to.equal(null);
    for (const bad of [
      '',
      deviceKey.slice(0, -1),
      `${deviceKey}x`,
      keyId,
      secret,
      `${keyId.toUpperCase()}.${secret}`,
      ` ${deviceKey}`,
      42,
      null,
      { deviceKey },
    ]) {
      expect(await keys.verify(bad), JSON.stringify(bad)).to.equal(null);
    }
    expect(await keys.verify(`dk_000000000000.${secret}`), 'unknown key id').to.equal(null);
  });

  it('stores only a hash: the secret appears nowhere in the collection', async () => {
    const { keyId, deviceKey } = await service().issue('dk-b');
    const secret = deviceKey.slice(keyId.length + 1);
    const raw = await t.conn.db!.collection('devicekeys').find({}).toArray();
    const dump = JSON.stringify(raw);
    expect(dump).to.include(keyId);
    expect(dump).to.not.include(secret);
    expect(dump).to.not.include(Buffer.from(secret, 'base64url').toString('hex'));
    expect(dump).to.not.include(Buffer.from(secret, 'base64url').toString('base64'));
  });

  it("lists a station's keys without secrets or hashes", async () => {
    const keys = service();
    const { keyId } = await keys.issue('dk-c');
    const list = await keys.list('dk-c');
    expect(list).to.have.length(1);
    expect(list[0]).to.deep.equal({
      keyId,
      stationId: 'dk-c',
      status: 'active',
      createdAt: '2026-11-24T10:00:00.000Z',
      revokedAt: null,
      lastUsedAt: null,
    });
  });

  it('stops verifying a revoked key at once, also when it was cached', async () => {
    const keys = service();
    const { keyId, deviceKey } = await keys.issue('dk-c');
    expect(await keys.verify(deviceKey)).to.not.equal(null);
    expect(await keys.revoke('dk-c', keyId)).to.equal(1);
    expect(await keys.verify(deviceKey)).to.equal(null);
    expect(await service().verify(deviceKey)).to.equal(null);
    expect((await keys.list('dk-c')).find((k) => k.keyId === keyId)?.status).to.equal('revoked');
  });

  it('rotation revokes every earlier key of the station and only of that station', async () => {
    const keys = service();
    const old1 = await keys.issue('dk-r');
    const old2 = await keys.issue('dk-r');
    const other = await keys.issue('dk-d');
    expect(await keys.verify(old1.deviceKey)).to.not.equal(null);
    const fresh = await keys.rotate('dk-r');
    expect(await keys.verify(old1.deviceKey)).to.equal(null);
    expect(await keys.verify(old2.deviceKey)).to.equal(null);
    expect(await keys.verify(fresh.deviceKey)).to.deep.equal({ stationId: 'dk-r', keyId: fresh.keyId });
    expect(await keys.verify(other.deviceKey)).to.deep.equal({ stationId: 'dk-d', keyId: other.keyId });
    const live = (await keys.list('dk-r')).filter((k) => k.status === 'active').map((k) => k.keyId);
    expect(live).to.deep.equal([fresh.keyId]);
  });

  it('answers repeated verifications from memory (no database query per signal)', async () => {
    const keys = service();
    const { deviceKey } = await keys.issue('dk-d');
    expect(await keys.verify(deviceKey)).to.not.equal(null);
    await model.deleteMany({ stationId: 'dk-d' });
    expect(await keys.verify(deviceKey), 'from the cache').to.not.equal(null);
    clock += DEVICE_KEY_DEFAULTS.cacheTtlMs;
    expect(await keys.verify(deviceKey), 'cache entry expired: the database is asked again').to.equal(null);
  });

  it('keeps the cache bounded', async () => {
    const keys = service({ cacheMax: 3, maxLivePerStation: 100 });
    const issued = [];
    for (let i = 0; i < 5; i++) issued.push(await keys.issue('dk-d'));
    for (const k of issued) expect(await keys.verify(k.deviceKey)).to.not.equal(null);
    expect(keys.cached).to.equal(3);
    for (const k of issued) expect(await keys.verify(k.deviceKey), 'evicted keys still verify, from the database').to.not.equal(null);
  });

  it('writes lastUsedAt at most once per interval, not per signal', async () => {
    const keys = service();
    const { keyId, deviceKey } = await keys.rotate('dk-b');
    const lastUsed = async () => {
      await new Promise((r) => setTimeout(r, 20)); // the write is behind the answer
      return (await keys.list('dk-b')).find((k) => k.keyId === keyId)?.lastUsedAt;
    };
    await keys.verify(deviceKey);
    expect(await lastUsed()).to.equal('2026-11-24T10:00:00.000Z');
    clock += 60_000;
    await keys.verify(deviceKey);
    expect(await lastUsed()).to.equal('2026-11-24T10:00:00.000Z');
    clock += DEVICE_KEY_DEFAULTS.lastUsedEveryMs;
    await keys.verify(deviceKey);
    expect(await lastUsed()).to.equal('2026-11-24T11:01:00.000Z');
  });

  it('refuses keys for a station that is not registered', async () => {
    const keys = service();
    for (const op of [() => keys.issue('nope'), () => keys.rotate('nope'), () => keys.list('nope'), () => keys.revoke('nope')]) {
      let err: { status?: number; code?: string; message?: string } = {};
      await op().catch((e: typeof err) => (err = e));
      expect(err).to.include({ status: 404, code: 'UNKNOWN_STATION' });
      expect(err.message).to.include('nope');
    }
  });

  describe('deviceKeyMayIngest', () => {
    const verified = { stationId: 'dk-a', keyId: 'dk_0123456789ab' };

    it("passes signals for the key's own station", () => {
      expect(
        deviceKeyMayIngest(verified, [sig('dk-a', 'queue_length', { waiting: 1 }), sig('dk-a', 'staff_on_duty', { count: 2 })]),
      ).to.deep.equal([]);
    });

    it('rejects each signal for another station (or none), naming stationId', () => {
      const out = deviceKeyMayIngest(verified, [
        sig('dk-a', 'queue_length', { waiting: 1 }),
        sig('dk-b', 'queue_length', { waiting: 1 }),
        { id: 'x', type: 'queue_length' },
        null,
        'dk-a',
      ]);
      expect(out.map((r) => r.index)).to.deep.equal([1, 2, 3, 4]);
      for (const r of out) expect(r.error).to.include({ code: 'FORBIDDEN_STATION', field: 'stationId' });
      expect(out[0].error.message).to.include('dk-a').and.include('"dk-b"').and.include(verified.keyId);
    });
  });

  describe('routes', () => {
    // The router on a small app with the real middlewares and this suite's own key service.
    let app: express.Express;
    let keys: DeviceKeyService;
    before(async () => {
      await t.app.services.stations.register(aRegistration('dk-http'));
      keys = service();
      app = express();
      app.use(
        '/api',
        requireJson(),
        express.json({ limit: '1mb', strict: false }),
        deviceKeysRouter({
          deviceKeys: keys,
          admin: new AdminWorkflows({
            ...t.app.services,
            deviceKeys: keys,
            agentSettings: t.app.models.AgentSetting,
            onError: (e) => errors.push(e),
          }),
        }),
      );
      app.use(notFound());
      app.use(errorHandler((e) => errors.push(e)));
    });

    it('POST issues a key (201) that verifies, rotating the earlier one away', async () => {
      const first = await request(app).post('/api/stations/dk-http/device-keys').expect(201);
      expect(Object.keys(first.body).sort()).to.deep.equal(['deviceKey', 'keyId']);
      expect(await keys.verify(first.body.deviceKey)).to.deep.equal({ stationId: 'dk-http', keyId: first.body.keyId });
      const second = await request(app).post('/api/stations/dk-http/device-keys').send({}).expect(201);
      expect(await keys.verify(first.body.deviceKey)).to.equal(null);
      const third = await request(app).post('/api/stations/dk-http/device-keys').send({ rotate: false }).expect(201);
      expect(await keys.verify(second.body.deviceKey)).to.not.equal(null);
      expect(await keys.verify(third.body.deviceKey)).to.not.equal(null);
    });

    it('GET lists keys without secrets', async () => {
      const { body } = await request(app).get('/api/stations/dk-http/device-keys').expect(200);
      expect(body.nextCursor).to.equal(null);
      expect(body.items.length).to.be.greaterThan(0);
      for (const k of body.items)
        expect(Object.keys(k).sort()).to.deep.equal(['createdAt', 'keyId', 'lastUsedAt', 'revokedAt', 'stationId', 'status']);
      expect(JSON.stringify(body)).to.not.match(/dk_[0-9a-f]{12}\./);
    });

    it('DELETE revokes (204), again is 204, a key the station never had is 404', async () => {
      const { body } = await request(app).post('/api/stations/dk-http/device-keys').send({ rotate: false }).expect(201);
      await request(app).delete(`/api/stations/dk-http/device-keys/${body.keyId}`).expect(204);
      expect(await keys.verify(body.deviceKey)).to.equal(null);
      await request(app).delete(`/api/stations/dk-http/device-keys/${body.keyId}`).expect(204);
      const other = await keys.issue('dk-a');
      const res = await request(app).delete(`/api/stations/dk-http/device-keys/${other.keyId}`).expect(404);
      expect(res.body.error.code).to.equal('UNKNOWN_DEVICE_KEY');
      expect(await keys.verify(other.deviceKey), "another station's key is untouched").to.not.equal(null);
    });

    it('answers 404 naming an unknown station', async () => {
      for (const [method, path] of [
        ['post', '/api/stations/ghost-7/device-keys'],
        ['get', '/api/stations/ghost-7/device-keys'],
        ['delete', '/api/stations/ghost-7/device-keys/dk_0123456789ab'],
      ] as const) {
        const res = await request(app)[method](path).expect(404);
        expect(res.body.error.code, `${method} ${path}`).to.equal('UNKNOWN_STATION');
        expect(res.body.error.message).to.include('ghost-7');
      }
    });

    it('answers 400 for a malformed key id or body', async () => {
      for (const bad of ['dk_XYZ', 'dk_0123456789abc', 'dk_0123456789ab.secret', '__proto__']) {
        const res = await request(app)
          .delete(`/api/stations/dk-http/device-keys/${encodeURIComponent(bad)}`)
          .expect(400);
        expect(res.body.error).to.include({ code: 'VALIDATION_FAILED' });
        expect(res.body.error.details[0].field).to.equal('keyId');
      }
      const res = await request(app).post('/api/stations/dk-http/device-keys').send({ rotate: 'yes', extra: 1 }).expect(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).to.deep.equal(['extra', 'rotate']);
    });
  });
});
