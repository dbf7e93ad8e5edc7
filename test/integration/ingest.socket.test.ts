import { expect } from 'chai';
import request from 'supertest';
import { io as connect, type Socket } from 'socket.io-client';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { sig, criticalFault } from '../helpers/signals.js';
import { once } from '../helpers/sockets.js';
import { decisionIdOf } from '../../agents/common.js';
import { slotOf } from '../../socket/dashboard.js';

describe('Socket.io ingestion and the live dashboard', () => {
  let t: TestApp;
  let ingest: Socket;
  let dash: Socket;
  const count = (id: string) => t.app.models.SignalLog.countDocuments({ signalId: id });

  before(async () => {
    t = await startTestApp();
    await request(t.url).post('/api/stations').send(aRegistration('st-a')).expect(201);
    await request(t.url).post('/api/stations').send(aRegistration('st-b')).expect(201);
    ingest = connect(`${t.url}/ingest`, { transports: ['websocket'] });
    dash = connect(`${t.url}/dashboard`, { transports: ['websocket'] });
  });
  after(async () => {
    ingest.close();
    dash.close();
    await t.close();
  });

  it('acks an accepted signal, then a duplicate, and stores it once', async () => {
    const s = sig('st-a', 'queue_length', { waiting: 3 });
    expect(await ingest.emitWithAck('signal', s)).to.deep.equal({ ok: true, id: s.id, duplicate: false });
    expect(await ingest.emitWithAck('signal', s)).to.deep.equal({ ok: true, id: s.id, duplicate: true });
    expect(await count(s.id)).to.equal(1);
  });

  const bad: [string, Record<string, unknown> | string, string, string][] = [
    ['unknown station', sig('st-nope', 'queue_length', { waiting: 1 }), 'UNKNOWN_STATION', 'stationId'],
    ['unknown type', sig('st-a', 'warp', {}), 'VALIDATION_FAILED', 'type'],
    ['wrong field type', sig('st-a', 'power_draw', { kW: '12' }), 'VALIDATION_FAILED', 'payload.kW'],
    [
      'out-of-range value',
      sig('st-a', 'battery_health', { batteryId: 'B1', sohPct: 140, cycles: 3, tempC: 20 }),
      'VALIDATION_FAILED',
      'payload.sohPct',
    ],
    ['a string instead of an object', 'not a signal', 'VALIDATION_FAILED', '(signal)'],
  ];
  for (const [what, s, code, field] of bad) {
    it(`nacks ${what} naming ${field}, storing nothing`, async () => {
      const ack = await ingest.emitWithAck('signal', s);
      expect(ack.ok).to.equal(false);
      expect(ack.error.code).to.equal(code);
      expect(ack.error.details[0].field).to.equal(field);
      if (typeof s === 'object') expect(await count(s.id as string)).to.equal(0);
    });
  }

  it('takes batches over "signals" with per-index answers, and refuses more than 1000', async () => {
    const good = sig('st-b', 'staff_on_duty', { count: 2 });
    const dup = { ...good };
    const badOne = sig('st-b', 'grid_limit', { kW: 0 });
    const ack = await ingest.emitWithAck('signals', { signals: [good, dup, badOne] });
    expect(ack.ok).to.equal(true);
    expect(ack.accepted).to.equal(1);
    expect(
      ack.rejected.map((r: { index: number; error: { code: string; field: string } }) => [r.index, r.error.code, r.error.field]),
    ).to.deep.equal([
      [1, 'DUPLICATE_IN_BATCH', 'id'],
      [2, 'VALIDATION_FAILED', 'payload.kW'],
    ]);
    const tooMany = await ingest.emitWithAck('signals', { signals: Array.from({ length: 1001 }, () => sig('st-b', 'arrival', {})) });
    expect(tooMany).to.deep.include({ ok: false });
    expect(tooMany.error.code).to.equal('BATCH_TOO_LARGE');
  });

  it('rejects a subscription to an unknown station or in a bad shape', async () => {
    const a = await dash.emitWithAck('subscribe', { stationIds: ['st-a', 'ghost'] });
    expect(a.ok).to.equal(false);
    expect(a.error.code).to.equal('UNKNOWN_STATION');
    const b = await dash.emitWithAck('subscribe', { stationIds: 42 });
    expect(b.ok).to.equal(false);
    expect(b.error.details[0].field).to.equal('stationIds');
  });

  it('delivers station:updated and decision:created live to a subscribed dashboard, and nothing for other stations', async () => {
    expect(await dash.emitWithAck('subscribe', { stationIds: ['st-a'] })).to.deep.equal({ ok: true, stationIds: ['st-a'] });
    const otherStation: string[] = [];
    const spy = (e: { stationId: string }) => otherStation.push(e.stationId);
    dash.on('station:updated', spy);
    dash.on('decision:created', spy);

    const ignored = sig('st-b', 'queue_length', { waiting: 1 });
    await ingest.emitWithAck('signal', ignored);
    const s = criticalFault('st-a', 'C4');
    const updated = once<{ id: string; stationId: string; signalId: string }>(dash, 'station:updated', (e) => e.signalId === s.id);
    const created = once<{ id: string; stationId: string; hash: string }>(dash, 'decision:created', (e) => e.id === `${decisionIdOf(s)}`);
    await ingest.emitWithAck('signal', s);
    const [u, d] = await Promise.all([updated, created]);
    expect(u.stationId).to.equal('st-a');
    expect(d.stationId).to.equal('st-a');
    expect(d.hash).to.match(/^[0-9a-f]{64}$/);
    dash.off('station:updated', spy);
    dash.off('decision:created', spy);
    expect(otherStation.filter((x) => x !== 'st-a')).to.deep.equal([]);
  });

  it('coalesces station:updated for a dashboard that asks "every": the latest state at most once per interval, decisions at once', async () => {
    const coarse = connect(`${t.url}/dashboard`, { transports: ['websocket'] });
    const fine = connect(`${t.url}/dashboard`, { transports: ['websocket'] });
    try {
      const refused = await coarse.emitWithAck('subscribe', { stationIds: ['st-b'], every: 300 });
      expect(refused.ok).to.equal(false);
      expect(refused.error.details[0].field).to.equal('every');
      expect(await coarse.emitWithAck('subscribe', { stationIds: ['st-b'], every: 250 })).to.deep.equal({
        ok: true,
        stationIds: ['st-b'],
        every: 250,
      });
      expect(await fine.emitWithAck('subscribe', { stationIds: ['st-b'] })).to.deep.equal({ ok: true, stationIds: ['st-b'] });
      const coarseSeen: { signalId: string; version: number; station: { queueWaiting: number } }[] = [];
      const fineSeen: string[] = [];
      coarse.on('station:updated', (e) => coarseSeen.push(e));
      fine.on('station:updated', (e: { signalId: string }) => fineSeen.push(e.signalId));

      const batch = Array.from({ length: 20 }, (_, i) => sig('st-b', 'queue_length', { waiting: i + 1 }));
      const last = batch[batch.length - 1];
      const fault = criticalFault('st-b', 'C2');
      const created = once<{ id: string }>(coarse, 'decision:created', (d) => d.id === decisionIdOf(fault));
      const settled = once<{ signalId: string }>(coarse, 'station:updated', (e) => e.signalId === last.id);
      expect(await ingest.emitWithAck('signals', { signals: batch })).to.deep.include({ ok: true, accepted: 20 });
      const final = await settled;
      // Per signal: all twenty. Coalesced: fewer, and the last one carries the last state.
      expect(fineSeen.filter((id) => batch.some((b) => b.id === id))).to.have.length(20);
      expect(coarseSeen.length).to.be.at.least(1).and.below(20);
      expect(coarseSeen[coarseSeen.length - 1]).to.equal(final);
      expect(coarseSeen[coarseSeen.length - 1].station.queueWaiting).to.equal(20);

      // A decision is not held back for the interval.
      await ingest.emitWithAck('signal', fault);
      expect((await created).id).to.equal(decisionIdOf(fault));

      // Unsubscribing takes the same "every": the coalesced room is left. The socket follows a witness
      // station in st-b's phase of the interval instead: its update, sent after st-b's, goes out in the
      // same tick or a later one, so st-b's would have come first.
      const witness = Array.from({ length: 100 }, (_, i) => `st-w${i}`).find((id) => slotOf(id) === slotOf('st-b'))!;
      await request(t.url).post('/api/stations').send(aRegistration(witness)).expect(201);
      expect((await coarse.emitWithAck('unsubscribe', { stationIds: ['st-b'], every: 250 })).ok).to.equal(true);
      expect((await coarse.emitWithAck('subscribe', { stationIds: [witness], every: 250 })).ok).to.equal(true);
      const before = coarseSeen.length;
      const next = sig('st-b', 'queue_length', { waiting: 2 });
      const other = sig(witness, 'queue_length', { waiting: 5 });
      const otherSeen = once<{ signalId: string }>(coarse, 'station:updated', (e) => e.signalId === other.id);
      await ingest.emitWithAck('signal', next);
      await ingest.emitWithAck('signal', other);
      await otherSeen;
      expect(coarseSeen.slice(before).map((e) => e.signalId)).to.deep.equal([other.id]);
    } finally {
      coarse.close();
      fine.close();
    }
  });
});
