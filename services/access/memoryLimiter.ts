// Rate-limit windows in memory (the embedded default; Redis keeps them when REDIS_URL is set).
// rate-limiter-flexible's RateLimiterMemory keeps one map entry and one timer per key until its
// window ends, with no cap: a flood of made-up account names would hold them all. Here the windows
// sit in an LRU: fixed windows as before, at most `maxKeys`, the least recently counted key going.
import { LRUCache } from 'lru-cache';
import { RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Keys per limiter. Evicting a key restarts its count, so flushing one sender's window takes this
 * many fresh keys inside that window: from one address the per-address sign-in limit (50 per
 * 15 min) stops that long before. About 200 B a key: 10 MB per limiter at most.
 */
export const RATE_LIMIT_MAX_KEYS = 50_000;

/** What a Limiter needs of its store: rate-limiter-flexible's limiters have it too. */
export interface LimiterStore {
  /** Resolves when within the limit; rejects with a RateLimiterRes when over. */
  consume(key: string, points?: number): Promise<unknown>;
  penalty(key: string, points?: number): Promise<{ consumedPoints: number }>;
  delete(key: string): Promise<unknown>;
}

export class BoundedMemoryLimiter implements LimiterStore {
  private readonly windows: LRUCache<string, { consumed: number }>;

  constructor(
    private readonly points: number,
    durationS: number,
    maxKeys = RATE_LIMIT_MAX_KEYS,
    now?: () => number,
  ) {
    this.windows = new LRUCache({ max: maxKeys, ttl: durationS * 1000, ttlResolution: 0, ...(now && { perf: { now } }) });
  }

  get size(): number {
    return this.windows.size;
  }

  async consume(key: string, points = 1): Promise<RateLimiterRes> {
    const res = this.add(key, points);
    if (res.consumedPoints > this.points) throw res;
    return res;
  }

  async penalty(key: string, points = 1): Promise<RateLimiterRes> {
    return this.add(key, points);
  }

  async delete(key: string): Promise<boolean> {
    return this.windows.delete(key);
  }

  private add(key: string, points: number): RateLimiterRes {
    // A window's TTL starts with its first count and is not renewed: a fixed window, as before.
    let w = this.windows.get(key);
    const first = !w;
    if (!w) {
      w = { consumed: 0 };
      this.windows.set(key, w);
    }
    w.consumed += points;
    return new RateLimiterRes(Math.max(this.points - w.consumed, 0), this.windows.getRemainingTTL(key), w.consumed, first);
  }
}
