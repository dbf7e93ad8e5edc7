// Who a bearer token names and what they may see: shared by REST (middlewares/auth.ts) and the
// socket handshakes, so both refuse the same tokens for the same reasons.
import { AppError } from '../platform/index.js';
import type { PublicUser, UserService } from './users.js';
import type { TokenService } from './tokens.js';
import type { Revocations } from './revocations.js';

export type Identity = {
  tokens: Pick<TokenService, 'verify'>;
  users: Pick<UserService, 'get' | 'sessionVersionOf'>;
  /** Where account and key changes are announced (socket namespaces close what they end). */
  revocations?: Revocations;
};

/** A token's user, the session version it was issued under, and when it expires (ms since the epoch). */
export interface TokenUser {
  user: PublicUser;
  sv: number;
  expMs: number;
}

/**
 * The user a Bearer token names, if the token is valid and the user still exists, is enabled, has
 * that role and has not changed their password since the token was issued.
 */
export async function sessionFromToken(token: string, s: Identity): Promise<TokenUser> {
  const claims = await s.tokens.verify(token);
  const user = s.users.get(claims.sub);
  // A disabled user, one whose role changed, or one who changed their password loses the tokens issued before.
  if (!user || user.disabled || user.role !== claims.role || s.users.sessionVersionOf(user.id) !== claims.sv)
    throw new AppError(401, 'INVALID_TOKEN', 'the access token is not valid', [{ field: 'authorization' }]);
  return { user, sv: claims.sv, expMs: claims.expMs };
}

export async function userFromToken(token: string, s: Identity): Promise<PublicUser> {
  return (await sessionFromToken(token, s)).user;
}

/** Whether the user may see the station. Out-of-scope ids are answered as unknown (404), so ids cannot be probed. */
export function inScope(user: PublicUser, stationId: string): boolean {
  return user.stationScope === 'all' || user.stationScope.includes(stationId);
}

/** The refusal for a user who must choose their own password first (a generated one is not theirs to keep). */
export function passwordChangePending(): AppError {
  return new AppError(
    403,
    'PASSWORD_CHANGE_REQUIRED',
    'choose your own password first: POST /api/auth/password { currentPassword, newPassword }',
    [{ field: 'authorization' }],
  );
}

/** Why a session that was valid once no longer is, judged from what is in memory (no I/O): for open sockets. */
export function sessionEnded(
  session: { userId: string; role: string; sv: number; expMs: number },
  users: Identity['users'],
  nowMs: number,
): { code: string; message: string } | null {
  if (nowMs >= session.expMs) return { code: 'TOKEN_EXPIRED', message: 'the access token has expired; reconnect with a fresh one' };
  const user = users.get(session.userId);
  if (!user || user.disabled) return { code: 'ACCOUNT_DISABLED', message: 'the account was disabled' };
  if (user.role !== session.role) return { code: 'INVALID_TOKEN', message: "the account's role changed; sign in again" };
  if (users.sessionVersionOf(user.id) !== session.sv) return { code: 'SESSION_ENDED', message: 'the password was changed; sign in again' };
  return null;
}
