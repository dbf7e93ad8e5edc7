// Rate limits kept in the cache (Redis in production, so every instance counts together; memory
// as the embedded default), with rate-limiter-flexible. A refusal is a 429 with Retry-After.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Cache } from '../platform/index.js';
import { RedisCache } from '../platform/index.js';
import { AppError } from '../platform/index.js';

export interface Limit {
  points: number;
  durationS: number;
}

export interface RateLimitConfig {
  loginPerAccount: Limit;
  loginPerIp: Limit;
  chatPerUser: Limit;
  signalsPerDevice: Limit;
}

export const DEFAULT_LIMITS: RateLimitConfig = {
  // Brute force of one account, and of many accounts from one address.
  loginPerAccount: { points: 10, durationS: 15 * 60 },
  loginPerIp: { points: 50, durationS: 15 * 60 },
  // The LLM costs money and Groq's free tier is ~30 requests/min.
  chatPerUser: { points: 20, durationS: 60 },
  signalsPerDevice: { points: 2000, durationS: 1 },
};

export class Limiter {
  constructor(
    readonly name: string,
    private readonly limiter: RateLimiterAbstract,
  ) {}

  /** Counts one (or `points`) for `key`; throws a 429 AppError with Retry-After when over the limit. */
  async consume(key: string, points = 1): Promise<void> {
    try {
      await this.limiter.consume(key, points);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const retryAfterS = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new AppError(429, 'RATE_LIMITED', `too many ${this.name} requests; retry in ${retryAfterS} s`, [], {
        'Retry-After': String(retryAfterS),
      });
    }
  }

  /** Forgets `key` (e.g. a successful login clears that account's failures). */
  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}

export function createLimiters(cache: Cache, limits: RateLimitConfig = DEFAULT_LIMITS): Record<keyof RateLimitConfig, Limiter> {
  const make = (name: keyof RateLimitConfig, label: string) => {
    const { points, durationS } = limits[name];
    const opts = { keyPrefix: `rl:${name}`, points, duration: durationS };
    const limiter =
      cache instanceof RedisCache ? new RateLimiterRedis({ ...opts, storeClient: cache.client }) : new RateLimiterMemory(opts);
    return new Limiter(label, limiter);
  };
  return {
    loginPerAccount: make('loginPerAccount', 'sign-in'),
    loginPerIp: make('loginPerIp', 'sign-in'),
    chatPerUser: make('chatPerUser', 'chat'),
    signalsPerDevice: make('signalsPerDevice', 'signal'),
  };
}
