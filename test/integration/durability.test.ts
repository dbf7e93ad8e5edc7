// What is acknowledged survives a clean restart, and dedupe holds across it
// (memory cache: ids reloaded from the signal log; Redis: ids kept in Redis).
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, aRegistration } from '../helpers/app.js';
import { sig } from '../helpers/signals.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

describe('durability across restarts', () => {
  let redis: RedisHandle;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  it('keeps every acknowledged signal and the folded state after a clean restart, and still dedupes', async () => {
    // A long flush window: the signals sit in the batch buffer when the app is told to stop.
    const env = { SIGNAL_FLUSH_MS: '60000', STATE_FLUSH_MS: '60000' };
    const first = await startTestApp({ env });
    await request(first.url).post('/api/stations').send(aRegistration('st-d')).expect(201);
    const signals = Array.from({ length: 50 }, (_, i) => sig('st-d', 'queue_length', { waiting: i }));
    // The answer only comes once the batch is inserted, so send without waiting, then close.
    const pending = request(first.url)
      .post('/api/data/signals')
      .send({ signals })
      .then((r) => r.status);
    await new Promise<void>((resolve) => first.app.bus.once('signal.received', () => resolve()));
    await first.app.close();
    expect(await pending).to.equal(202);
    expect(await first.app.models.SignalLog.countDocuments({ stationId: 'st-d' })).to.equal(50);
    await first.conn.close();

    const second = await startTestApp({ env, dbName: first.dbName });
    try {
      const st = await request(second.url).get('/api/stations/st-d').expect(200);
      expect(st.body.queue.waiting).to.equal(49);
      expect(st.body.version).to.equal(50);
      const again = await request(second.url).post('/api/data/signals').send(signals[7]).expect(202);
      expect(again.body.duplicates).to.equal(1);
      expect(await second.app.models.SignalLog.countDocuments({ signalId: signals[7].id })).to.equal(1);
    } finally {
      await second.close();
    }
  });

  it('dedupes through Redis across two instances sharing it', async () => {
    const a = await startTestApp({ redisUrl: redis.url });
    const b = await startTestApp({ redisUrl: redis.url, dbName: a.dbName });
    try {
      await request(a.url).post('/api/stations').send(aRegistration('st-r')).expect(201);
      // b loaded its registry before st-r existed; register it there too (same database, its own memory).
      await b.app.services.stations.load();
      const s = sig('st-r', 'power_draw', { kW: 12 });
      const ra = await request(a.url).post('/api/data/signals').send(s).expect(202);
      expect(ra.body.accepted).to.equal(1);
      const rb = await request(b.url).post('/api/data/signals').send(s).expect(202);
      expect(rb.body.duplicates).to.equal(1);
      const h = await request(a.url).get('/api/health').expect(200);
      expect(h.body.parts.cache.state).to.equal('up');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
