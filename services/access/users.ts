// Users: who may do what (role) where (station scope). Kept in memory as well: few, read on
// every request, changed rarely and only through this service.
import { randomUUID } from 'node:crypto';
import Joi from 'joi';
import type { Models, Role, UserDoc } from '../../models/index.js';
import { AppError } from '../platform/index.js';
import type { SessionSubject } from './tokens.js';
import type { Revocations } from './revocations.js';
import { dummyHash, generatePassword, hashPassword, verifyPassword } from './passwords.js';

export interface PublicUser {
  id: string;
  email: string;
  role: Role;
  stationScope: string[] | 'all';
  disabled: boolean;
  mustChangePassword: boolean;
}

export const ROLES: Role[] = ['admin', 'operator', 'auditor'];

/**
 * Emails are compared as NFKC, trimmed, lowercase ASCII. Anything else (homoglyphs, zero-width or
 * right-to-left characters, internationalised addresses) is refused with a clear error rather than
 * normalised into something that might collide with another account.
 */
/** How an email is compared (and counted by the sign-in rate limits). */
export function emailKey(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

export function normaliseEmail(raw: unknown): string {
  if (typeof raw !== 'string') throw new AppError(400, 'VALIDATION_FAILED', '"email" must be a string', [{ field: 'email' }]);
  const email = emailKey(raw);
  if (!/^[\x21-\x7e]+$/.test(email))
    throw new AppError(400, 'VALIDATION_FAILED', '"email" must use printable ASCII characters only', [{ field: 'email' }]);
  if (Joi.string().email({ tlds: false }).max(254).validate(email).error)
    throw new AppError(400, 'VALIDATION_FAILED', '"email" must be a valid email address', [{ field: 'email' }]);
  return email;
}

export const PASSWORD_RULE = Joi.string().min(12).max(256);

function toPublic(u: UserDoc): PublicUser {
  return {
    id: u.userId,
    email: u.email,
    role: u.role,
    stationScope: u.stationScope,
    disabled: u.disabled,
    mustChangePassword: u.mustChangePassword,
  };
}

export class UserService {
  private readonly byId = new Map<string, UserDoc>();

  constructor(
    private readonly models: Models,
    /** Told when a user is disabled or changes their password, once stored: their open sockets close. */
    private readonly revocations?: Revocations,
  ) {}

  async load(): Promise<void> {
    for (const u of await this.models.User.find({}).lean<UserDoc[]>()) this.byId.set(u.userId, u);
  }

  get count(): number {
    return this.byId.size;
  }

  get(id: string): PublicUser | null {
    const u = this.byId.get(id);
    return u ? toPublic(u) : null;
  }

  /** What a session of the user is issued with; null for an unknown or disabled user (no session). */
  sessionOf(id: string): SessionSubject | null {
    const u = this.byId.get(id);
    return u && !u.disabled ? { id: u.userId, role: u.role, sessionVersion: u.sessionVersion ?? 0 } : null;
  }

  /** The user's session version (0 before any password change); null for an unknown user. */
  sessionVersionOf(id: string): number | null {
    const u = this.byId.get(id);
    return u ? (u.sessionVersion ?? 0) : null;
  }

  list(): PublicUser[] {
    return [...this.byId.values()].map(toPublic);
  }

  async create(input: {
    email: unknown;
    password?: string | null;
    role: Role;
    stationScope: string[] | 'all';
  }): Promise<{ user: PublicUser; password: string | null }> {
    const email = normaliseEmail(input.email);
    if ([...this.byId.values()].some((u) => u.email === email))
      throw new AppError(409, 'USER_EXISTS', `a user with email ${email} exists`, [{ field: 'email' }]);
    const generated = input.password ? null : generatePassword();
    const doc: UserDoc = {
      userId: randomUUID(),
      email,
      passwordHash: await hashPassword(input.password ?? generated!),
      role: input.role,
      stationScope: input.stationScope,
      disabled: false,
      mustChangePassword: generated !== null,
    };
    await this.models.User.collection.insertOne({ ...doc, createdAt: new Date(), updatedAt: new Date() });
    this.byId.set(doc.userId, doc);
    return { user: toPublic(doc), password: generated };
  }

  /** The user for these credentials, or null; costs the same time whether or not the account exists. */
  async authenticate(rawEmail: unknown, password: string): Promise<PublicUser | null> {
    let email: string;
    try {
      email = normaliseEmail(rawEmail);
    } catch {
      await verifyPassword(password, await dummyHash());
      return null;
    }
    const u = [...this.byId.values()].find((x) => x.email === email);
    const ok = await verifyPassword(password, u?.passwordHash ?? (await dummyHash()));
    return u && ok && !u.disabled ? toPublic(u) : null;
  }

  findByEmail(rawEmail: unknown): PublicUser | null {
    const email = normaliseEmail(rawEmail);
    const u = [...this.byId.values()].find((x) => x.email === email);
    return u ? toPublic(u) : null;
  }

  /**
   * A new password, and a new session version: every access token issued before is refused from now
   * on (the caller ends the refresh tokens too). Answers the session the caller may go on with.
   */
  async setPassword(id: string, password: string): Promise<SessionSubject> {
    const u = this.byId.get(id);
    if (!u) throw new AppError(404, 'UNKNOWN_USER', `user ${id} does not exist`, [{ field: 'id' }]);
    const passwordHash = await hashPassword(password);
    const sessionVersion = (u.sessionVersion ?? 0) + 1;
    await this.models.User.updateOne({ userId: id }, { $set: { passwordHash, mustChangePassword: false, sessionVersion } });
    Object.assign(u, { passwordHash, mustChangePassword: false, sessionVersion });
    this.revocations?.userChanged(id);
    return { id, role: u.role, sessionVersion };
  }

  /** Undoes a creation whose admin record could not be written (see the admin workflows). */
  async remove(id: string): Promise<void> {
    await this.models.User.deleteOne({ userId: id });
    this.byId.delete(id);
  }

  async setDisabled(id: string, disabled: boolean): Promise<PublicUser> {
    const u = this.byId.get(id);
    if (!u) throw new AppError(404, 'UNKNOWN_USER', `user ${id} does not exist`, [{ field: 'id' }]);
    await this.models.User.updateOne({ userId: id }, { $set: { disabled } });
    u.disabled = disabled;
    if (disabled) this.revocations?.userChanged(id);
    return toPublic(u);
  }

  /**
   * On a fresh database: the first admin, from ADMIN_EMAIL / ADMIN_PASSWORD, or with a generated
   * password the caller prints once. Nothing when users exist.
   */
  async ensureFirstAdmin(email: string | null, password: string | null): Promise<{ email: string; password: string | null } | null> {
    if (this.byId.size > 0) return null;
    const { user, password: generated } = await this.create({
      email: email ?? 'admin@localhost.localdomain',
      password,
      role: 'admin',
      stationScope: 'all',
    });
    return { email: user.email, password: generated };
  }
}
