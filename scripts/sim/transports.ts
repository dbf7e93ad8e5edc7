// The simulator's two ways into a running server, per API.md: REST batches to
// POST /api/data/signals and per-signal acks on the Socket.io /ingest namespace.
import { io, type Socket } from 'socket.io-client';
import type { Signal, StationRegistration } from '../../eventBus/types.js';
import type { Rejection, SendFn, SendResult } from '../../simulator/run.js';

/** A failure the operator can act on; the CLI prints `message` and exits non-zero. */
export class TransportError extends Error {}

export interface Credentials {
  /** Operator/admin access token, sent as `Authorization: Bearer`; lets one REST batch carry many stations. */
  token?: string;
  /** From a login: renews `token` when the server answers 401 TOKEN_EXPIRED. */
  refreshToken?: string;
  /** Signs in again when the token expired and cannot be refreshed (a --token given alongside --email/--password). */
  login?: { email: string; password: string };
  /** stationId to device key, from POST /api/stations answers or a saved keys file. */
  deviceKeys: Map<string, string>;
}

export const NEEDS_CREDENTIALS =
  'the server needs credentials: pass --email/--password or --token (or set COPILOT_EMAIL/COPILOT_PASSWORD or COPILOT_TOKEN)';

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
  return typeof body === 'string' ? body.slice(0, 200) : (JSON.stringify(body)?.slice(0, 200) ?? '');
}

function apiUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/api${path}`;
}

function errorCode(body: unknown): string | undefined {
  const e = (body as { error?: { code?: unknown } } | null)?.error;
  return e && typeof e === 'object' && typeof e.code === 'string' ? e.code : undefined;
}

/** A 401/403 as a message the operator can act on: what was refused, with which credential, and what to pass. */
function refused(what: string, res: HttpAnswer, sent: 'nothing' | 'token' | 'device key', needs: string): TransportError {
  const code = errorCode(res.body);
  const detail = `${what} answered ${res.status}${code ? ` ${code}` : ''}: ${describe(res.body)}`;
  if (sent === 'nothing') return new TransportError(`${NEEDS_CREDENTIALS} (${detail})`);
  if (res.status === 403) return new TransportError(`the signed-in account may not do this, ${needs} (${detail})`);
  if (sent === 'device key')
    return new TransportError(
      `the server refused the device key (${detail}); pass --email/--password or --token, or drop the stale --keys file`,
    );
  return new TransportError(`the server refused the access token (${detail}); pass --email/--password or a fresh --token`);
}

export interface Tokens {
  token: string;
  refreshToken?: string;
}

export async function login(baseUrl: string, email: string, password: string): Promise<Tokens> {
  const res = await request(apiUrl(baseUrl, '/auth/login'), { method: 'POST', body: { email, password } });
  const b = res.body as { accessToken?: unknown; refreshToken?: unknown; user?: { mustChangePassword?: unknown } } | null;
  if (res.status !== 200 || typeof b?.accessToken !== 'string')
    throw new TransportError(`login as ${email} failed (${res.status}): ${describe(res.body)}`);
  if (b.user?.mustChangePassword === true)
    throw new TransportError(
      `${email} still has the generated password, which is good only for choosing another: POST /api/auth/password { currentPassword, newPassword } first`,
    );
  return { token: b.accessToken, refreshToken: typeof b.refreshToken === 'string' ? b.refreshToken : undefined };
}

// One renewal at a time per session: refresh tokens rotate, and reusing one revokes the whole session.
const renewing = new WeakMap<Credentials, Promise<void>>();

/** Replaces an expired access token: refresh first, a fresh login second. */
async function renew(baseUrl: string, creds: Credentials, stale: string): Promise<void> {
  let pending = renewing.get(creds);
  if (!pending) {
    if (creds.token !== stale) return; // another request renewed it already
    pending = (async () => {
      if (creds.refreshToken) {
        const res = await request(apiUrl(baseUrl, '/auth/refresh'), { method: 'POST', body: { refreshToken: creds.refreshToken } });
        const b = res.body as { accessToken?: unknown; refreshToken?: unknown } | null;
        if (res.status === 200 && typeof b?.accessToken === 'string') {
          creds.token = b.accessToken;
          creds.refreshToken = typeof b.refreshToken === 'string' ? b.refreshToken : undefined;
          return;
        }
        creds.refreshToken = undefined;
      }
      if (creds.login) {
        Object.assign(creds, await login(baseUrl, creds.login.email, creds.login.password));
        return;
      }
      throw new TransportError('the access token expired and cannot be renewed: pass a fresh --token, or --email/--password');
    })().finally(() => renewing.delete(creds));
    renewing.set(creds, pending);
  }
  await pending;
}

/** A request with the session's Bearer token (if any), renewed once when the server says it expired. */
async function authed(
  baseUrl: string,
  creds: Credentials,
  url: string,
  init: { method: string; body?: unknown },
): Promise<{ res: HttpAnswer; sent: 'nothing' | 'token' }> {
  for (let renewed = false; ; renewed = true) {
    const token = creds.token;
    const res = await request(url, { ...init, headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (token && !renewed && res.status === 401 && errorCode(res.body) === 'TOKEN_EXPIRED') {
      await renew(baseUrl, creds, token);
      continue;
    }
    return { res, sent: token ? 'token' : 'nothing' };
  }
}

/** POST /api/stations for each station; 409 means registered by an earlier run, which is fine. */
export function stationRegistrar(baseUrl: string, creds: Credentials): (stations: StationRegistration[]) => Promise<void> {
  return async (stations) => {
    for (const station of stations) {
      const { res, sent } = await authed(baseUrl, creds, apiUrl(baseUrl, '/stations'), { method: 'POST', body: station });
      if (res.status === 409) continue;
      if (res.status === 401 || res.status === 403)
        throw refused(`POST /api/stations (registering ${station.id})`, res, sent, 'registering stations needs an admin');
      if (res.status !== 200 && res.status !== 201)
        throw new TransportError(`registering ${station.id} failed (${res.status}): ${describe(res.body)}`);
      const key = (res.body as { deviceKey?: unknown } | null)?.deviceKey;
      if (typeof key === 'string') creds.deviceKeys.set(station.id, key);
    }
  };
}

function parseBatchAnswer(res: HttpAnswer, size: number): SendResult {
  if (res.status === 202 || res.status === 200) {
    const b = res.body as Partial<SendResult> | null;
    return {
      accepted: b?.accepted ?? 0,
      duplicates: b?.duplicates ?? 0,
      rejected: Array.isArray(b?.rejected) ? b.rejected.map(normalizeRejection) : [],
    };
  }
  // A whole batch refused (e.g. 400 on the body): count every signal as rejected with the reason.
  const error = `${res.status}: ${describe(res.body)}`;
  return { accepted: 0, duplicates: 0, rejected: Array.from({ length: size }, (_, index) => ({ index, error })) };
}

function normalizeRejection(r: { index: number; error: unknown }): Rejection {
  return { index: r.index, error: typeof r.error === 'string' ? r.error : JSON.stringify(r.error) };
}

const SIGNALS_NEED = 'sending signals needs an operator or admin';

/**
 * REST: each station that has a device key gets its own request with `X-Device-Key` (a key speaks
 * for one station only); the rest of the batch goes in one request with the Bearer token, if any.
 */
export function restSender(baseUrl: string, creds: Credentials): SendFn {
  const url = apiUrl(baseUrl, '/data/signals');
  const post = async (stationId: string | null, signals: Signal[]): Promise<SendResult> => {
    const key = stationId === null ? undefined : creds.deviceKeys.get(stationId);
    if (key !== undefined && stationId !== null) {
      const res = await request(url, { method: 'POST', headers: { 'x-device-key': key }, body: { signals } });
      if ((res.status === 401 || res.status === 403) && creds.token) {
        // A key from an older run's keys file (the server's database was reset, say): the token still speaks for the station.
        creds.deviceKeys.delete(stationId);
        return post(null, signals);
      }
      if (res.status === 401 || res.status === 403)
        throw refused(`POST /api/data/signals with ${stationId}'s device key`, res, 'device key', SIGNALS_NEED);
      return parseBatchAnswer(res, signals.length);
    }
    const { res, sent } = await authed(baseUrl, creds, url, { method: 'POST', body: { signals } });
    if (res.status === 401 || res.status === 403) throw refused('POST /api/data/signals', res, sent, SIGNALS_NEED);
    return parseBatchAnswer(res, signals.length);
  };
  return async (signals) => {
    const groups = new Map<string | null, number[]>();
    signals.forEach((s, i) => {
      const group = creds.deviceKeys.has(s.stationId) ? s.stationId : null;
      groups.set(group, [...(groups.get(group) ?? []), i]);
    });
    const total: SendResult = { accepted: 0, duplicates: 0, rejected: [] };
    await Promise.all(
      [...groups].map(async ([stationId, indexes]) => {
        const r = await post(
          stationId,
          indexes.map((i) => signals[i]!),
        );
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

/** What a refused handshake said: socket.io puts the middleware's Error message in `message` and its `data` beside it. */
function handshakeCode(err: Error & { data?: unknown }): string {
  const d = err.data as { code?: unknown; error?: { code?: unknown } } | undefined;
  const code = d?.code ?? d?.error?.code;
  return typeof code === 'string' ? code : /expired/i.test(err.message) ? 'TOKEN_EXPIRED' : '';
}

/**
 * Socket.io /ingest, one ack per signal. With a token, one connection carries every station
 * (a connection per station would be 1,000 sockets); without one, each station that has a
 * device key gets its own connection, and the rest share one without credentials.
 */
export function socketSender(baseUrl: string, creds: Credentials, ackTimeoutMs = 15_000): { send: SendFn; close(): void } {
  const sockets = new Map<string, Promise<Socket>>();
  const connect = (name: string, auth: () => Record<string, string>, what: string): Promise<Socket> => {
    // auth as a function: a reconnect after a renewal carries the current token.
    const socket = io(`${baseUrl.replace(/\/+$/, '')}/ingest`, {
      auth: (cb) => cb(auth()),
      transports: ['websocket'],
      reconnectionAttempts: 5,
    });
    let renewed = false;
    return new Promise((resolve, reject) => {
      const onError = (err: Error & { data?: unknown }) => {
        const token = creds.token;
        if (name === 'token' && token && !renewed && handshakeCode(err) === 'TOKEN_EXPIRED') {
          renewed = true;
          renew(baseUrl, creds, token).then(
            () => socket.connect(),
            (e: unknown) => {
              socket.close();
              reject(e instanceof Error ? e : new TransportError(String(e)));
            },
          );
          return;
        }
        socket.off('connect_error', onError);
        socket.close();
        const hint =
          name === 'anonymous'
            ? NEEDS_CREDENTIALS
            : name === 'token'
              ? 'pass --email/--password or a fresh --token'
              : 'pass --email/--password or --token, or drop the stale --keys file';
        reject(new TransportError(`socket /ingest ${what} refused: ${err.message}; ${hint}`));
      };
      socket.on('connect_error', onError);
      // Once connected, socket.io's own reconnection handles a restarting server.
      socket.once('connect', () => {
        socket.off('connect_error', onError);
        resolve(socket);
      });
    });
  };
  const socketFor = (stationId: string): Promise<Socket> => {
    const key = creds.token ? undefined : creds.deviceKeys.get(stationId);
    const name = creds.token ? 'token' : key !== undefined ? `key:${stationId}` : 'anonymous';
    let s = sockets.get(name);
    if (!s) {
      if (name === 'token') s = connect(name, () => ({ token: creds.token ?? '' }), 'with the access token');
      else if (key !== undefined) s = connect(name, () => ({ deviceKey: key }), `for ${stationId} with its device key`);
      else s = connect(name, () => ({}), 'without credentials');
      sockets.set(name, s);
    }
    return s;
  };
  const send: SendFn = async (signals) => {
    const result: SendResult = { accepted: 0, duplicates: 0, rejected: [] };
    // socket.io keeps per-connection order, so each station's signals reach the fold in time order.
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
