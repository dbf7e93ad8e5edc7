import type { Cache } from './types.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/** Single-process cache; expiry is checked on read and swept periodically. */
export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now, sweepMs = 30_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  async claim(keys: readonly string[], ttlS: number): Promise<boolean[]> {
    const expiresAt = this.now() + ttlS * 1000;
    return keys.map((k) => {
      if (this.live(k)) return false;
      this.entries.set(k, { value: '1', expiresAt });
      return true;
    });
  }

  async get(key: string): Promise<string | null> {
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlS?: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: ttlS ? this.now() + ttlS * 1000 : Infinity });
  }

  async setMany(entries: readonly [string, string][]): Promise<void> {
    for (const [k, v] of entries) this.entries.set(k, { value: v, expiresAt: Infinity });
  }

  async del(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.entries.delete(k);
  }

  async incr(key: string, ttlS: number): Promise<number> {
    const e = this.live(key);
    const n = (e ? Number(e.value) : 0) + 1;
    this.entries.set(key, { value: String(n), expiresAt: e ? e.expiresAt : this.now() + ttlS * 1000 });
    return n;
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= t) this.entries.delete(k);
  }
}
