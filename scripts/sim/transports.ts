// The simulator's two ways into a running server, per API.md: REST batches to
// POST /api/data/signals and per-signal acks on the Socket.io /ingest namespace.
import { io, type Socket } from 'socket.io-client';
import type { StationRegistration } from '../../eventBus/types.js';
import type { Rejection, SendFn, SendResult } from './run.js';

/** A failure the operator can act on; the CLI prints `message` and exits non-zero. */
export class TransportError extends Error {}

export interface Credentials {
  /** Operator/admin bearer token; lets one REST batch carry many stations. */
  token?: string;
  /** stationId to device key, from POST /api/stations answers or a saved keys file. */
  deviceKeys: Map<string, string>;
}

interface HttpAnswer {
  status: number;
  body: unknown;
}

const RETRIES = 5;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** JSON request with retries on 429, 5xx and network errors (a restarting server should not end a long run). */
async function request(url: string, init: { method: string; headers?: Record<string, string>; body?: unknown }): Promise<HttpAnswer> {
  let lastError = '';
  for (let attempt = 0; attempt <= RETRIES; attempt++) {
    if (attempt > 0) await sleep(Math.min(8000, 250 * 2 ** attempt));
    let res: Response;
    try {
      res = await fetch(url, {
        method: init.method,
        headers: { 'content-type': 'application/json', ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    } catch (err) {
      lastError = `${init.method} ${url} failed: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`;
      continue;
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a proxy error page, say): keep the text for the message.
    }
    if (res.status === 429 || res.status >= 500) {
      lastError = `${init.method} ${url} answered ${res.status}: ${describe(body)}`;
      const retryAfter = Number(res.headers.get('retry-after'));
      if (retryAfter > 0) await sleep(Math.min(30_000, retryAfter * 1000));
      continue;
    }
    return { status: res.status, body };
  }
  throw new TransportError(`${lastError} (gave up after ${RETRIES + 1} attempts)`);
}

function describe(body: unknown): string {
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: unknown }).error;
    if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
    return typeof e === 'string' ? e : JSON.stringify(e);
  }
  return typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body)?.slice(0, 200) ?? '';
}

function apiUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/api${path}`;
}

export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await request(apiUrl(baseUrl, '/auth/login'), { method: 'POST', body: { email, password } });
  const token = (res.body as { accessToken?: unknown } | null)?.accessToken;
  if (res.status !== 200 || typeof token !== 'string') throw new TransportError(`login as ${email} failed (${res.status}): ${describe(res.body)}`);
  return token;
}

/** POST /api/stations for each station; 409 means registered by an earlier run, which is fine. */
export function stationRegistrar(baseUrl: string, creds: Credentials): (stations: StationRegistration[]) => Promise<void> {
  return async (stations) => {
    const headers: Record<string, string> = creds.token ? { authorization: `Bearer ${creds.token}` } : {};
    for (const station of stations) {
      const res = await request(apiUrl(baseUrl, '/stations'), { method: 'POST', headers, body: station });
      if (res.status === 409) continue;
      if (res.status === 401 || res.status === 403) {
        throw new TransportError(`registering ${station.id} needs an admin (${res.status}: ${describe(res.body)}); pass --token, or --email and --password`);
      }
      if (res.status !== 200 && res.status !== 201) throw new TransportError(`registering ${station.id} failed (${res.status}): ${describe(res.body)}`);
      const key = (res.body as { deviceKey?: unknown } | null)?.deviceKey;
      if (typeof key === 'string') creds.deviceKeys.set(station.id, key);
    }
  };
}

/** Device-key header for a station, or none: the server then decides (and its 401 explains). */
function keyHeader(creds: Credentials, stationId: string): Record<string, string> {
  const key = creds.deviceKeys.get(stationId);
  return key ? { 'x-device-key': key } : {};
}

const NO_KEY_HINT =
  'stations registered earlier show their device key only once: pass --token (or --email/--password), or the --keys file of the run that registered them';

function parseBatchAnswer(res: HttpAnswer, size: number): SendResult {
  if (res.status === 202 || res.status === 200) {
    const b = res.body as Partial<SendResult> | null;
    return { accepted: b?.accepted ?? 0, duplicates: b?.duplicates ?? 0, rejected: Array.isArray(b?.rejected) ? b.rejected.map(normalizeRejection) : [] };
  }
  if (res.status === 401 || res.status === 403) throw new TransportError(`the server refused the signals (${res.status}): ${describe(res.body)}; ${NO_KEY_HINT}`);
  // A whole batch refused (e.g. 400 on the body): count every signal as rejected with the reason.
  const error = `${res.status}: ${describe(res.body)}`;
  return { accepted: 0, duplicates: 0, rejected: Array.from({ length: size }, (_, index) => ({ index, error })) };
}

function normalizeRejection(r: { index: number; error: unknown }): Rejection {
  return { index: r.index, error: typeof r.error === 'string' ? r.error : JSON.stringify(r.error) };
}

/** REST: one request per batch with a token, else one per station (a device key speaks for one station). */
export function restSender(baseUrl: string, creds: Credentials): SendFn {
  const url = apiUrl(baseUrl, '/data/signals');
  return async (signals) => {
    if (creds.token) {
      const res = await request(url, { method: 'POST', headers: { authorization: `Bearer ${creds.token}` }, body: { signals } });
      return parseBatchAnswer(res, signals.length);
    }
    const groups = new Map<string, number[]>();
    signals.forEach((s, i) => groups.set(s.stationId, [...(groups.get(s.stationId) ?? []), i]));
    const total: SendResult = { accepted: 0, duplicates: 0, rejected: [] };
    await Promise.all(
      [...groups].map(async ([stationId, indexes]) => {
        const body = { signals: indexes.map((i) => signals[i]) };
        const res = await request(url, { method: 'POST', headers: keyHeader(creds, stationId), body });
        const r = parseBatchAnswer(res, indexes.length);
        total.accepted += r.accepted;
        total.duplicates += r.duplicates;
        for (const rej of r.rejected) total.rejected.push({ index: indexes[rej.index] ?? -1, error: rej.error });
      }),
    );
    total.rejected.sort((a, b) => a.index - b.index);
    return total;
  };
}

type IngestAck = { ok: true; id: string; duplicate: boolean } | { ok: false; error: unknown };

/** Socket.io: one connection per station (the handshake carries that station's key), one ack per signal. */
export function socketSender(baseUrl: string, creds: Credentials, ackTimeoutMs = 15_000): { send: SendFn; close(): void } {
  const sockets = new Map<string, Promise<Socket>>();
  const connect = (stationId: string): Promise<Socket> => {
    const key = creds.deviceKeys.get(stationId);
    // Without a device key an operator token is the only credential left; the server decides whether /ingest takes it.
    const auth = key ? { deviceKey: key } : creds.token ? { token: creds.token } : {};
    const socket = io(`${baseUrl.replace(/\/+$/, '')}/ingest`, { auth, transports: ['websocket'], reconnectionAttempts: 5 });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (err: Error) => {
        socket.close();
        reject(new TransportError(`socket /ingest for ${stationId} refused: ${err.message}${key ? '' : `; ${NO_KEY_HINT}`}`));
      });
    });
  };
  const socketFor = (stationId: string): Promise<Socket> => {
    let s = sockets.get(stationId);
    if (!s) {
      s = connect(stationId);
      sockets.set(stationId, s);
    }
    return s;
  };
  const send: SendFn = async (signals) => {
    const result: SendResult = { accepted: 0, duplicates: 0, rejected: [] };
    // Emitted in order on each station's socket; socket.io keeps per-connection order, so the fold sees them in time order.
    await Promise.all(
      signals.map(async (signal, index) => {
        const socket = await socketFor(signal.stationId);
        let ack: IngestAck;
        try {
          ack = (await socket.timeout(ackTimeoutMs).emitWithAck('signal', signal)) as IngestAck;
        } catch {
          result.rejected.push({ index, error: `no ack within ${ackTimeoutMs} ms` });
          return;
        }
        if (ack.ok) {
          if (ack.duplicate) result.duplicates += 1;
          else result.accepted += 1;
        } else {
          result.rejected.push({ index, error: typeof ack.error === 'string' ? ack.error : JSON.stringify(ack.error) });
        }
      }),
    );
    result.rejected.sort((a, b) => a.index - b.index);
    return result;
  };
  const close = () => {
    for (const p of sockets.values()) p.then((s) => s.close()).catch(() => undefined);
  };
  return { send, close };
}
