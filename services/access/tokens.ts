// Sessions: short-lived JWT access tokens (HS256 pinned; typ, iss, aud, exp checked) and opaque
// refresh tokens stored hashed, rotated on each use; a rotated token used again revokes its family.
// An access token names the user's session version (`sv`): a password change raises it, so every
// access token issued before the change is refused (identity.ts).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Models, RefreshTokenDoc, Role } from '../../models/index.js';
import { AppError } from '../platform/index.js';

export const ISSUER = 'station-ops-copilot';
export const AUDIENCE = 'station-ops-copilot-api';
const ALG = 'HS256';
/** RFC 9068's type for JWT access tokens: checked on every token (RFC 8725 3.11), so no other JWT we sign passes as one. */
export const ACCESS_TYP = 'at+jwt';

export interface AccessClaims {
  sub: string;
  role: Role;
  /** The user's session version when the token was issued. */
  sv: number;
  /** Expiry, ms since the epoch: a socket opened with the token ends then unless renewed. */
  expMs: number;
}

/** Who a session is issued to: the role and session version go into every access token. */
export interface SessionSubject {
  id: string;
  role: Role;
  sessionVersion: number;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class TokenService {
  constructor(
    private readonly models: Models,
    private readonly secret: Uint8Array,
    private readonly ttl: { accessS: number; refreshS: number },
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 32) throw new Error('the token secret must be at least 32 bytes');
  }

  async access(userId: string, role: Role, sessionVersion = 0): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    return new SignJWT({ role, sv: sessionVersion })
      .setProtectedHeader({ alg: ALG, typ: ACCESS_TYP })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttl.accessS)
      .setJti(randomUUID())
      .sign(this.secret);
  }

  /** The claims of a valid access token; 401 for anything else (other algorithm, audience, expired, tampered). */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        algorithms: [ALG],
        typ: ACCESS_TYP,
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.now()),
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      const sv = payload.sv ?? 0;
      if (
        typeof payload.sub !== 'string' ||
        !['admin', 'operator', 'auditor'].includes(payload.role as string) ||
        !Number.isSafeInteger(sv) ||
        (sv as number) < 0
      )
        throw new Error('bad claims');
      return { sub: payload.sub, role: payload.role as Role, sv: sv as number, expMs: payload.exp! * 1000 };
    } catch (err) {
      const expired = err instanceof joseErrors.JWTExpired;
      throw new AppError(
        401,
        expired ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN',
        expired ? 'the access token has expired; refresh it' : 'the access token is not valid',
        [{ field: 'authorization' }],
      );
    }
  }

  async issue(user: SessionSubject, familyId: string = randomUUID()): Promise<TokenPair> {
    const userId = user.id;
    const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
    const doc: RefreshTokenDoc = {
      tokenHash: sha256(refreshToken),
      userId,
      familyId,
      expiresAt: new Date(this.now() + this.ttl.refreshS * 1000),
      createdAt: new Date(this.now()),
    };
    await this.models.RefreshToken.collection.insertOne({ ...doc });
    return { accessToken: await this.access(userId, user.role, user.sessionVersion), refreshToken, expiresIn: this.ttl.accessS };
  }

  /** Rotates a refresh token; resolves with the user id and the new pair. */
  async rotate(
    refreshToken: unknown,
    sessionOf: (userId: string) => SessionSubject | null,
  ): Promise<{ userId: string; tokens: TokenPair }> {
    const invalid = () => new AppError(401, 'INVALID_REFRESH_TOKEN', 'the refresh token is not valid', [{ field: 'refreshToken' }]);
    if (typeof refreshToken !== 'string' || refreshToken.length > 200) throw invalid();
    const { RefreshToken } = this.models;
    const doc = await RefreshToken.findOne({ tokenHash: sha256(refreshToken) }).lean<RefreshTokenDoc>();
    if (!doc || doc.revokedAt || doc.expiresAt.getTime() <= this.now()) throw invalid();
    if (doc.rotatedAt) {
      // Someone holds a token that was already exchanged: assume theft, end the whole session.
      await this.revokeFamily(doc.familyId);
      throw new AppError(401, 'REFRESH_TOKEN_REUSED', 'this refresh token was already used; the session is revoked, log in again', [
        { field: 'refreshToken' },
      ]);
    }
    const subject = sessionOf(doc.userId);
    if (!subject) {
      await this.revokeFamily(doc.familyId);
      throw invalid();
    }
    // Only one of two racing rotations wins the update.
    const res = await RefreshToken.updateOne({ tokenHash: doc.tokenHash, rotatedAt: null }, { $set: { rotatedAt: new Date(this.now()) } });
    if (res.modifiedCount !== 1) {
      await this.revokeFamily(doc.familyId);
      throw new AppError(401, 'REFRESH_TOKEN_REUSED', 'this refresh token was already used; the session is revoked, log in again', [
        { field: 'refreshToken' },
      ]);
    }
    return { userId: doc.userId, tokens: await this.issue(subject, doc.familyId) };
  }

  /** Logout: the token's whole family stops working. Unknown tokens are ignored (nothing to reveal). */
  async revoke(refreshToken: unknown): Promise<void> {
    if (typeof refreshToken !== 'string') return;
    const doc = await this.models.RefreshToken.findOne({ tokenHash: sha256(refreshToken) }).lean<RefreshTokenDoc>();
    if (doc) await this.revokeFamily(doc.familyId);
  }

  /** Every session of the user ends: their refresh tokens stop working (a password change, an account disabled). */
  async revokeUser(userId: string): Promise<void> {
    await this.models.RefreshToken.updateMany({ userId, revokedAt: null }, { $set: { revokedAt: new Date(this.now()) } });
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.models.RefreshToken.updateMany({ familyId, revokedAt: null }, { $set: { revokedAt: new Date(this.now()) } });
  }
}
