// One-time sign-in codes: 6 digits, 5 minutes, single use, 5 attempts, stored as a keyed hash,
// delivered through a channel passed in. Nothing it answers tells whether an account exists.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { Types, type Model } from 'mongoose';
import type { Logger } from 'pino';
import type { NotificationDoc, UserDoc } from '../../models/index.js';
import type { OtpCodeDoc } from '../../models/otpCode.js';
import { AppError } from '../platform/index.js';
import { normaliseEmail } from './users.js';

/** Sends a code to its user (in-app notification now; e-mail later). Only the channel may see the code. */
export type OtpDeliver = (email: string, code: string, user: { id: string }) => Promise<void>;

export interface OtpServiceOptions {
  otpCodes: Model<OtpCodeDoc>;
  users: Model<UserDoc>;
  /**
   * Keys the code hashes; at least 32 bytes, never stored in the database (env or the data folder).
   * A code has only 10^6 values, so an unkeyed hash (even scrypt) of it is reversed from a database dump
   * by trying them all; with HMAC under a secret kept elsewhere the dump alone reveals nothing, and
   * checking stays cheap, so verification attempts cannot be turned into a CPU denial of service.
   */
  secret: Buffer;
  deliver: OtpDeliver;
  now: () => Date;
  onError(err: unknown): void;
  ttlMs: number;
  maxAttempts: number;
  /** At most `max` codes per email per window; beyond it requests are answered as usual but send nothing. */
  requestLimit: { max: number; windowMs: number };
}

export const OTP_DEFAULTS = { ttlMs: 5 * 60_000, maxAttempts: 5, requestLimit: { max: 5, windowMs: 15 * 60_000 } } as const;

const CODE_PATTERN = /^[0-9]{6}$/;
/** What a guess is compared with when there is no code: as long as a real hash, never equal to one. */
const NO_CODE = Buffer.alloc(32);

function invalidCode(): AppError {
  // One answer for a wrong, expired, used or exhausted code and for an unknown email.
  return new AppError(401, 'INVALID_CODE', 'the code is not valid; request a new one', [{ field: 'code' }]);
}

export class OtpService {
  /** The issuing still to finish, per email: one email's requests run one after another, so a burst cannot pass the limit. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly opts: OtpServiceOptions) {
    if (opts.secret.length < 32) throw new Error('OtpService: the secret must be at least 32 bytes');
  }

  /**
   * Ask for a code. Resolves at once, the same way for every email: the lookup, the code and its
   * delivery happen afterwards, so neither the answer nor its timing says whether the account exists.
   * Only a malformed email is refused (AppError 400), which says nothing about accounts.
   */
  async request(email: unknown): Promise<void> {
    const addr = normaliseEmail(email);
    const work = (this.queues.get(addr) ?? Promise.resolve()).then(() => this.issue(addr)).catch((err: unknown) => this.opts.onError(err));
    this.queues.set(addr, work);
    void work.then(() => {
      if (this.queues.get(addr) === work) this.queues.delete(addr);
    });
  }

  /** Resolves when every requested code has been stored and delivered (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.queues.size) await Promise.all([...this.queues.values()]);
  }

  /** The user id (`userId`) the code signs in; otherwise AppError 401 INVALID_CODE. Each call is an attempt. */
  async verify(email: unknown, code: unknown): Promise<string> {
    const addr = normaliseEmail(email);
    if (typeof code !== 'string' || !CODE_PATTERN.test(code)) throw invalidCode();
    const now = this.opts.now();
    // The same work on every path (a code or none, an account or none): two queries and one HMAC, so
    // the time taken does not tell whether the account exists or has a code.
    const latest = await this.opts.otpCodes.findOne({ email: addr, usedAt: null }).sort({ createdAt: -1 }).lean();
    const usable = latest && new Date(latest.expiresAt).getTime() > now.getTime() && latest.attempts < this.opts.maxAttempts;
    // Count the attempt before comparing, conditionally: concurrent guesses cannot exceed the limit.
    const counted = await this.opts.otpCodes
      .findOneAndUpdate(
        { _id: usable ? latest._id : new Types.ObjectId(), usedAt: null, attempts: { $lt: this.opts.maxAttempts } },
        { $inc: { attempts: 1 } },
        { new: true },
      )
      .lean();
    const expected = counted ? Buffer.from(counted.codeHash, 'hex') : NO_CODE;
    const matches = timingSafeEqual(this.hash(addr, code), expected);
    if (!counted || !latest || !matches) throw invalidCode();
    // Claim the code: of two concurrent right answers only one signs in.
    const used = await this.opts.otpCodes.findOneAndUpdate({ _id: latest._id, usedAt: null }, { $set: { usedAt: now } }).lean();
    if (!used) throw invalidCode();
    const user = await this.opts.users.findOne({ email: addr }).lean();
    if (!user || user.disabled) throw invalidCode();
    return user.userId;
  }

  private async issue(email: string): Promise<void> {
    const user = await this.opts.users.findOne({ email }).lean();
    if (!user || user.disabled) return;
    const now = this.opts.now();
    const recent = await this.opts.otpCodes.countDocuments({
      email,
      createdAt: { $gt: new Date(now.getTime() - this.opts.requestLimit.windowMs) },
    });
    if (recent >= this.opts.requestLimit.max) return;
    // A code still live stays the only one: asking again (anyone may) neither cancels it nor adds a
    // second code to guess at. Its owner has it; a lost code expires within the TTL.
    const live = await this.opts.otpCodes.countDocuments({ email, usedAt: null, expiresAt: { $gt: now } });
    if (live > 0) return;
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await this.opts.otpCodes.create({
      email,
      codeHash: this.hash(email, code).toString('hex'),
      expiresAt: new Date(now.getTime() + this.opts.ttlMs),
      attempts: 0,
      usedAt: null,
      createdAt: now,
    });
    await this.opts.deliver(email, code, { id: user.userId });
  }

  /** Bound to the email, so a stored hash cannot be moved onto another account's row. */
  private hash(email: string, code: string): Buffer {
    return createHmac('sha256', this.opts.secret).update(`${email}\n${code}`, 'utf8').digest();
  }
}

/**
 * Seals a code for the notification that carries it: AES-256-GCM under a key derived from the OTP
 * secret (never in the database), so a database dump shows no live code; the notification's reader
 * sees it opened (NotificationService `open`) until it expires.
 */
export function otpSealer(secret: Buffer): { seal(text: string): string; open(data: string): string | null } {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'otp-notification-seal', 32));
  return {
    seal(text) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url');
    },
    open(data) {
      try {
        const raw = Buffer.from(data, 'base64url');
        const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        d.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
      } catch {
        return null;
      }
    },
  };
}

/**
 * Today's channel: an in-app notification to the user, the code sealed in it (the body stored says
 * only that a code was sent), and an info log line without it.
 */
export function inAppOtpDelivery(deps: {
  notifications: Model<NotificationDoc>;
  logger: Logger;
  now: () => Date;
  ttlMs: number;
  seal(text: string): string;
}): OtpDeliver {
  return async (_email, code, user) => {
    const minutes = Math.round(deps.ttlMs / 60_000);
    const now = deps.now();
    await deps.notifications.create({
      userId: user.id,
      kind: 'otp',
      severity: 'info',
      title: 'Your sign-in code',
      body: `A sign-in code was sent here. It works once, within ${minutes} minutes. If you did not ask for it, ignore this message.`,
      sealed: {
        data: deps.seal(
          `Your sign-in code is ${code}. It works once, within ${minutes} minutes. If you did not ask for it, ignore this message.`,
        ),
        until: new Date(now.getTime() + deps.ttlMs),
      },
      createdAt: now,
    });
    deps.logger.info({ userId: user.id, channel: 'in-app' }, 'otp delivered');
  };
}
