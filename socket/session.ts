// Access that ends while a socket is open. The handshake checks credentials once; from then on:
// - a user's socket is judged before every event from what is in memory (token expiry, account
//   disabled, role changed, password changed), and closed when its token expires (a timer) or when
//   the account changes (Revocations); `auth:renew` { token } swaps in a fresh token for the same user;
// - a device's socket closes as soon as its key is revoked or rotated away.
// A closed socket first gets `auth:revoked` { code, message }, so the client can tell why.
import type { Namespace, Socket } from 'socket.io';
import { sessionEnded, sessionFromToken, type Identity, type IngestActor, type PublicUser } from '../services/access/index.js';
import { AppError } from '../services/platform/index.js';

export interface SocketSession {
  userId: string;
  role: string;
  sv: number;
  expMs: number;
}

/**
 * Each socket's expiry timer, beside the socket rather than in `socket.data`: with several instances
 * `socket.data` is stored in Redis when a dashboard drops (connection-state recovery), so it holds data only.
 */
const expiryTimers = new WeakMap<Socket, NodeJS.Timeout>();

export interface SocketEnd {
  code: string;
  message: string;
}

/** Sockets one user or device key may hold open at once (a console uses two; tabs and devices add up). */
export const MAX_SOCKETS_PER_SUBJECT = 20;

/** setTimeout's ceiling (about 24.8 days); a later expiry is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Tells the client why, then closes the socket. */
export function endSocket(socket: Socket, end: SocketEnd): void {
  if (!socket.connected) return;
  socket.emit('auth:revoked', end);
  socket.disconnect(true);
}

/** What the handshake found, kept on the socket for the checks that follow. */
export function openSession(socket: Socket, user: PublicUser, sv: number, expMs: number): void {
  socket.data.session = { userId: user.id, role: user.role, sv, expMs } satisfies SocketSession;
}

function arm(socket: Socket, s: Identity): void {
  const session = socket.data.session as SocketSession | undefined;
  if (!session) return;
  clearTimeout(expiryTimers.get(socket));
  const wait = Math.min(MAX_TIMER_MS, Math.max(0, session.expMs - Date.now()));
  const timer = setTimeout(() => {
    const end = sessionEnded(session, s.users, Date.now());
    if (end) endSocket(socket, end);
    else arm(socket, s);
  }, wait);
  timer.unref();
  expiryTimers.set(socket, timer);
}

function check(socket: Socket, s: Identity): SocketEnd | null {
  const session = socket.data.session as SocketSession | undefined;
  return session ? sessionEnded(session, s.users, Date.now()) : null;
}

/**
 * Open sockets per user (or device key), across namespaces: a client that reconnects in a loop, or
 * opens thousands, is refused past the cap rather than held. Entries leave with their last socket.
 */
export class SocketQuota {
  private readonly open = new Map<string, number>();

  constructor(readonly maxPerSubject: number) {}

  /** Subjects with sockets open (for tests and metrics). */
  get subjects(): number {
    return this.open.size;
  }

  take(subject: string): boolean {
    const n = this.open.get(subject) ?? 0;
    if (n >= this.maxPerSubject) return false;
    this.open.set(subject, n + 1);
    return true;
  }

  release(subject: string): void {
    const n = (this.open.get(subject) ?? 1) - 1;
    if (n <= 0) this.open.delete(subject);
    else this.open.set(subject, n);
  }
}

export interface SocketLimits {
  quota: SocketQuota;
  /** Events one socket may send per second; past it they are refused (ack RATE_LIMITED), not queued. */
  eventsPerS: number;
}

function subjectOf(socket: Socket): string | null {
  const session = socket.data.session as SocketSession | undefined;
  if (session) return `user:${session.userId}`;
  const actor = socket.data.actor as IngestActor | undefined;
  return actor?.kind === 'device' ? `key:${actor.key.keyId}` : null;
}

function refuseEvent(packet: unknown[], error: SocketEnd & { details?: unknown[] }): void {
  const ack = packet[packet.length - 1];
  if (typeof ack === 'function') (ack as (a: unknown) => void)({ ok: false, error: { details: [], ...error } });
}

/**
 * Every socket of the namespace that carries a user session is checked before each event and
 * closed at expiry or when its account changes. Device sockets (ingest) close when their key is revoked.
 * Sockets per user or key are capped, and so are events per socket and second.
 */
export function guardSessions(ns: Namespace, s: Identity, limits: SocketLimits): void {
  // Runs after the namespace's credential check, which names the subject.
  ns.use((socket, next) => {
    const subject = subjectOf(socket);
    if (subject === null || limits.quota.take(subject)) {
      socket.data.quotaSubject = subject;
      return next();
    }
    const message = `at most ${limits.quota.maxPerSubject} sockets may be open at once per user or device key; close some first`;
    next(Object.assign(new Error(message), { data: { code: 'TOO_MANY_CONNECTIONS', message } }));
  });
  ns.on('connection', (socket) => {
    let windowStart = 0;
    let events = 0;
    socket.use((packet, next) => {
      const end = check(socket, s);
      if (end) {
        refuseEvent(packet, { ...end, details: [{ field: 'token' }] });
        return endSocket(socket, end);
      }
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        events = 0;
      }
      if (++events > limits.eventsPerS)
        return refuseEvent(packet, { code: 'RATE_LIMITED', message: `at most ${limits.eventsPerS} events per second on this socket` });
      next();
    });
    socket.on('disconnect', () => {
      const subject = socket.data.quotaSubject as string | null | undefined;
      if (subject) limits.quota.release(subject);
    });
    arm(socket, s);
    socket.on('disconnect', () => clearTimeout(expiryTimers.get(socket)));
    socket.on('auth:renew', (payload: unknown, cb: unknown) => {
      const ack = typeof cb === 'function' ? (cb as (a: unknown) => void) : () => undefined;
      const session = socket.data.session as SocketSession | undefined;
      const token = (payload as { token?: unknown } | null)?.token;
      if (!session) return ack({ ok: false, error: { code: 'NOT_A_USER_SESSION', message: 'this socket uses a device key', details: [] } });
      if (typeof token !== 'string' || token.length > 4096)
        return ack({
          ok: false,
          error: { code: 'VALIDATION_FAILED', message: '"token" must be an access token', details: [{ field: 'token' }] },
        });
      sessionFromToken(token, s).then(
        ({ user, sv, expMs }) => {
          if (user.id !== session.userId || user.role !== session.role)
            return ack({
              ok: false,
              error: { code: 'INVALID_TOKEN', message: 'the token names another user', details: [{ field: 'token' }] },
            });
          Object.assign(session, { sv, expMs });
          arm(socket, s);
          ack({ ok: true, expiresAt: new Date(expMs).toISOString() });
        },
        (err: unknown) =>
          ack({
            ok: false,
            error:
              err instanceof AppError
                ? err.toBody().error
                : { code: 'INVALID_TOKEN', message: 'the access token is not valid', details: [] },
          }),
      );
    });
  });
  s.revocations?.on('user', (userId) => {
    for (const socket of ns.sockets.values()) {
      if ((socket.data.session as SocketSession | undefined)?.userId !== userId) continue;
      const end = check(socket, s);
      if (end) endSocket(socket, end);
    }
  });
  s.revocations?.on('deviceKeys', (_stationId, keyIds) => {
    const revoked = new Set(keyIds);
    for (const socket of ns.sockets.values()) {
      const actor = socket.data.actor as IngestActor | undefined;
      if (actor?.kind === 'device' && revoked.has(actor.key.keyId))
        endSocket(socket, { code: 'DEVICE_KEY_REVOKED', message: `device key ${actor.key.keyId} was revoked` });
    }
  });
}
