// Who is calling: a Bearer access token resolved to a current, enabled user; and what they may do.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { passwordChangePending, userFromToken, type Identity, type PublicUser, type Role } from '../services/access/index.js';
import { AppError } from '../services/platform/index.js';

declare module 'express-serve-static-core' {
  interface Request {
    user?: PublicUser;
  }
}

/** What a user who must first choose their own password may still do (paths under /api). */
const BEFORE_PASSWORD_CHANGE = new Set(['/auth/me', '/auth/password', '/auth/logout']);

/**
 * Sets req.user when an Authorization header is present; rejects a bad one. Routes decide whether a
 * user is required. A user with a generated password (mustChangePassword) may only change it.
 */
export function authenticate(s: Identity): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (header === undefined) return next();
    const m = /^Bearer ([A-Za-z0-9_\-.]{1,4096})$/.exec(header);
    if (!m)
      return next(
        new AppError(401, 'INVALID_TOKEN', 'the Authorization header must be "Bearer <access token>"', [{ field: 'authorization' }]),
      );
    try {
      const user = await userFromToken(m[1], s);
      if (user.mustChangePassword && !BEFORE_PASSWORD_CHANGE.has(req.path)) return next(passwordChangePending());
      req.user = user;
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** Lets through signed-in users with one of `roles` (an admin may do everything). */
export function requireRole(...roles: Role[]): RequestHandler & { readonly roles: readonly Role[] } {
  const guard = (req: Request, _res: Response, next: NextFunction) => {
    if (!req.user)
      return next(
        new AppError(401, 'AUTH_REQUIRED', 'sign in first: send "Authorization: Bearer <access token>"', [{ field: 'authorization' }]),
      );
    if (req.user.role !== 'admin' && !roles.includes(req.user.role))
      return next(new AppError(403, 'FORBIDDEN', `this needs the ${roles.join(' or ')} role`, [{ field: 'authorization' }]));
    next();
  };
  // The roles stay readable on the middleware, so a test can hold each route's guard against the roles its OpenAPI entry states.
  return Object.assign(guard, { roles });
}
