// Web push (VAPID): keeps each user's browser subscriptions and delivers notifications to them.
// The push service's answer decides what happens next: 404/410 means the browser dropped the
// subscription (delete it), 429/5xx means try again later (bounded backoff), anything else fails.
import { createECDH } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Agent } from 'node:https';
import path from 'node:path';
import Joi from 'joi';
import type { Model } from 'mongoose';
import webpush from 'web-push';
import type { SubDoc } from '../../models/index.js';
import { AppError } from '../platform/index.js';
import ipaddr from 'ipaddr.js';
import { assertPublicEndpoint, isPublicAddress, publicOnlyAgent } from './endpointGuard.js';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export interface PushSubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** What a notification carries to the browser. Only these fields are ever sent. */
export interface PushPayload {
  title: string;
  body: string;
  decisionId?: string;
  url: string;
  severity: string;
}

export type PushOutcome =
  | { endpoint: string; status: 'sent'; statusCode: number; attempts: number }
  | { endpoint: string; status: 'gone'; statusCode: number; attempts: number }
  | { endpoint: string; status: 'failed'; statusCode: number | null; attempts: number; error: string };

export interface PushServiceOptions {
  model: Model<SubDoc>;
  /** Where generated VAPID keys are kept (vapid.json, mode 0600); null keeps them in memory. */
  dataDir: string | null;
  /** Keys from the environment; both or neither. */
  vapid: VapidKeys | null;
  /** Contact for the push services (mailto: or https:). */
  subject: string;
  /** TLS settings for reaching push services (tests trust a self-signed receiver with it). */
  agent?: Agent;
  sleep?: (ms: number) => Promise<void>;
  /** Tries per subscription, the first included. */
  maxTries?: number;
  baseDelayMs?: number;
  /** A Retry-After beyond this is not waited for: the send fails and the caller may try later. */
  maxDelayMs?: number;
  timeoutMs?: number;
  /** How long the push service may hold a message for an offline browser. */
  ttlS?: number;
  now?: () => Date;
  /**
   * Endpoints on loopback, private, link-local or unique-local addresses are refused (SSRF), when
   * stored and when connected to; true lifts that for tests with a receiver on loopback.
   */
  allowPrivateEndpoints?: boolean;
  /** Subscriptions one user may hold (browsers and devices). */
  maxPerUser?: number;
}

export const PUSH_DEFAULTS = {
  maxTries: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  timeoutMs: 10_000,
  ttlS: 24 * 3600,
  maxPerUser: 10,
} as const;

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

function base64urlBytes(expected: number, what: string) {
  return (value: string, helpers: Joi.CustomHelpers) => {
    if (!BASE64URL.test(value)) return helpers.message({ custom: `"{{#label}}" must be base64url (${what})` });
    const bytes = Buffer.from(value, 'base64url');
    if (bytes.length !== expected)
      return helpers.message({ custom: `"{{#label}}" must decode to ${expected} bytes (${what}), got ${bytes.length}` });
    return value;
  };
}

function isP256Point(value: string, helpers: Joi.CustomHelpers) {
  const bytes = Buffer.from(value, 'base64url');
  // An uncompressed point starts with 0x04; computeSecret also checks the point is on the curve,
  // so a subscription we could never encrypt for is refused now rather than at every send.
  try {
    if (bytes[0] !== 0x04) throw new Error('not uncompressed');
    const probe = createECDH('prime256v1');
    probe.generateKeys();
    probe.computeSecret(bytes);
  } catch {
    return helpers.message({ custom: '"{{#label}}" is not a P-256 public key' });
  }
  return value;
}

export const subscriptionSchema = Joi.object<PushSubscriptionInput>({
  endpoint: Joi.string()
    .max(2048)
    .uri({ scheme: ['https'] })
    .required(),
  keys: Joi.object({
    p256dh: Joi.string().required().custom(base64urlBytes(65, 'an uncompressed P-256 point')).custom(isP256Point),
    auth: Joi.string().required().custom(base64urlBytes(16, 'the auth secret')),
  }).required(),
})
  // Browsers add expirationTime (and sometimes more) to PushSubscription.toJSON(); it is not kept.
  .unknown(true)
  .required();

export const endpointSchema = Joi.string()
  .max(2048)
  .uri({ scheme: ['https'] })
  .required();

function checked<T>(schema: Joi.Schema, value: unknown, field: string): T {
  const { error, value: out } = schema.validate(value, { abortEarly: false, convert: false });
  if (error) {
    const details = error.details.map((d) => ({ field: d.path.join('.') || field, message: d.message }));
    throw new AppError(400, 'VALIDATION_FAILED', details.map((d) => d.message).join('; '), details);
  }
  return out as T;
}

function validVapid(keys: VapidKeys, from: string): VapidKeys {
  const pub = Buffer.from(keys.publicKey ?? '', 'base64url');
  const priv = Buffer.from(keys.privateKey ?? '', 'base64url');
  if (pub.length !== 65 || pub[0] !== 0x04 || priv.length !== 32)
    throw new Error(`${from}: VAPID keys must be a base64url P-256 public key (65 bytes) and private key (32 bytes)`);
  return { publicKey: keys.publicKey, privateKey: keys.privateKey };
}

/** VAPID keys from the environment, else from DATA_DIR/vapid.json (generated on first start), else in memory. */
export function loadOrCreateVapidKeys(dataDir: string | null, fromEnv: VapidKeys | null): VapidKeys {
  if (fromEnv) return validVapid(fromEnv, 'VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY');
  if (!dataDir) return webpush.generateVAPIDKeys();
  const file = path.resolve(dataDir, 'vapid.json');
  if (existsSync(file)) return validVapid(JSON.parse(readFileSync(file, 'utf8')) as VapidKeys, file);
  mkdirSync(dataDir, { recursive: true });
  const keys = webpush.generateVAPIDKeys();
  // Changing keys orphans every stored subscription, so they are kept across restarts.
  writeFileSync(file, `${JSON.stringify(keys)}\n`, { mode: 0o600 });
  return keys;
}

/** Retry-After in ms (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now: Date): number | null {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined || v.trim() === '') return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

type WebPushErrorLike = { statusCode?: number; headers?: Record<string, string | string[] | undefined>; message?: string };

/** How many recent deliveries the health report judges by. */
const RECENT_DELIVERIES = 20;

export class PushService {
  private readonly keys: VapidKeys;
  /** Outcomes of the latest deliveries (bounded), newest last: what /api/health judges push by. */
  private readonly recent: PushOutcome['status'][] = [];
  private lastFailure: string | null = null;
  private readonly o: Required<Omit<PushServiceOptions, 'agent' | 'vapid' | 'dataDir'>> & Pick<PushServiceOptions, 'agent'>;

  constructor(opts: PushServiceOptions) {
    this.keys = loadOrCreateVapidKeys(opts.dataDir, opts.vapid);
    this.o = {
      model: opts.model,
      subject: opts.subject,
      agent: opts.agent,
      sleep: opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      maxTries: opts.maxTries ?? PUSH_DEFAULTS.maxTries,
      baseDelayMs: opts.baseDelayMs ?? PUSH_DEFAULTS.baseDelayMs,
      maxDelayMs: opts.maxDelayMs ?? PUSH_DEFAULTS.maxDelayMs,
      timeoutMs: opts.timeoutMs ?? PUSH_DEFAULTS.timeoutMs,
      ttlS: opts.ttlS ?? PUSH_DEFAULTS.ttlS,
      now: opts.now ?? (() => new Date()),
      allowPrivateEndpoints: opts.allowPrivateEndpoints ?? false,
      maxPerUser: opts.maxPerUser ?? PUSH_DEFAULTS.maxPerUser,
    };
    // Connections go only to public addresses, whatever a name resolves to by the time of sending.
    if (!this.o.allowPrivateEndpoints) this.o.agent = publicOnlyAgent(opts.agent);
    // Fails at start, not at the first send, on a subject the push services would refuse.
    webpush.getVapidHeaders('https://push.invalid', this.o.subject, this.keys.publicKey, this.keys.privateKey, 'aes128gcm');
  }

  /** The application server key browsers pass to pushManager.subscribe. */
  publicKey(): string {
    return this.keys.publicKey;
  }

  /**
   * Stores a browser's subscription for the user; the endpoint identifies it. An endpoint another user
   * holds is not moved (409), a user holds at most maxPerUser (409), and endpoints must be public (400).
   */
  async subscribe(userId: string, subscription: unknown): Promise<PushSubscriptionInput> {
    const sub = checked<PushSubscriptionInput>(subscriptionSchema, subscription, 'body');
    if (!this.o.allowPrivateEndpoints) await assertPublicEndpoint(sub.endpoint);
    const kept = { endpoint: sub.endpoint, keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth } };
    const taken = () =>
      new AppError(409, 'ENDPOINT_TAKEN', 'this push endpoint belongs to another account; unsubscribe there or subscribe anew', [
        { field: 'endpoint' },
      ]);
    const owner = await this.o.model.findOne({ endpoint: kept.endpoint }, { userId: 1 }).lean();
    if (owner && owner.userId !== userId) throw taken();
    if (!owner && (await this.o.model.countDocuments({ userId })) >= this.o.maxPerUser)
      throw new AppError(
        409,
        'TOO_MANY_SUBSCRIPTIONS',
        `an account holds at most ${this.o.maxPerUser} push subscriptions; remove one first`,
        [{ field: 'endpoint' }],
      );
    try {
      // Filtered on the owner too: a concurrent subscription by someone else fails on the unique endpoint.
      await this.o.model.updateOne(
        { endpoint: kept.endpoint, userId },
        { $set: { keys: kept.keys }, $setOnInsert: { createdAt: this.o.now() } },
        { upsert: true },
      );
    } catch (err) {
      if ((err as { code?: number }).code === 11000) throw taken();
      throw err;
    }
    return kept;
  }

  /** Removes the user's own subscription; false when the user has none with that endpoint. */
  async unsubscribe(userId: string, endpoint: unknown): Promise<boolean> {
    const e = checked<string>(endpointSchema, endpoint, 'endpoint');
    const res = await this.o.model.deleteMany({ userId, endpoint: e });
    return res.deletedCount > 0;
  }

  async count(userId: string): Promise<number> {
    return this.o.model.countDocuments({ userId });
  }

  /**
   * Push as /api/health sees it: the subscription store answers, and most recent deliveries got
   * through (a push service refusing everything, or a network that cannot reach any, is degraded).
   */
  async health(): Promise<{ state: 'up' | 'degraded' | 'down'; detail: string }> {
    let subscriptions: number;
    try {
      subscriptions = await this.o.model.estimatedDocumentCount();
    } catch (err) {
      return { state: 'down', detail: `subscriptions cannot be read: ${err instanceof Error ? err.message : String(err)}` };
    }
    const failed = this.recent.filter((s) => s === 'failed').length;
    const base = `${subscriptions} subscriptions; ${this.recent.length - failed} of the last ${this.recent.length} deliveries got through`;
    if (this.recent.length >= 3 && failed * 2 > this.recent.length)
      return { state: 'degraded', detail: `${base}; last failure: ${this.lastFailure ?? 'unknown'}` };
    return { state: 'up', detail: base };
  }

  private note(o: PushOutcome): PushOutcome {
    this.recent.push(o.status);
    if (this.recent.length > RECENT_DELIVERIES) this.recent.shift();
    if (o.status === 'failed')
      this.lastFailure = o.statusCode === null ? (o.error ?? 'no answer') : `HTTP ${o.statusCode}${o.error ? `: ${o.error}` : ''}`;
    return o;
  }

  /** Sends to every subscription of the user; one outcome per subscription. */
  async send(userId: string, payload: PushPayload): Promise<PushOutcome[]> {
    const subs = await this.o.model.find({ userId }).lean();
    const body = JSON.stringify({
      title: payload.title,
      body: payload.body,
      decisionId: payload.decisionId,
      url: payload.url,
      severity: payload.severity,
    });
    const urgency: webpush.Urgency = payload.severity === 'critical' || payload.severity === 'high' ? 'high' : 'normal';
    return Promise.all(subs.map(async (s) => this.note(await this.sendOne({ endpoint: s.endpoint, keys: s.keys }, body, urgency))));
  }

  private async sendOne(sub: PushSubscriptionInput, body: string, urgency: webpush.Urgency): Promise<PushOutcome> {
    const { endpoint } = sub;
    // An address written in the URL is connected to without a lookup, so it is judged here.
    const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
    if (!this.o.allowPrivateEndpoints && ipaddr.isValid(host) && !isPublicAddress(host))
      return { endpoint, status: 'failed', statusCode: null, attempts: 0, error: `${host} is not a public address` };
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await webpush.sendNotification(sub, body, {
          vapidDetails: { subject: this.o.subject, publicKey: this.keys.publicKey, privateKey: this.keys.privateKey },
          TTL: this.o.ttlS,
          urgency,
          timeout: this.o.timeoutMs,
          contentEncoding: 'aes128gcm',
          ...(this.o.agent ? { agent: this.o.agent } : {}),
        });
        return { endpoint, status: 'sent', statusCode: res.statusCode, attempts: attempt };
      } catch (err) {
        const e = err as WebPushErrorLike;
        const code = typeof e.statusCode === 'number' ? e.statusCode : null;
        if (code === 404 || code === 410) {
          await this.o.model.deleteMany({ endpoint });
          return { endpoint, status: 'gone', statusCode: code, attempts: attempt };
        }
        // No status: the connection failed or timed out, which is as transient as a 503.
        const transient = code === null || code === 429 || code >= 500;
        const message = e.message ?? String(err);
        if (!transient || attempt >= this.o.maxTries)
          return { endpoint, status: 'failed', statusCode: code, attempts: attempt, error: message };
        const asked = retryAfterMs(e.headers?.['retry-after'], this.o.now());
        if (asked !== null && asked > this.o.maxDelayMs) {
          return {
            endpoint,
            status: 'failed',
            statusCode: code,
            attempts: attempt,
            error: `push service asked to wait ${Math.round(asked / 1000)} s`,
          };
        }
        await this.o.sleep(asked ?? Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
}
