import { LRUCache } from 'lru-cache';
import type { Cache } from './types.js';

/**
 * What one claimed signal id costs in the claims LRU, measured with scripts/bench/dedupeMemory.ts
 * (1e6 claims of `sig:st-0001/sig-000123456`, gc before and after): 190-215 B of heap, 240-270 B
 * of RSS, about 250 B. DEDUPE_MAX_IDS's default of 300,000 ids is therefore about 75 MB and fills
 * in 5 minutes at 1,000 signals/s (the old uncapped map held ~280 B per id for 24 h: 86 million ids).
 */
export const DEDUPE_BYTES_PER_ID = 250;

/** No caller sets values with a TTL or counts in production today; the cap keeps a future one bounded. */
export const EXPIRING_MAX = 100_000;

export interface MemoryCacheOptions {
  /** Signal ids kept for dedupe; past it the oldest claim is forgotten first. */
  maxClaims: number;
  /** Counters and values set with a TTL; past it the least recently used one goes. */
  maxExpiring?: number;
  now?: () => number;
}

interface Expiring {
  value: string;
}

/**
 * Single-process cache. Three stores, so a flood of one kind cannot push out another:
 * - claims (signal dedupe): an LRU capped at `maxClaims`, so under load the dedupe window is
 *   min(TTL, maxClaims / rate); eviction and expiry are O(1), nothing walks the whole store;
 * - values set with a TTL and counters: an LRU capped at `maxExpiring`;
 * - values set without a TTL (the `state:<stationId>` snapshots, one per registered station):
 *   a plain map that is never evicted, bounded by the stations an admin registers.
 */
export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly claims: LRUCache<string, true>;
  private readonly expiring: LRUCache<string, Expiring>;
  private readonly kept = new Map<string, string>();

  constructor(opts: MemoryCacheOptions) {
    // ttlResolution 0: read the clock on every check, so an injected clock is obeyed exactly.
    const perf = opts.now ? { now: opts.now } : undefined;
    this.claims = new LRUCache<string, true>({ max: opts.maxClaims, ttlResolution: 0, ...(perf && { perf }) });
    this.expiring = new LRUCache<string, Expiring>({ max: opts.maxExpiring ?? EXPIRING_MAX, ttlResolution: 0, ...(perf && { perf }) });
  }

  /** How many entries each store holds (for tests and metrics). */
  get sizes(): { claims: number; expiring: number; kept: number } {
    return { claims: this.claims.size, expiring: this.expiring.size, kept: this.kept.size };
  }

  async claim(keys: readonly string[], ttlS: number): Promise<boolean[]> {
    return keys.map((k) => {
      // has() neither refreshes recency nor the TTL, as Redis's SET NX leaves an existing key alone.
      if (this.claims.has(k)) return false;
      this.claims.set(k, true, { ttl: ttlS * 1000 });
      return true;
    });
  }

  async get(key: string): Promise<string | null> {
    return this.kept.get(key) ?? this.expiring.get(key)?.value ?? (this.claims.has(key) ? '1' : null);
  }

  async set(key: string, value: string, ttlS?: number): Promise<void> {
    this.forget(key);
    if (ttlS) this.expiring.set(key, { value }, { ttl: ttlS * 1000 });
    else this.kept.set(key, value);
  }

  async setMany(entries: readonly [string, string][]): Promise<void> {
    for (const [k, v] of entries) await this.set(k, v);
  }

  async del(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.forget(k);
  }

  async incr(key: string, ttlS: number): Promise<number> {
    const e = this.expiring.get(key);
    if (e) {
      // Mutated in place: the TTL set on first increment stays, as with Redis's EXPIRE NX.
      e.value = String(Number(e.value) + 1);
      return Number(e.value);
    }
    const n = Number(this.kept.get(key) ?? 0) + 1;
    this.kept.delete(key);
    this.expiring.set(key, { value: String(n) }, { ttl: ttlS * 1000 });
    return n;
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.claims.clear();
    this.expiring.clear();
  }

  private forget(key: string): void {
    this.kept.delete(key);
    this.expiring.delete(key);
    this.claims.delete(key);
  }
}
