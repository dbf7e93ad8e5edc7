// Who a bearer token names and what they may see: shared by REST (middlewares/auth.ts) and the
// socket handshakes, so both refuse the same tokens for the same reasons.
import { AppError } from '../platform/index.js';
import type { PublicUser, UserService } from './users.js';
import type { TokenService } from './tokens.js';

export type Identity = { tokens: Pick<TokenService, 'verify'>; users: Pick<UserService, 'get'> };

/** The user a Bearer token names, if the token is valid and the user still exists, is enabled and has that role. */
export async function userFromToken(token: string, s: Identity): Promise<PublicUser> {
  const claims = await s.tokens.verify(token);
  const user = s.users.get(claims.sub);
  // A disabled user, or one whose role changed, loses the tokens issued before.
  if (!user || user.disabled || user.role !== claims.role)
    throw new AppError(401, 'INVALID_TOKEN', 'the access token is not valid', [{ field: 'authorization' }]);
  return user;
}

/** Whether the user may see the station. Out-of-scope ids are answered as unknown (404), so ids cannot be probed. */
export function inScope(user: PublicUser, stationId: string): boolean {
  return user.stationScope === 'all' || user.stationScope.includes(stationId);
}
