// Admin actions (users, stations, device keys, agents) are recorded with their own hash and
// anchored like decisions; agent changes apply at once and survive a restart.
import { expect } from 'chai';
import request from 'supertest';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { jcsSha256 } from '../helpers/audit.js';
import { createEventBus } from '../../eventBus/index.js';

describe('admin audit trail and agent settings', function () {
  this.timeout(30_000);
  const env = { CHAIN_RPC_URL: 'off', ANCHOR_BATCH_MS: '50' };
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env });
  });
  after(() => t.close());

  it('changes an agent only as an admin, naming bad fields, and keeps the change across a restart', async () => {
    const op = await t.app.services.users.create({
      email: 'op@example.com',
      password: 'an-operator-password',
      role: 'operator',
      stationScope: 'all',
    });
    const opToken = await t.app.services.tokens.access(op.user.id, 'operator');
    await request(t.directUrl)
      .patch('/api/agents/mechanic')
      .set('Authorization', `Bearer ${opToken}`)
      .send({ thresholds: { tempLimitC: 80 } })
      .expect(403);
    const bad = await request(t.url)
      .patch('/api/agents/mechanic')
      .send({ thresholds: { tempLimitCelsius: 80 } })
      .expect(400);
    expect(bad.body.error.details[0].field).to.equal('thresholds.mechanic.tempLimitCelsius');
    await request(t.url)
      .patch('/api/agents/mechanic')
      .send({ thresholds: { tempLimitC: -1 } })
      .expect(400);
    await request(t.url).patch('/api/agents/robot').send({ enabled: false }).expect(404);
    await request(t.url).patch('/api/agents/mechanic').send({}).expect(400);
    const ok = await request(t.url)
      .patch('/api/agents/mechanic')
      .send({ thresholds: { tempLimitC: 80 }, enabled: false })
      .expect(200);
    expect(ok.body).to.deep.include({ name: 'mechanic', enabled: false });
    expect(ok.body.thresholds.tempLimitC).to.equal(80);

    const dbName = t.dbName;
    await t.close();
    t = await startTestApp({ env, dbName, bus: createEventBus() });
    const { body } = await request(t.url).get('/api/agents').expect(200);
    const mechanic = body.items.find((a: { name: string }) => a.name === 'mechanic');
    expect(mechanic).to.deep.include({ enabled: false });
    expect(mechanic.thresholds.tempLimitC).to.equal(80);
  });

  it('records every admin action with a hash anyone can recompute, as its own anchored leaf', async () => {
    await request(t.url).post('/api/stations').send(aRegistration('st-adm')).expect(201);
    await request(t.url).post('/api/auth/users').send({ email: 'aud@example.com', role: 'auditor' }).expect(201);
    await request(t.url).post('/api/stations/st-adm/device-keys').send({}).expect(201);
    await request(t.url).patch('/api/agents/energy').send({ enabled: false }).expect(200);
    const closed = new Promise<void>((resolve) => t.app.bus.once('anchor.batch', () => resolve()));
    await closed;
    const { body } = await request(t.url).get('/api/audit/admin-actions').expect(200);
    const actions = body.items.map((a: { action: string }) => a.action);
    expect(actions).to.include.members(['station.register', 'user.create', 'device_key.rotate', 'agent.update']);
    for (const a of body.items) {
      const { hash, anchor, ...value } = a;
      expect(await jcsSha256(value), a.action).to.equal(hash);
      // Secrets never enter the trail.
      expect(JSON.stringify(a)).to.not.match(/deviceKey|password/i);
      if (anchor.proof) {
        expect(
          StandardMerkleTree.verify(anchor.root, ['string', 'string', 'bytes32'], ['admin', a.actionId, `0x${hash}`], anchor.proof),
        ).to.equal(true);
      }
    }
    expect(body.items.some((a: { anchor: { proof?: string[] } }) => Array.isArray(a.anchor.proof))).to.equal(true);
    const op = await t.app.services.users.create({
      email: 'op2@example.com',
      password: 'an-operator-password',
      role: 'operator',
      stationScope: 'all',
    });
    await request(t.directUrl)
      .get('/api/audit/admin-actions')
      .set('Authorization', `Bearer ${await t.app.services.tokens.access(op.user.id, 'operator')}`)
      .expect(403);
  });
});
