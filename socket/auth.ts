// Who is on the other end of a socket: checked once, at the handshake (io.of(ns).use).
// Credentials come in handshake.auth ({ token } or { deviceKey }); non-browser clients may send
// the same as Authorization / X-Device-Key headers.
import type { Socket } from 'socket.io';
import { userFromToken, type IngestActor, type Identity, type PublicUser, type Role, type SignalGate } from '../services/access/index.js';
import { AppError } from '../services/platform/index.js';

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

async function userOf(socket: Socket, s: Identity): Promise<PublicUser | null> {
  const token = credential(socket, 'token', 'authorization');
  return token ? userFromToken(token, s) : null;
}

/** Signed-in users with one of `roles` (admins always); sets socket.data.user. */
export function requireSocketUser(s: Identity, ...roles: Role[]) {
  return (socket: Socket, next: Next): void => {
    userOf(socket, s).then(
      (user) => {
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
    const run = async (): Promise<IngestActor> => gate.resolve(key, key ? null : await userOf(socket, s));
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
