import { Redis } from 'ioredis';
import type { Cache } from './types.js';

/** The URL without its password, for messages. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}

/** The longest a Redis command may take before it fails (Redis answers in well under a millisecond). */
export const COMMAND_TIMEOUT_MS = 2000;

export class RedisCache implements Cache {
  readonly kind = 'redis' as const;

  constructor(private readonly redis: Redis) {}

  /** The ioredis client, for libraries that speak to Redis themselves (rate limiting); commands fail at once while Redis is away. */
  get client(): Redis {
    return this.redis;
  }

  /**
   * Connects and waits until Redis answers; rejects within `timeoutMs` naming what failed (a start then
   * stops with that line instead of queueing commands against a server that is not there).
   */
  static async open(url: string, timeoutMs = 5000): Promise<RedisCache> {
    const redis = new Redis(url, {
      enableAutoPipelining: true,
      // While Redis is away a command fails at once (the request is answered 503), rather than waiting
      // in a queue for a reconnection; one Redis that stops answering fails it after COMMAND_TIMEOUT_MS.
      enableOfflineQueue: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
    });
    // A lost connection is retried by ioredis; what it means shows in the commands that fail (a 503) and
    // in /api/health's cache part, not as an unhandled error event.
    let lastError = 'no answer';
    redis.on('error', (err: Error) => (lastError = err.message || err.name));
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Redis at ${redacted(url)} did not answer within ${timeoutMs} ms (${lastError})`)),
          timeoutMs,
        );
        redis.once('ready', () => resolve());
      });
      return new RedisCache(redis);
    } catch (err) {
      redis.disconnect();
      throw err;
    } finally {
      clearTimeout(timer);
    }
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
