// The small cache interface the services depend on: Redis in production,
// an in-memory implementation as the embedded default.
export interface Cache {
  readonly kind: 'redis' | 'memory';
  /** Set each key if absent (with a TTL); true where this call set it. */
  claim(keys: readonly string[], ttlS: number): Promise<boolean[]>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlS?: number): Promise<void>;
  setMany(entries: readonly [string, string][]): Promise<void>;
  del(keys: readonly string[]): Promise<void>;
  /** Increment a counter with a TTL set on first increment; returns the new value. */
  incr(key: string, ttlS: number): Promise<number>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
