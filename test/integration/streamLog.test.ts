// SIGNAL_LOG=stream on a real redis-server: a signal is answered once it is in its partition's stream,
// the instance holding the partition decides it from there and acknowledges the entry once what it
// produced is stored, and an instance that takes a partition over from a crashed one replays the
// stream from its stations' durable state: every acknowledged signal folded once, no decision twice.
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { sig, criticalFault } from '../helpers/signals.js';
import { decisionIdOf } from '../../agents/common.js';
import type { EventBus } from '../../eventBus/index.js';

const streamEnv = (over: Record<string, string> = {}) => ({
  SIGNAL_LOG: 'stream',
  STREAM_PARTITIONS: '4',
  STREAM_LEASE_MS: '600',
  ...over,
});

/** Resolves when the station's folded version reaches `version` on this bus. */
function folded(bus: EventBus, stationId: string, version: number, current: () => number): Promise<void> {
  return new Promise((resolve) => {
    if (current() >= version) return resolve();
    const on = ({ state }: { state: { id: string; version: number } }) => {
      if (state.id !== stationId || state.version < version) return;
      bus.off('station.updated', on);
      resolve();
    };
    bus.on('station.updated', on);
  });
}

/** Resolves once the partition streams have nothing delivered and unacknowledged. */
async function acknowledged(t: TestApp): Promise<void> {
  const log = t.app.services.streamLog!;
  for (;;) {
    const lags = await Promise.all(Array.from({ length: log.stream.partitions }, (_, p) => log.stream.lag(p)));
    if (lags.every((l) => l.pending === 0)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the stream signal log (SIGNAL_LOG=stream)', function () {
  this.timeout(60_000);
  let redis: RedisHandle;

  before(async () => (redis = await startRedis()));
  after(async () => redis.stop());

  it('answers once the signal is in the stream, then decides it there and acknowledges the entry', async () => {
    const t = await startTestApp({ redisUrl: redis.url, env: streamEnv() });
    try {
      await request(t.url).post('/api/stations').send(aRegistration('st-s1')).expect(201);
      const state = () => t.app.services.stations.get('st-s1')!.version;
      const fault = criticalFault('st-s1', 'C1');
      const reached = folded(t.app.bus, 'st-s1', 1, state);
      const res = await request(t.url).post('/api/data/signals').send(fault).expect(202);
      expect(res.body.accepted).to.equal(1);
      const log = t.app.services.streamLog!;
      const p = t.app.services.stations.partitionOf('st-s1');
      expect((await log.stream.range(p, '0', 10)).map((e) => e.signal.id)).to.deep.equal([fault.id]);
      await reached;
      await acknowledged(t);
      // Acknowledged only once its decision is stored. (What else is stored is told if it is not: this
      // failed once in CI, not reproduced since.)
      const stored = await t.app.models.DecisionLog.countDocuments({ decisionId: decisionIdOf(fault) });
      const seen = stored === 1 ? '' : JSON.stringify(await t.app.models.DecisionLog.find({}, { decisionId: 1, anchorSeq: 1 }).lean());
      expect(stored, `decisions stored: ${seen}; lag ${JSON.stringify(await log.stream.lag(p))}`).to.equal(1);
      expect(await t.app.models.SignalLog.countDocuments({ signalId: fault.id })).to.equal(1);
      // A duplicate is answered as one and not appended again.
      const again = await request(t.url).post('/api/data/signals').send(fault).expect(202);
      expect(again.body.duplicates).to.equal(1);
      expect(await log.stream.range(p, '0', 10)).to.have.length(1);
      const health = await request(t.url).get('/api/health').expect(200);
      expect(health.body.parts.stream.state).to.equal('up');

      // Trimmed only up to what is stored: everything before the stored state's position (the entry at
      // it stays, where a new owner's replay starts after).
      const more = Array.from({ length: 5 }, (_, i) => sig('st-s1', 'queue_length', { waiting: i }));
      const all = folded(t.app.bus, 'st-s1', 6, state);
      await request(t.url).post('/api/data/signals').send({ signals: more }).expect(202);
      await all;
      await acknowledged(t);
      await t.app.services.stations.flush();
      expect(await log.consumer.trim()).to.equal(5);
      expect((await log.stream.range(p, '0', 10)).map((e) => e.signal.id)).to.deep.equal([more[4].id]);
    } finally {
      await t.close();
    }
  });

  it('takes a crashed instance’s partitions over and replays them from the durable state: every signal folded once, no decision twice', async () => {
    // A writes no station state while it runs (a long flush interval), so all it folded is lost with it.
    const a = await startTestApp({ redisUrl: redis.url, env: streamEnv({ STATE_FLUSH_MS: '600000' }) });
    let b: TestApp | null = null;
    try {
      await request(a.url).post('/api/stations').send(aRegistration('st-s2')).expect(201);
      const fault = criticalFault('st-s2', 'C2');
      const readings = Array.from({ length: 20 }, (_, i) => sig('st-s2', 'queue_length', { waiting: i + 1 }));
      const sent = [fault, ...readings];
      const onA = folded(a.app.bus, 'st-s2', sent.length, () => a.app.services.stations.get('st-s2')!.version);
      await request(a.url).post('/api/data/signals').send({ signals: sent }).expect(202);
      await onA;
      await acknowledged(a);
      expect(await a.app.models.DecisionLog.countDocuments({ decisionId: decisionIdOf(fault) })).to.equal(1);
      await a.app.services.streamLog!.halt();

      // B starts on the same database and Redis once A is gone: it takes every partition when A's leases
      // run out, reads st-s2 as last written (its registration) and replays the stream.
      b = await startTestApp({ redisUrl: redis.url, dbName: a.dbName, env: streamEnv() });
      const stations = b.app.services.stations;
      await folded(b.app.bus, 'st-s2', sent.length, () => stations.get('st-s2')!.version);
      expect(stations.get('st-s2')!.version).to.equal(sent.length);
      expect(stations.get('st-s2')!.queue.waiting).to.equal(20);
      await acknowledged(b);
      // The decision A stored was made again in the replay and recognised: stored once.
      expect(await b.app.models.DecisionLog.countDocuments({ decisionId: decisionIdOf(fault) })).to.equal(1);
      for (const s of sent) expect(await b.app.models.SignalLog.countDocuments({ signalId: s.id })).to.equal(1);

      // B goes on with new signals where A stopped.
      const next = sig('st-s2', 'queue_length', { waiting: 3 });
      const onB = folded(b.app.bus, 'st-s2', sent.length + 1, () => stations.get('st-s2')!.version);
      await request(b.url).post('/api/data/signals').send(next).expect(202);
      await onB;
    } finally {
      await b?.close();
      await a.close();
    }
  });
});
