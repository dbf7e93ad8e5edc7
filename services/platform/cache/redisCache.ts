import { Redis } from 'ioredis';
import type { Cache } from './types.js';

export class RedisCache implements Cache {
  readonly kind = 'redis' as const;

  constructor(private readonly redis: Redis) {}

  /** The ioredis client, for libraries that speak to Redis themselves (rate limiting). */
  get client(): Redis {
    return this.redis;
  }

  static connect(url: string): RedisCache {
    // Auto-pipelining batches the per-signal commands issued in one tick into one round trip.
    return new RedisCache(new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 2, lazyConnect: false }));
  }

  async claim(keys: readonly string[], ttlS: number): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const k of keys) pipe.set(k, '1', 'EX', ttlS, 'NX');
    const results = (await pipe.exec()) ?? [];
    return results.map(([err, res]) => {
      if (err) throw err;
      return res === 'OK';
    });
  }

  async get(key: string): Promise<string | null> {
    return this.redis.get(key);
  }

  async set(key: string, value: string, ttlS?: number): Promise<void> {
    if (ttlS) await this.redis.set(key, value, 'EX', ttlS);
    else await this.redis.set(key, value);
  }

  async setMany(entries: readonly [string, string][]): Promise<void> {
    if (entries.length === 0) return;
    await this.redis.mset(...entries.flat());
  }

  async del(keys: readonly string[]): Promise<void> {
    if (keys.length) await this.redis.del(...keys);
  }

  async incr(key: string, ttlS: number): Promise<number> {
    const [[e1, n], [e2]] = ((await this.redis.multi().incr(key).expire(key, ttlS, 'NX').exec()) ?? []) as [Error | null, unknown][];
    if (e1 || e2) throw e1 ?? e2;
    return Number(n);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
