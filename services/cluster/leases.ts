// Leases in Redis: who among the running instances owns what. A lease is a key holding its owner's id
// with an expiry; its owner renews it well before it runs out, and an instance that dies (or loses Redis)
// stops renewing, so its leases expire and the others take them. Each instance holds a fair share of
// the names (the signal stream's partitions): the instances announce themselves in a sorted set scored
// by when they were last heard of, and an instance over its share gives the extra back for a newcomer.
// Every acquisition increments the name's fencing counter: work done under a lease carries the token, so
// an owner that was too slow to notice its lease had gone can be told apart from the new one.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface LeaseOptions {
  redis: Redis;
  /** The names to share out (e.g. "signals:0" .. "signals:15"). */
  names: readonly string[];
  /** How long a lease lasts unrenewed; renewals come every third of it. */
  ttlMs: number;
  /** Key prefix: leases, fencing counters and the members set live under it. */
  prefix?: string;
  /** At most this many names per instance (default: a fair share of the names among the live instances). */
  max?: number;
  /** This instance's id (default: a random one). */
  id?: string;
  /** Whether work under the lease is under way: a lease given back for a newcomer waits until it is not. */
  busy?(name: string): boolean;
  /** A lease was taken, with its fencing token (higher than any earlier owner's). */
  onAcquired?(name: string, token: number): void;
  /** A lease was given back, expired, or taken by another instance: stop working on it at once. */
  onLost?(name: string): void;
  onError?(err: unknown): void;
}

// KEYS[1] lease, KEYS[2] fence; ARGV: id, ttl. Takes the lease if free and returns the new fencing token.
const ACQUIRE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('INCR', KEYS[2]) end return 0`;
// KEYS[1] lease; ARGV: id, ttl. Renews only a lease this instance still holds.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
// KEYS[1] lease; ARGV: id. Gives back only a lease this instance holds.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class LeaseManager {
  readonly id: string;
  private readonly prefix: string;
  /** Held leases, with their fencing token and until when they are surely still ours (local clock). */
  private readonly held = new Map<string, { token: number; until: number }>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: LeaseOptions) {
    this.id = o.id ?? randomUUID();
    this.prefix = o.prefix ?? 'copilot:lease';
  }

  /** Takes a first share at once, then keeps renewing and rebalancing. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(10, Math.floor(this.o.ttlMs / 3)));
    this.timer.unref();
  }

  /** Whether this instance holds `name`, with a margin before its expiry. */
  holds(name: string): boolean {
    const h = this.held.get(name);
    return h !== undefined && h.until > performance.now();
  }

  /** The fencing token of a held lease. */
  token(name: string): number | null {
    return this.holds(name) ? this.held.get(name)!.token : null;
  }

  /** The names held, in the order of `names`. */
  get owned(): string[] {
    return this.o.names.filter((n) => this.held.has(n));
  }

  /** Gives every lease back (a clean stop): the others take them on their next round, not after expiry. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    const names = [...this.held.keys()];
    for (const name of names) this.lose(name);
    await Promise.all([
      ...names.map((name) => this.o.redis.eval(RELEASE, 1, this.key(name), this.id).catch(() => 0)),
      this.o.redis.zrem(this.membersKey, this.id).catch(() => 0),
    ]);
  }

  /** Stops renewing without giving anything back: what a crash looks like to the others (tests). */
  abandon(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.held.clear();
  }

  /** A name's lease; its fencing counter shares the hash tag, so the two stay on one Redis Cluster slot. */
  private key(name: string): string {
    return `${this.prefix}:{${name}}`;
  }

  private fenceKey(name: string): string {
    return `${this.prefix}:fence:{${name}}`;
  }

  private get membersKey(): string {
    return `${this.prefix}:members`;
  }

  private tick(): Promise<void> {
    if (this.stopped || this.ticking) return this.ticking ?? Promise.resolve();
    this.ticking = this.round()
      .catch((err: unknown) => this.o.onError?.(err))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async round(): Promise<void> {
    const { redis, ttlMs, names } = this.o;
    const started = performance.now();
    // A lease counts as ours until a third of its time before it runs out, from when the renewal was sent.
    const until = started + ttlMs - Math.floor(ttlMs / 3);
    // Leases not renewed in time are dropped first, whatever Redis says next.
    for (const [name, h] of this.held) if (h.until <= started) this.lose(name);

    const now = Date.now();
    const members = await redis
      .multi()
      .zadd(this.membersKey, now + ttlMs, this.id)
      .zremrangebyscore(this.membersKey, '-inf', now)
      .zcard(this.membersKey)
      .exec();
    const live = Math.max(1, Number(members?.[2]?.[1] ?? 1));
    const share = Math.min(this.o.max ?? Infinity, Math.ceil(names.length / live));

    for (const name of [...this.held.keys()]) {
      const renewed = await redis.eval(RENEW, 1, this.key(name), this.id, String(ttlMs));
      if (renewed === 1) this.held.get(name)!.until = until;
      else this.lose(name);
    }
    // Over the share (an instance joined): give back the last ones, for the newcomer to take.
    const owned = this.owned;
    for (const name of owned.slice(share).reverse()) {
      // Given back between two pieces of work only: the next owner must not start while this one writes.
      if (this.o.busy?.(name)) continue;
      this.lose(name);
      await redis.eval(RELEASE, 1, this.key(name), this.id);
    }
    if (this.held.size >= share) return;
    // Start looking at a place of its own, so instances do not all race for the same first names.
    const offset = parseInt(this.id.replace(/-/g, '').slice(0, 8), 16) % names.length;
    for (let i = 0; i < names.length && this.held.size < share && !this.stopped; i++) {
      const name = names[(offset + i) % names.length];
      if (this.held.has(name)) continue;
      const token = Number(await redis.eval(ACQUIRE, 2, this.key(name), this.fenceKey(name), this.id, String(ttlMs)));
      if (token > 0) {
        this.held.set(name, { token, until });
        this.o.onAcquired?.(name, token);
      }
    }
  }

  private lose(name: string): void {
    if (!this.held.delete(name)) return;
    this.o.onLost?.(name);
  }
}
