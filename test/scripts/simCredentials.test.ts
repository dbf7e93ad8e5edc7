// simulate's credentials against a tiny local server that records what each request carried:
// login once, Bearer on REST, X-Device-Key per station, refresh on TOKEN_EXPIRED, a clear 401.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Server as IoServer } from 'socket.io';
import type { Signal } from '../../eventBus/types.js';
import { main, parseCli, UsageError } from '../../scripts/simulate.js';
import { createSimulation } from '../../simulator/index.js';
import {
  login,
  NEEDS_CREDENTIALS,
  restSender,
  socketSender,
  stationRegistrar,
  TransportError,
  type Credentials,
} from '../../scripts/sim/transports.js';

const ROOT = path.resolve(__dirname, '../..');
const base = { stations: 3, scenario: 'normal' as const, seed: 5, durationMin: 5 };

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: { signals?: Signal[]; [k: string]: unknown } | null;
}

async function readJson(req: IncomingMessage): Promise<Seen['body']> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body ? (JSON.parse(body) as Seen['body']) : null;
}

/** Enforces the contract: login/refresh issue tokens, stations need a current token, signals a token or the station's own key. */
function enforcingServer() {
  const seen: Seen[] = [];
  const state = {
    valid: new Set(['at-1']),
    expired: new Set<string>(),
    refreshes: 0,
    issued: 1,
    registered: new Set(['st-003']),
    enforce: true,
  };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };
  const err = (code: string) => ({ error: { code, message: code.toLowerCase().replace(/_/g, ' ') } });
  const http = createServer((req, res) => {
    void readJson(req).then((body) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const tokenOk = bearer !== undefined && state.valid.has(bearer);
      if (bearer !== undefined && state.expired.has(bearer)) return json(res, 401, err('TOKEN_EXPIRED'));
      if (req.url === '/api/auth/login') {
        if (body?.email === 'new@example.test' && body.password === 'printed-once')
          return json(res, 200, {
            accessToken: 'at-new',
            refreshToken: 'rt-new',
            expiresIn: 900,
            user: { email: body.email, mustChangePassword: true },
          });
        if (body?.email !== 'ops@example.test' || body.password !== 'correct horse battery')
          return json(res, 401, err('INVALID_CREDENTIALS'));
        return json(res, 200, { accessToken: 'at-1', refreshToken: 'rt-1', expiresIn: 900, user: { email: body.email, role: 'admin' } });
      }
      if (req.url === '/api/auth/refresh') {
        state.refreshes += 1;
        if (body?.refreshToken !== `rt-${state.issued}`) return json(res, 401, err('REFRESH_TOKEN_REUSED'));
        state.issued += 1;
        state.valid.add(`at-${state.issued}`);
        return json(res, 200, { accessToken: `at-${state.issued}`, refreshToken: `rt-${state.issued}`, expiresIn: 900 });
      }
      if (req.url === '/api/stations') {
        if (state.enforce && !tokenOk) return json(res, 401, err('AUTH_REQUIRED'));
        const id = String(body?.id);
        if (state.registered.has(id)) return json(res, 409, err('CONFLICT'));
        state.registered.add(id);
        return json(res, 201, { station: body, deviceKey: `key-${id}` });
      }
      if (req.url === '/api/data/signals') {
        const signals = body?.signals ?? [];
        const key = req.headers['x-device-key'];
        if (state.enforce && !tokenOk && key === undefined) return json(res, 401, err('AUTH_REQUIRED'));
        const wrong = key === undefined ? -1 : signals.findIndex((s) => `key-${s.stationId}` !== key);
        if (wrong >= 0) return json(res, 403, err('FORBIDDEN'));
        return json(res, 202, { accepted: signals.length, duplicates: 0, rejected: [] });
      }
      json(res, 404, err('NOT_FOUND'));
    });
  });
  return { http, seen, state };
}

describe('simulate credentials', () => {
  let server: ReturnType<typeof enforcingServer>;
  let url: string;

  beforeEach(async () => {
    server = enforcingServer();
    await new Promise<void>((r) => server.http.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.http.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((r) => server.http.close(r));
  });

  it('logs in, registers with the Bearer token, then sends each keyed station with its own X-Device-Key and the rest with the token', async () => {
    const creds: Credentials = { deviceKeys: new Map(), ...(await login(url, 'ops@example.test', 'correct horse battery')) };
    expect(creds).to.include({ token: 'at-1', refreshToken: 'rt-1' });
    const sim = createSimulation(base);
    await stationRegistrar(url, creds)(sim.stations);
    const registrations = server.seen.filter((r) => r.url === '/api/stations');
    expect(registrations.map((r) => r.headers.authorization)).to.deep.equal(['Bearer at-1', 'Bearer at-1', 'Bearer at-1']);
    // st-003 existed already (409): its key was shown to another run only.
    expect([...creds.deviceKeys]).to.deep.equal([
      ['st-001', 'key-st-001'],
      ['st-002', 'key-st-002'],
    ]);

    // Past the day of price history each station's feed opens with: a mix of all three stations.
    const batch = [...sim.signals()].filter((s) => s.type !== 'grid_price').slice(0, 200);
    const result = await restSender(url, creds)(batch);
    expect(result).to.deep.equal({ accepted: 200, duplicates: 0, rejected: [] });
    const posts = server.seen.filter((r) => r.url === '/api/data/signals');
    expect(posts).to.have.length(3);
    for (const p of posts) {
      const stations = new Set(p.body?.signals?.map((s) => s.stationId));
      const key = p.headers['x-device-key'];
      if (key === undefined) {
        expect(p.headers.authorization).to.equal('Bearer at-1');
        expect([...stations]).to.deep.equal(['st-003']);
      } else {
        expect(p.headers.authorization, 'a device-key request carries no user token').to.equal(undefined);
        expect([...stations]).to.deep.equal([String(key).replace('key-', '')]);
      }
    }
    // Each group keeps the batch's order for its station.
    const st1 = posts.find((p) => p.headers['x-device-key'] === 'key-st-001')!.body!.signals!.map((s) => s.id);
    expect(st1).to.deep.equal(batch.filter((s) => s.stationId === 'st-001').map((s) => s.id));
  });

  it('falls back to the token when a saved device key is refused', async () => {
    const creds: Credentials = { token: 'at-1', deviceKeys: new Map([['st-001', 'stale']]) };
    const batch = [...createSimulation(base).signals()].filter((s) => s.stationId === 'st-001').slice(0, 5);
    expect(await restSender(url, creds)(batch)).to.deep.equal({ accepted: 5, duplicates: 0, rejected: [] });
    expect(creds.deviceKeys.has('st-001')).to.equal(false);
    expect(server.seen.at(-1)?.headers.authorization).to.equal('Bearer at-1');
  });

  it('refreshes an expired token once, however many requests saw it expire, and resends with the new one', async () => {
    const creds: Credentials = { deviceKeys: new Map(), ...(await login(url, 'ops@example.test', 'correct horse battery')) };
    server.state.expired.add('at-1');
    const send = restSender(url, creds);
    const signals = [...createSimulation(base).signals()].slice(0, 20);
    const results = await Promise.all([send(signals.slice(0, 10)), send(signals.slice(10))]);
    expect(results.map((r) => r?.accepted)).to.deep.equal([10, 10]);
    expect(server.state.refreshes).to.equal(1);
    expect(creds).to.include({ token: 'at-2', refreshToken: 'rt-2' });
    const resent = server.seen.filter((r) => r.url === '/api/data/signals' && r.headers.authorization === 'Bearer at-2');
    expect(resent).to.have.length(2);
  });

  it('says which flags to pass when the server answers 401 to a run without credentials', async () => {
    const creds: Credentials = { deviceKeys: new Map() };
    const err = await stationRegistrar(url, creds)(createSimulation(base).stations).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TransportError);
    expect((err as Error).message)
      .to.include(NEEDS_CREDENTIALS)
      .and.include('401 AUTH_REQUIRED');
    const sendErr = await restSender(url, creds)([...createSimulation(base).signals()].slice(0, 1)).catch((e: unknown) => e);
    expect((sendErr as Error).message).to.match(/^the server needs credentials: pass --email\/--password or --token/);
    const bad = await login(url, 'ops@example.test', 'wrong').catch((e: unknown) => e);
    expect((bad as Error).message).to.match(/login as ops@example.test failed \(401\)/);
    // The first admin's printed password signs in, but is good only for choosing another: said at once.
    const generated = await login(url, 'new@example.test', 'printed-once').catch((e: unknown) => e);
    expect((generated as Error).message).to.equal(
      'new@example.test still has the generated password, which is good only for choosing another: POST /api/auth/password { currentPassword, newPassword } first',
    );
  });

  it('keeps working against a server that ignores credentials', async () => {
    server.state.enforce = false;
    const creds: Credentials = { deviceKeys: new Map() };
    const sim = createSimulation(base);
    await stationRegistrar(url, creds)(sim.stations);
    const batch = [...sim.signals()].slice(0, 50);
    // Keyed stations still use their keys; the rest go in one request with no credentials.
    expect((await restSender(url, creds)(batch))?.accepted).to.equal(50);
    const anonymous = server.seen.filter((r) => r.url === '/api/data/signals' && r.headers['x-device-key'] === undefined);
    expect(anonymous.every((r) => r.headers.authorization === undefined)).to.equal(true);
  });

  it('runs the CLI end to end with --email/--password, and exits 1 with the hint without them', async function () {
    this.timeout(60_000);
    const dir = mkdtempSync(path.join(tmpdir(), 'sim-creds-'));
    try {
      const args = [
        '--url',
        url,
        '--stations',
        '3',
        '--duration',
        '3',
        '--rate',
        '0',
        '--quiet',
        '--truth',
        path.join(dir, 'truth.json'),
        '--keys',
        path.join(dir, 'keys.json'),
      ];
      const log = console.log;
      console.log = () => undefined;
      try {
        expect(await main([...args, '--email', 'ops@example.test', '--password', 'correct horse battery'])).to.equal(0);
      } finally {
        console.log = log;
      }
      expect(server.seen.filter((r) => r.url === '/api/auth/login')).to.have.length(1);
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/simulate.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, COPILOT_EMAIL: '', COPILOT_PASSWORD: '', COPILOT_TOKEN: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      // keys.json from the first run holds st-001/st-002's keys; st-003 has none, so registration is what refuses.
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(code, err).to.equal(1);
      expect(err).to.include(`simulate: ${NEEDS_CREDENTIALS}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends over one /ingest connection with auth { token } for every station', async () => {
    const httpIo = createServer();
    const io = new IoServer(httpIo);
    const handshakes: unknown[] = [];
    io.of('/ingest')
      .use((socket, next) => {
        handshakes.push(socket.handshake.auth);
        next(socket.handshake.auth.token === 'at-1' ? undefined : new Error('sign in first'));
      })
      .on('connection', (socket) =>
        socket.on('signal', (s: Signal, ack: (a: unknown) => void) => ack({ ok: true, id: s.id, duplicate: false })),
      );
    await new Promise<void>((r) => httpIo.listen(0, '127.0.0.1', r));
    const ioUrl = `http://127.0.0.1:${(httpIo.address() as AddressInfo).port}`;
    const creds: Credentials = { token: 'at-1', deviceKeys: new Map([['st-001', 'key-st-001']]) };
    const sock = socketSender(ioUrl, creds);
    const anon = socketSender(ioUrl, { deviceKeys: new Map() });
    try {
      const signals = [...createSimulation(base).signals()].slice(0, 60);
      expect((await sock.send(signals))?.accepted).to.equal(60);
      expect(handshakes).to.deep.equal([{ token: 'at-1' }]);
      const err = await anon.send(signals.slice(0, 1)).catch((e: unknown) => e);
      expect((err as Error).message).to.equal(`socket /ingest without credentials refused: sign in first; ${NEEDS_CREDENTIALS}`);
    } finally {
      sock.close();
      anon.close();
      await io.close();
    }
  });

  it('refreshes an expired token refused at the /ingest handshake and connects with the new one', async () => {
    const io = new IoServer(server.http);
    const handshakes: unknown[] = [];
    io.of('/ingest')
      .use((socket, next) => {
        handshakes.push(socket.handshake.auth);
        const token = String(socket.handshake.auth.token);
        if (server.state.valid.has(token) && !server.state.expired.has(token)) return next();
        next(Object.assign(new Error('the access token has expired; refresh it'), { data: { code: 'TOKEN_EXPIRED' } }));
      })
      .on('connection', (socket) =>
        socket.on('signal', (s: Signal, ack: (a: unknown) => void) => ack({ ok: true, id: s.id, duplicate: false })),
      );
    const creds: Credentials = { deviceKeys: new Map(), ...(await login(url, 'ops@example.test', 'correct horse battery')) };
    server.state.expired.add('at-1');
    const sock = socketSender(url, creds);
    try {
      expect((await sock.send([...createSimulation(base).signals()].slice(0, 5)))?.accepted).to.equal(5);
      expect(handshakes).to.deep.equal([{ token: 'at-1' }, { token: 'at-2' }]);
      expect(server.state.refreshes).to.equal(1);
    } finally {
      sock.close();
      await io.close();
    }
  });
});

describe('simulate credential flags', () => {
  it('reads --email/--password/--token, or COPILOT_* from the environment', () => {
    expect(parseCli(['--email', 'a@b.test', '--password', 'pw-123456789012'], {})).to.include({
      email: 'a@b.test',
      password: 'pw-123456789012',
      token: undefined,
    });
    expect(parseCli([], { COPILOT_EMAIL: 'e@b.test', COPILOT_PASSWORD: 'p', COPILOT_TOKEN: 't' })).to.include({
      email: 'e@b.test',
      password: 'p',
      token: 't',
    });
    expect(parseCli(['--token', 'flag'], { COPILOT_TOKEN: 'env' })).to.include({ token: 'flag' });
    // The server's own first-admin variables are not the simulator's.
    expect(parseCli([], { ADMIN_EMAIL: 'x@y.test', ADMIN_PASSWORD: 'z' })).to.include({ email: undefined, password: undefined });
    expect(() => parseCli(['--email', 'a@b.test'], {})).to.throw(UsageError, /--email and --password go together/);
  });
});
