import { expect } from 'chai';
import request from 'supertest';
import { io as connect, type Socket } from 'socket.io-client';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { sig, criticalFault } from '../helpers/signals.js';
import { decisionIdOf } from '../../agents/common.js';

function once<T>(socket: Socket, event: string, match: (x: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const on = (x: T) => {
      if (!match(x)) return;
      socket.off(event, on);
      resolve(x);
    };
    socket.on(event, on);
  });
}

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
});
