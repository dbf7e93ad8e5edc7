// Who is on the other end of a socket: checked once, at the handshake (io.of(ns).use).
// Credentials come in handshake.auth ({ token } or { deviceKey }); non-browser clients may send
// the same as Authorization / X-Device-Key headers.
import type { Socket } from 'socket.io';
import {
  passwordChangePending,
  sessionFromToken,
  type IngestActor,
  type Identity,
  type Role,
  type SignalGate,
  type TokenUser,
} from '../services/access/index.js';
import { AppError } from '../services/platform/index.js';
import { openSession } from './session.js';

type Next = (err?: Error) => void;

function refuse(next: Next, code: string, message: string): void {
  next(Object.assign(new Error(message), { data: { code, message } }));
}

function credential(socket: Socket, authKey: 'token' | 'deviceKey', header: string): string | null {
  const fromAuth = (socket.handshake.auth as Record<string, unknown> | undefined)?.[authKey];
  if (typeof fromAuth === 'string' && fromAuth) return fromAuth;
  const h = socket.handshake.headers[header];
  if (typeof h !== 'string') return null;
  return header === 'authorization' ? (/^Bearer (\S+)$/.exec(h)?.[1] ?? null) : h;
}

/** The token's user (refused while they must choose their own password), kept on the socket for the checks that follow. */
async function sessionOf(socket: Socket, s: Identity): Promise<TokenUser | null> {
  const token = credential(socket, 'token', 'authorization');
  if (!token) return null;
  const session = await sessionFromToken(token, s);
  if (session.user.mustChangePassword) throw passwordChangePending();
  openSession(socket, session.user, session.sv, session.expMs);
  return session;
}

/** Signed-in users with one of `roles` (admins always); sets socket.data.user. */
export function requireSocketUser(s: Identity, ...roles: Role[]) {
  return (socket: Socket, next: Next): void => {
    sessionOf(socket, s).then(
      (session) => {
        const user = session?.user;
        if (!user) return refuse(next, 'AUTH_REQUIRED', 'connect with auth: { token: <access token> }');
        if (user.role !== 'admin' && !roles.includes(user.role))
          return refuse(next, 'FORBIDDEN', `this namespace needs the ${roles.join(' or ')} role`);
        socket.data.user = user;
        next();
      },
      (err: unknown) =>
        refuse(
          next,
          err instanceof AppError ? err.code : 'INVALID_TOKEN',
          err instanceof AppError ? err.message : 'the access token is not valid',
        ),
    );
  };
}

/** A station's device key, or an operator's token; sets socket.data.actor. */
export function requireIngestActor(s: Identity, gate: SignalGate) {
  return (socket: Socket, next: Next): void => {
    const key = credential(socket, 'deviceKey', 'x-device-key');
    const run = async (): Promise<IngestActor> => gate.resolve(key, key ? null : (await sessionOf(socket, s))?.user);
    run().then(
      (actor) => {
        socket.data.actor = actor;
        next();
      },
      (err: unknown) =>
        refuse(next, err instanceof AppError ? err.code : 'INVALID_TOKEN', err instanceof AppError ? err.message : 'credentials not valid'),
    );
  };
}
