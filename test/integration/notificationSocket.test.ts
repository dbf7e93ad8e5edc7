// notification:created reaches the dashboards of the users it is for, and nobody else's.
import { expect } from 'chai';
import request from 'supertest';
import { io as ioClient, type Socket } from 'socket.io-client';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { overload } from '../helpers/signals.js';

describe('notifications on the dashboard', function () {
  this.timeout(30_000);
  let t: TestApp;
  const sockets: Socket[] = [];
  before(async () => {
    t = await startTestApp({ env: { CHAIN_RPC_URL: 'off' } });
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await t.close();
  });

  it('delivers a pending-approval notification live to the in-scope operator only', async () => {
    const one = { bays: 2, chargers: 1, batterySlots: 10 };
    const keyP = (
      await request(t.url)
        .post('/api/stations')
        .send(aRegistration('st-p', { capacity: one }))
        .expect(201)
    ).body.deviceKey as string;
    const keyQ = (
      await request(t.url)
        .post('/api/stations')
        .send(aRegistration('st-q', { capacity: one }))
        .expect(201)
    ).body.deviceKey as string;
    const tokenFor = async (email: string, scope: string[]) => {
      const { user } = await t.app.services.users.create({
        email,
        password: 'a-long-enough-password',
        role: 'operator',
        stationScope: scope,
      });
      return t.app.services.tokens.access(user.id, 'operator');
    };
    const connect = async (token: string) => {
      const s = ioClient(`${t.directUrl}/dashboard`, { transports: ['websocket'], auth: { token }, forceNew: true });
      sockets.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('connect_error', reject);
      });
      return s;
    };
    const a = await connect(await tokenFor('p@example.com', ['st-p']));
    const b = await connect(await tokenFor('q@example.com', ['st-q']));
    const seenByB: { stationId?: string }[] = [];
    b.on('notification:created', (n: { stationId?: string }) => seenByB.push(n));

    const forA = new Promise<{ stationId: string; severity: string; title: string }>((resolve) => a.once('notification:created', resolve));
    // Curtailing more than half the draw at st-p waits for an operator.
    await request(t.directUrl)
      .post('/api/data/signals')
      .set('X-Device-Key', keyP)
      .send({ signals: overload('st-p').signals })
      .expect(202);
    const n = await forA;
    expect(n.stationId).to.equal('st-p');
    expect(n.title).to.match(/approval/i);

    // Each socket keeps the server's order: once B sees its own st-q notification, an st-p one would have come first.
    const forB = new Promise<void>((resolve) =>
      b.on('notification:created', (x: { stationId?: string }) => x.stationId === 'st-q' && resolve()),
    );
    await request(t.directUrl)
      .post('/api/data/signals')
      .set('X-Device-Key', keyQ)
      .send({ signals: overload('st-q').signals })
      .expect(202);
    await forB;
    expect(seenByB.map((x) => x.stationId)).to.deep.equal(['st-q']);
  });
});
