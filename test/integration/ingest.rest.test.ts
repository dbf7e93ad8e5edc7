import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { sig, criticalFault } from '../helpers/signals.js';
import { decisionIdOf } from '../../agents/common.js';

/** A charging_session that breaks its schema in one field, for each field: [what, signal, 400, code, field]. */
function sessionBadCases(): [string, Record<string, unknown>, number, string, string][] {
  const good = { chargerId: 'C1', connectorId: 1, transactionId: 'tx-1', event: 'updated', energyWh: 5000, socPct: 40, reason: 'Local' };
  const bad = (
    what: string,
    field: string,
    payload: Record<string, unknown>,
  ): [string, Record<string, unknown>, number, string, string] => [
    `a charging_session with ${what}`,
    sig('st-1', 'charging_session', payload),
    400,
    'VALIDATION_FAILED',
    `payload.${field}`,
  ];
  const without = (key: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));
  return [
    bad('no chargerId', 'chargerId', without('chargerId')),
    bad('a chargerId that is not an id', 'chargerId', { ...good, chargerId: 'C 1' }),
    bad('no connectorId', 'connectorId', without('connectorId')),
    bad('a fractional connectorId', 'connectorId', { ...good, connectorId: 1.5 }),
    bad('a connectorId above 64', 'connectorId', { ...good, connectorId: 65 }),
    bad('a negative connectorId', 'connectorId', { ...good, connectorId: -1 }),
    bad('no transactionId', 'transactionId', without('transactionId')),
    bad('a transactionId over 64 characters', 'transactionId', { ...good, transactionId: 'x'.repeat(65) }),
    bad('no event', 'event', without('event')),
    bad('an unknown event', 'event', { ...good, event: 'paused' }),
    bad('a negative energyWh', 'energyWh', { ...good, energyWh: -1 }),
    bad('an energyWh above 1e12', 'energyWh', { ...good, energyWh: 2e12 }),
    bad('an energyWh as a string', 'energyWh', { ...good, energyWh: '5000' }),
    bad('a socPct above 100', 'socPct', { ...good, socPct: 100.5 }),
    bad('a negative socPct', 'socPct', { ...good, socPct: -2 }),
    bad('a reason that is not a token', 'reason', { ...good, reason: 'ran out!' }),
    bad('an unknown field', 'meterValue', { ...good, meterValue: 1 }),
  ];
}

describe('REST ingestion and reads', () => {
  let t: TestApp;
  const count = (filter: object = {}) => t.app.models.SignalLog.countDocuments(filter);

  before(async () => {
    t = await startTestApp();
    await request(t.url).post('/api/stations').send(aRegistration('st-1')).expect(201);
    await request(t.url)
      .post('/api/stations')
      .send(aRegistration('st-2', { location: { lat: 52.53, lng: 13.41 } }))
      .expect(201);
  });
  after(() => t.close());

  describe('POST /api/stations', () => {
    it('registers a station and answers 201 with it', async () => {
      const res = await request(t.url).post('/api/stations').send(aRegistration('st-3')).expect(201);
      expect(res.body.station).to.include({ id: 'st-3', name: 'Station st-3' });
      expect(await t.app.models.StationState.countDocuments({ stationId: 'st-3' })).to.equal(1);
    });
    it('rejects a second registration of the same id with 409', async () => {
      const res = await request(t.url).post('/api/stations').send(aRegistration('st-1')).expect(409);
      expect(res.body.error.code).to.equal('STATION_EXISTS');
    });
    it('names every bad field and stores nothing', async () => {
      const res = await request(t.url)
        .post('/api/stations')
        .send({ id: 'st-bad', location: { lat: 123, lng: 0 }, capacity: { bays: -1, chargers: 1, batterySlots: 1 } })
        .expect(400);
      const fields = res.body.error.details.map((d: { field: string }) => d.field);
      expect(fields).to.include.members(['name', 'location.lat', 'capacity.bays']);
      expect(await t.app.models.StationState.countDocuments({ stationId: 'st-bad' })).to.equal(0);
    });
    it('lists stations and shows one station state; unknown id is 404', async () => {
      const list = await request(t.url).get('/api/stations').expect(200);
      expect(list.body.items.map((s: { id: string }) => s.id)).to.include.members(['st-1', 'st-2']);
      expect(list.body).to.have.property('nextCursor', null);
      await request(t.url).get('/api/stations/nope').expect(404);
    });
  });

  describe('POST /api/data/signals', () => {
    it('accepts one signal, folds it into the state, and stores it before answering', async () => {
      const s = sig('st-1', 'queue_length', { waiting: 7 });
      const res = await request(t.url).post('/api/data/signals').send(s).expect(202);
      expect(res.body).to.include({ accepted: 1, duplicates: 0 });
      expect(res.body.results[0]).to.deep.equal({ index: 0, id: s.id, status: 'accepted' });
      expect(await count({ signalId: s.id })).to.equal(1);
      const st = await request(t.url).get('/api/stations/st-1').expect(200);
      expect(st.body.queue.waiting).to.equal(7);
      expect(st.body.version).to.be.greaterThan(0);
    });

    it('answers the same id twice as a duplicate and stores it once', async () => {
      const s = sig('st-1', 'power_draw', { kW: 40 });
      await request(t.url).post('/api/data/signals').send(s).expect(202);
      const again = await request(t.url).post('/api/data/signals').send(s).expect(202);
      expect(again.body).to.include({ accepted: 0, duplicates: 1 });
      expect(again.body.results[0].status).to.equal('duplicate');
      expect(await count({ signalId: s.id })).to.equal(1);
    });

    it('rejects malformed JSON with 400', async () => {
      const res = await request(t.url).post('/api/data/signals').set('content-type', 'application/json').send('{"id": "x",').expect(400);
      expect(res.body.error.code).to.equal('MALFORMED_JSON');
    });

    it('rejects a non-JSON content type with 415', async () => {
      const res = await request(t.url).post('/api/data/signals').set('content-type', 'text/plain').send('hello').expect(415);
      expect(res.body.error.details[0].field).to.equal('content-type');
    });

    const badCases: [string, Record<string, unknown>, number, string, string][] = [
      ['an unknown station', sig('st-unknown', 'queue_length', { waiting: 1 }), 404, 'UNKNOWN_STATION', 'stationId'],
      ['an unknown signal type', sig('st-1', 'teleport', { to: 'mars' }), 400, 'VALIDATION_FAILED', 'type'],
      ['a wrong field type', sig('st-1', 'queue_length', { waiting: 'many' }), 400, 'VALIDATION_FAILED', 'payload.waiting'],
      [
        'an out-of-range temperature',
        sig('st-1', 'charger_temp', { chargerId: 'C1', tempC: 900 }),
        400,
        'VALIDATION_FAILED',
        'payload.tempC',
      ],
      [
        'negative stock',
        sig('st-1', 'battery_stock', { charged: -3, charging: 0, depleted: 0, faulty: 0 }),
        400,
        'VALIDATION_FAILED',
        'payload.charged',
      ],
      ['an unknown payload field', sig('st-1', 'power_draw', { kW: 3, hack: true }), 400, 'VALIDATION_FAILED', 'payload.hack'],
      ['a bad timestamp', sig('st-1', 'power_draw', { kW: 3 }, { ts: 'yesterday' }), 400, 'VALIDATION_FAILED', 'ts'],
      ['more open bays than the station has', sig('st-1', 'bay_status', { open: 99 }), 400, 'VALIDATION_FAILED', 'payload.open'],
      ...sessionBadCases(),
    ];
    for (const [what, s, status, code, field] of badCases) {
      it(`rejects ${what} with ${status} naming ${field}, storing nothing`, async () => {
        const res = await request(t.url).post('/api/data/signals').send(s).expect(status);
        expect(res.body.error.code).to.equal(code);
        expect(res.body.error.details[0].field).to.equal(field);
        expect(await count({ signalId: s.id })).to.equal(0);
      });
    }

    it("accepts a charging_session from a sender and folds it into the charger's open sessions", async () => {
      await request(t.url).post('/api/stations').send(aRegistration('st-ev')).expect(201);
      const start = sig('st-ev', 'charging_session', {
        chargerId: 'EV1',
        connectorId: 2,
        transactionId: 'tx-0001',
        event: 'started',
        energyWh: 1_250_000,
        socPct: 18.5,
      });
      const update = sig('st-ev', 'charging_session', {
        chargerId: 'EV1',
        connectorId: 2,
        transactionId: 'tx-0001',
        event: 'updated',
        energyWh: 1_262_500,
      });
      const res = await request(t.url)
        .post('/api/data/signals')
        .send({ signals: [start, update] })
        .expect(202);
      expect(res.body).to.include({ accepted: 2, duplicates: 0 });
      expect(await count({ signalId: { $in: [start.id, update.id] } })).to.equal(2);
      const st = await request(t.url).get('/api/stations/st-ev').expect(200);
      expect(st.body.chargers.EV1.sessions).to.deep.equal([
        {
          transactionId: 'tx-0001',
          connectorId: 2,
          startedAt: start.ts,
          meterStartWh: 1_250_000,
          energyWh: 12_500,
          socPct: 18.5,
          updatedAt: update.ts,
        },
      ]);
      const end = sig('st-ev', 'charging_session', {
        chargerId: 'EV1',
        connectorId: 2,
        transactionId: 'tx-0001',
        event: 'ended',
        reason: 'Local',
      });
      await request(t.url).post('/api/data/signals').send(end).expect(202);
      const after = await request(t.url).get('/api/stations/st-ev').expect(200);
      expect(after.body.chargers.EV1.sessions).to.deep.equal([]);
    });

    it('accepts the valid signals of a mixed batch and names the index and field of each rejected one', async () => {
      const good1 = sig('st-1', 'staff_on_duty', { count: 3 });
      const bad = sig('st-1', 'charger_temp', { chargerId: 'C1', tempC: -300 });
      const good2 = sig('st-2', 'queue_length', { waiting: 2 });
      const unknown = sig('st-zz', 'queue_length', { waiting: 2 });
      const res = await request(t.url)
        .post('/api/data/signals')
        .send({ signals: [good1, bad, good2, unknown] })
        .expect(202);
      expect(res.body.accepted).to.equal(2);
      expect(res.body.rejected).to.have.length(2);
      expect(res.body.rejected[0]).to.deep.include({ index: 1 });
      expect(res.body.rejected[0].error.field).to.equal('payload.tempC');
      expect(res.body.rejected[1].index).to.equal(3);
      expect(res.body.rejected[1].error.code).to.equal('UNKNOWN_STATION');
      expect(await count({ signalId: { $in: [good1.id, good2.id] } })).to.equal(2);
      expect(await count({ signalId: { $in: [bad.id, unknown.id] } })).to.equal(0);
    });

    it('rejects the second copy of an id inside one batch', async () => {
      const s = sig('st-1', 'queue_length', { waiting: 4 });
      const res = await request(t.url)
        .post('/api/data/signals')
        .send({ signals: [s, s] })
        .expect(202);
      expect(res.body.accepted).to.equal(1);
      expect(res.body.rejected).to.deep.equal([
        { index: 1, error: { code: 'DUPLICATE_IN_BATCH', field: 'id', message: `id ${s.id} appears more than once in this batch` } },
      ]);
      expect(await count({ signalId: s.id })).to.equal(1);
    });

    it('answers 400 when every signal of a batch is rejected', async () => {
      const a = sig('st-1', 'queue_length', { waiting: -1 });
      const res = await request(t.url)
        .post('/api/data/signals')
        .send({ signals: [a] })
        .expect(400);
      expect(res.body.error.details[0]).to.include({ index: 0, field: 'payload.waiting' });
      expect(await count({ signalId: a.id })).to.equal(0);
    });

    it('rejects a batch of more than 1000 signals with 413, storing none of them', async () => {
      const signals = Array.from({ length: 1001 }, () => sig('st-1', 'arrival', {}));
      const res = await request(t.url).post('/api/data/signals').send({ signals }).expect(413);
      expect(res.body.error.code).to.equal('BATCH_TOO_LARGE');
      expect(await count({ signalId: signals[0].id })).to.equal(0);
    });

    it('rejects a body over 1 MB with 413', async () => {
      const big = sig('st-1', 'arrival', { vehicleId: 'v' }, { pad: 'x'.repeat(1_100_000) });
      const res = await request(t.url).post('/api/data/signals').send(big).expect(413);
      expect(res.body.error.code).to.equal('PAYLOAD_TOO_LARGE');
      expect(await count({ signalId: big.id })).to.equal(0);
    });

    it('rejects an empty batch and a non-array batch naming "signals"', async () => {
      const a = await request(t.url).post('/api/data/signals').send({ signals: [] }).expect(400);
      expect(a.body.error.details[0].field).to.equal('signals');
      const b = await request(t.url).post('/api/data/signals').send({ signals: 'all of them' }).expect(400);
      expect(b.body.error.details[0].field).to.equal('signals');
    });
  });

  describe('decisions', () => {
    it('turns a critical fault into a stored, hashed, explained decision', async () => {
      const s = criticalFault('st-2', 'C9');
      await request(t.url).post('/api/data/signals').send(s).expect(202);
      const one = await request(t.url)
        .get(`/api/decisions/${decisionIdOf(s)}`)
        .expect(200);
      expect(one.body.id).to.equal(`${decisionIdOf(s)}`);
      expect(one.body.ts).to.equal(s.ts);
      expect(one.body.hash).to.match(/^[0-9a-f]{64}$/);
      const actions = one.body.actions.map((a: { action: string }) => a.action);
      expect(actions).to.include('take_charger_offline');
      expect(one.body.explanation.source).to.equal('template');
      expect(one.body.explanation.text).to.be.a('string').and.not.equal('');
      expect(one.body.anchor.status).to.equal('pending');
    });

    it('lists decisions with filters and cursor pagination', async () => {
      for (let i = 0; i < 3; i++)
        await request(t.url)
          .post('/api/data/signals')
          .send(criticalFault('st-1', `K${i}`))
          .expect(202);
      const page1 = await request(t.url).get('/api/decisions').query({ stationId: 'st-1', agent: 'mechanic', limit: 2 }).expect(200);
      expect(page1.body.items).to.have.length(2);
      expect(page1.body.nextCursor).to.be.a('string');
      const page2 = await request(t.url)
        .get('/api/decisions')
        .query({ stationId: 'st-1', agent: 'mechanic', limit: 2, cursor: page1.body.nextCursor })
        .expect(200);
      const ids = [...page1.body.items, ...page2.body.items].map((d: { id: string }) => d.id);
      expect(new Set(ids).size).to.equal(ids.length);
      expect(ids.length).to.be.greaterThanOrEqual(3);
      for (const d of [...page1.body.items, ...page2.body.items]) expect(d.stationId).to.equal('st-1');
      const none = await request(t.url).get('/api/decisions').query({ stationId: 'st-1', action: 'boost_charging' }).expect(200);
      expect(none.body.items).to.deep.equal([]);
    });

    it('rejects bad filters naming the field, and 404s an unknown decision', async () => {
      const r = await request(t.url).get('/api/decisions').query({ agent: 'wizard', limit: 0 }).expect(400);
      expect(r.body.error.details.map((d: { field: string }) => d.field)).to.include.members(['agent', 'limit']);
      const c = await request(t.url).get('/api/decisions').query({ cursor: 'garbage' }).expect(400);
      expect(c.body.error.details[0].field).to.equal('cursor');
      await request(t.url).get('/api/decisions/dec-nope').expect(404);
    });
  });

  describe('health, readiness, metrics, agents', () => {
    it('reports each part', async () => {
      const h = await request(t.url).get('/api/health').expect(200);
      expect(h.body.parts.db.state).to.equal('up');
      expect(h.body.parts.cache.state).to.equal('embedded');
      const r = await request(t.url).get('/api/ready').expect(200);
      expect(r.body.ready).to.equal(true);
    });
    it('exposes Prometheus metrics counting what happened', async () => {
      const m = await request(t.url).get('/metrics').expect(200);
      expect(m.headers['content-type']).to.match(/text\/plain/);
      expect(m.text).to.match(/copilot_signals_accepted_total\{type="queue_length"\} [1-9]/);
      expect(m.text).to.match(/copilot_signals_rejected_total\{reason="UNKNOWN_STATION"\} [1-9]/);
      expect(m.text).to.match(/copilot_decisions_total\{agent="mechanic",action="take_charger_offline",status="[a-z_]+"\} [1-9]/);
      expect(m.text).to.include('copilot_pipeline_latency_seconds_bucket');
      // Where each accepted request's time went before its answer, one observation per phase.
      const count = (phase: string) =>
        Number(new RegExp(`copilot_ingest_phase_seconds_count\\{phase="${phase}"\\} (\\d+)`).exec(m.text)?.[1]);
      for (const phase of ['queued', 'checked', 'decided', 'journaled']) expect(count(phase), phase).to.be.at.least(1);
      expect(count('journaled')).to.equal(count('decided'));
      expect(m.text).to.match(/copilot_write_backlog\{log="signalLog"\} 0/);
      expect(m.text).to.match(/copilot_write_backlog\{log="decisionLog"\} 0/);
    });
    it('lists the five agents with their thresholds', async () => {
      const a = await request(t.url).get('/api/agents').expect(200);
      expect(a.body.items.map((x: { name: string }) => x.name)).to.deep.equal(['traffic', 'logistics', 'mechanic', 'energy', 'auditor']);
      expect(a.body.items[0].thresholds.waitMinutesHigh).to.be.a('number');
    });
  });
});

describe('API description', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('serves an OpenAPI document listing every implemented route, and a browsable page', async () => {
    const doc = await request(t.url).get('/api/openapi.json').expect(200);
    expect(doc.body.openapi).to.match(/^3\./);
    expect(Object.keys(doc.body.paths)).to.include.members([
      '/api/data/signals',
      '/api/stations',
      '/api/stations/{id}',
      '/api/decisions',
      '/api/decisions/{id}',
      '/api/health',
      '/api/audit/decisions/{id}/proof',
      '/api/audit/decisions/{id}/verify',
      '/api/audit/batches',
      '/api/audit/contract',
      '/api/chat',
      '/api/decisions/{id}/approve',
    ]);
    const page = await request(t.url).get('/api/docs').expect(200);
    expect(page.headers['content-type']).to.match(/text\/html/);
    expect(page.text).to.include('/api/data/signals');
  });

  it('answers an unknown route with the error body and 404', async () => {
    const r = await request(t.url).get('/api/nothing-here').expect(404);
    expect(r.body.error.code).to.equal('NOT_FOUND');
  });
});
