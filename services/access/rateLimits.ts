// Rate limits kept in the cache (Redis in production, so every instance counts together; memory
// as the embedded default, capped in keys: memoryLimiter.ts), with rate-limiter-flexible. A refusal is a 429 with Retry-After.
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Cache } from '../platform/index.js';
import { RedisCache } from '../platform/index.js';
import { AppError } from '../platform/index.js';
import { BoundedMemoryLimiter, type LimiterStore } from './memoryLimiter.js';

export interface Limit {
  points: number;
  durationS: number;
}

export interface RateLimitConfig {
  /** Sign-in failures per account and client address: strict (429), so one address cannot lock the owner out. */
  loginPerAccount: Limit;
  loginPerIp: Limit;
  chatPerUser: Limit;
  signalsPerDevice: Limit;
}

export const DEFAULT_LIMITS: RateLimitConfig = {
  // Brute force of one account from one address, and of many accounts from one address.
  loginPerAccount: { points: 10, durationS: 15 * 60 },
  loginPerIp: { points: 50, durationS: 15 * 60 },
  // The LLM costs money and Groq's free tier is ~30 requests/min.
  chatPerUser: { points: 20, durationS: 60 },
  signalsPerDevice: { points: 2000, durationS: 1 },
};

export class Limiter {
  /**
   * @param fallback counts per instance while `limiter` (Redis) fails: a lost Redis keeps the limits in
   *   force, each instance counting alone, instead of failing every request it guards.
   */
  constructor(
    readonly name: string,
    private readonly limiter: LimiterStore,
    private readonly fallback: LimiterStore | null = null,
  ) {}

  private async either<T>(op: (l: LimiterStore) => Promise<T>): Promise<T> {
    if (!this.fallback) return op(this.limiter);
    try {
      return await op(this.limiter);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw err;
      return op(this.fallback);
    }
  }

  /** Counts one (or `points`) for `key`; throws a 429 AppError with Retry-After when over the limit. */
  async consume(key: string, points = 1): Promise<void> {
    try {
      await this.either((l) => l.consume(key, points));
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const retryAfterS = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new AppError(429, 'RATE_LIMITED', `too many ${this.name} requests; retry in ${retryAfterS} s`, [], {
        'Retry-After': String(retryAfterS),
      });
    }
  }

  /** Counts one for `key` without ever refusing; resolves with the count in the window so far. */
  async count(key: string): Promise<number> {
    return (await this.either((l) => l.penalty(key, 1))).consumedPoints;
  }

  /** Forgets `key` (e.g. a successful login clears that account's failures). */
  async reset(key: string): Promise<void> {
    await this.either((l) => l.delete(key));
  }
}

/**
 * Account-wide, sign-in attempts are only slowed, never refused: past this many times the per-address
 * limit within its window, every further attempt on the account waits SLOWDOWN_STEP_MS more per
 * attempt, at most SLOWDOWN_MAX_MS. Guessing from many addresses gets slow; the owner still gets in.
 */
export const ACCOUNT_WIDE_FACTOR = 5;
export const SLOWDOWN_STEP_MS = 250;
export const SLOWDOWN_MAX_MS = 5_000;

/** How long an attempt on an account waits, given the attempts on it in the window (count) and the per-address limit. */
export function slowdownMs(count: number, perAddress: number): number {
  const over = count - perAddress * ACCOUNT_WIDE_FACTOR;
  return over <= 0 ? 0 : Math.min(SLOWDOWN_MAX_MS, over * SLOWDOWN_STEP_MS);
}

export function createLimiters(
  cache: Cache,
  limits: RateLimitConfig = DEFAULT_LIMITS,
): Record<keyof RateLimitConfig | 'loginAccountWide', Limiter> {
  const redis = cache instanceof RedisCache ? cache.client : null;
  const limiter = (label: string, keyPrefix: string, { points, durationS }: Limit) =>
    redis
      ? new Limiter(
          label,
          new RateLimiterRedis({ keyPrefix, points, duration: durationS, storeClient: redis }),
          new BoundedMemoryLimiter(points, durationS),
        )
      : new Limiter(label, new BoundedMemoryLimiter(points, durationS));
  const make = (name: keyof RateLimitConfig, label: string) => limiter(label, `rl:${name}`, limits[name]);
  const accountWide = limits.loginPerAccount;
  return {
    loginAccountWide: limiter('sign-in', 'rl:loginAccountWide', {
      points: accountWide.points * ACCOUNT_WIDE_FACTOR,
      durationS: accountWide.durationS,
    }),
    loginPerAccount: make('loginPerAccount', 'sign-in'),
    loginPerIp: make('loginPerIp', 'sign-in'),
    chatPerUser: make('chatPerUser', 'chat'),
    signalsPerDevice: make('signalsPerDevice', 'signal'),
  };
}
