import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as IoServer } from 'socket.io';
import type { Signal, StationRegistration } from '../../eventBus/types.js';
import { parseCli, UsageError } from '../../scripts/simulate.js';
import { createSimulation, feedInProcess, runSimulation } from '../../simulator/index.js';
import { scoreFailures } from '../../simulator/score.js';
import { restSender, socketSender, stationRegistrar, type Credentials } from '../../scripts/sim/transports.js';

const base = { stations: 3, scenario: 'normal' as const, seed: 5, durationMin: 20 };

function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return { sleeps, clock: { now: () => now, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)) } };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return JSON.parse(body);
}

describe('runSimulation', () => {
  it('delivers every generated signal, in order, in batches no larger than asked', async () => {
    const got: Signal[][] = [];
    const registered: StationRegistration[] = [];
    const summary = await runSimulation({
      ...base,
      rate: 0,
      batchSize: 100,
      register: async (s) => void registered.push(...s),
      send: async (b) => void got.push(b),
    });
    const expected = [...createSimulation(base).signals()];
    expect(got.flat()).to.deep.equal(expected);
    expect(got.every((b) => b.length <= 100)).to.equal(true);
    expect(registered.map((s) => s.id)).to.deep.equal(['st-001', 'st-002', 'st-003']);
    expect(summary).to.include({ sent: expected.length, accepted: expected.length, rejected: 0, aborted: false });
    expect(summary.truth.counts.signals).to.equal(expected.length);
  });

  it('paces to the requested rate on the injected clock', async () => {
    const { clock, sleeps } = fakeClock();
    const summary = await runSimulation({ ...base, rate: 500, batchSize: 50, clock, send: async () => undefined });
    const slept = sleeps.reduce((a, b) => a + b, 0);
    expect(slept).to.be.closeTo((summary.sent / 500) * 1000, 1);
  });

  it('tallies what the sink reports: duplicates and rejections with their signal', async () => {
    const summary = await runSimulation({
      ...base,
      rate: 0,
      batchSize: 10,
      send: async (b) => ({ accepted: b.length - 2, duplicates: 1, rejected: [{ index: 0, error: 'nope' }] }),
    });
    const batches = Math.ceil(summary.sent / 10);
    expect(summary.rejected).to.equal(batches);
    expect(summary.duplicates).to.equal(batches);
    expect(summary.sampleRejections[0]).to.include({ error: 'nope' });
  });

  it('feeds in-process until stopped, surviving a failing send', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const stop = feedInProcess({
      stations: 2,
      scenario: 'rush_hour',
      rate: 0,
      runMin: 5,
      onError: (e) => errors.push(e),
      send: async () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
      },
    });
    while (calls < 3) await new Promise((r) => setImmediate(r));
    await stop();
    expect(errors).to.have.length(1);
    const none: unknown[] = [];
    await feedInProcess({ stations: 1, scenario: 'nope', rate: 0, send: async () => undefined, onError: (e) => none.push(e) })();
    expect(String(none[0])).to.match(/scenario/);
  });
});

describe('simulate transports against local servers', () => {
  let http: Server;
  let url: string;
  const posted: { key: string | undefined; count: number }[] = [];
  const registeredIds = new Set<string>();

  before(async () => {
    http = createServer(async (req, res) => {
      const body = (await readJson(req)) as { id?: string; signals?: Signal[] };
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/stations') {
        const already = registeredIds.has(body.id ?? '');
        registeredIds.add(body.id ?? '');
        res.statusCode = already ? 409 : 201;
        res.end(
          JSON.stringify(already ? { error: { code: 'CONFLICT', message: 'exists' } } : { station: body, deviceKey: `key-${body.id}` }),
        );
        return;
      }
      const signals = body.signals ?? [];
      const key = req.headers['x-device-key'] as string | undefined;
      posted.push({ key, count: signals.length });
      const wrong = signals.findIndex((s) => `key-${s.stationId}` !== key);
      res.statusCode = 202;
      res.end(
        JSON.stringify({ accepted: signals.length, duplicates: 0, rejected: wrong >= 0 ? [{ index: wrong, error: 'wrong key' }] : [] }),
      );
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((r) => http.close(r));
  });

  it('registers (409 is fine), then posts each station its own batch with its device key', async () => {
    const creds: Credentials = { deviceKeys: new Map() };
    const register = stationRegistrar(url, creds);
    const sim = createSimulation(base);
    await register(sim.stations);
    await register(sim.stations);
    expect(creds.deviceKeys.get('st-002')).to.equal('key-st-002');
    const summary = await runSimulation({ ...base, rate: 0, batchSize: 200, send: restSender(url, creds) });
    expect(summary.rejected).to.equal(0);
    expect(posted.reduce((n, p) => n + p.count, 0)).to.equal(summary.sent);
  });

  it('sends over Socket.io /ingest with each station device key in the handshake when there is no token, and counts acks', async () => {
    const httpIo = createServer();
    const io = new IoServer(httpIo);
    const seen = new Map<string, number>();
    io.of('/ingest')
      .use((socket, next) => (String(socket.handshake.auth.deviceKey ?? '').startsWith('key-') ? next() : next(new Error('bad key'))))
      .on('connection', (socket) => {
        socket.on('signal', (s: Signal, ack: (a: unknown) => void) => {
          const dup = seen.has(s.id);
          seen.set(s.id, 1);
          ack(s.type === 'grid_limit' ? { ok: false, error: 'test refuses grid_limit' } : { ok: true, id: s.id, duplicate: dup });
        });
      });
    await new Promise<void>((r) => httpIo.listen(0, '127.0.0.1', r));
    const ioUrl = `http://127.0.0.1:${(httpIo.address() as AddressInfo).port}`;
    const creds: Credentials = { deviceKeys: new Map(['st-001', 'st-002', 'st-003'].map((id) => [id, `key-${id}`])) };
    const sock = socketSender(ioUrl, creds);
    try {
      const summary = await runSimulation({ ...base, rate: 0, send: sock.send });
      const limits = [...createSimulation(base).signals()].filter((s) => s.type === 'grid_limit').length;
      expect(summary.rejected).to.equal(limits);
      expect(summary.accepted).to.equal(summary.sent - limits);
      const bad = socketSender(ioUrl, { deviceKeys: new Map([['st-001', 'wrong']]) });
      const err = await bad.send([...createSimulation(base).signals()].slice(0, 1)).catch((e: Error) => e);
      expect(String(err)).to.match(/for st-001 with its device key refused: bad key/);
      bad.close();
    } finally {
      sock.close();
      await io.close();
    }
  });
});

describe('simulate CLI arguments', () => {
  it('names the flag in errors', () => {
    expect(() => parseCli(['--stations', 'x'])).to.throw(UsageError, /--stations/);
    expect(() => parseCli(['--scenario', 'snow'])).to.throw(UsageError, /--scenario/);
    expect(() => parseCli(['--transport', 'udp'])).to.throw(UsageError, /--transport/);
    expect(() => parseCli(['--rate', '-1'])).to.throw(UsageError, /--rate/);
    expect(() => parseCli(['--batch', '5000'])).to.throw(UsageError, /--batch/);
    expect(() => parseCli(['--what'])).to.throw(UsageError, /--what/);
  });

  it('applies defaults', () => {
    const o = parseCli([], {});
    expect(o).to.include({
      url: 'http://127.0.0.1:3000',
      stations: 20,
      scenario: 'normal',
      durationMin: 120,
      rate: 200,
      transport: 'rest',
      seed: 1,
    });
  });
});

describe('failure scoring', () => {
  it('measures lead from the first alarm in the lookback and precision per alarm', () => {
    const t = (min: number) => Date.parse('2025-01-01T00:00:00Z') + min * 60_000;
    const failures = [
      { stationId: 's', chargerId: 'c1', ts: new Date(t(60)).toISOString(), cause: 'overheat' as const, errorCode: 'HighTemperature' },
    ];
    const alarms = [
      { chargerId: 'c1', startMs: t(45), endMs: null },
      { chargerId: 'c2', startMs: t(10), endMs: t(20) },
    ];
    const s = scoreFailures(failures, alarms, { lookbackMin: 60, horizonMin: 60, minLeadMin: 10 });
    expect(s).to.include({ failures: 1, detected: 1, detectedWithLead: 1, alarms: 2, trueAlarms: 1, precision: 0.5, medianLeadMin: 15 });
  });
});
