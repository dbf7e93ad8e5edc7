// The signal log in Redis Streams: one stream per partition (a station always writes to the same one),
// appended before a sender is answered, read by the partition's owner through a consumer group, and
// acknowledged (XACK) once what an entry produced is durable. With Redis's AOF the append is on disk
// before the answer (`appendfsync always`) or within a second (`everysec`).
import type { Redis } from 'ioredis';
import type { Signal } from '../../eventBus/types.js';
import { compareStreamIds } from '../../utils/ids.js';

export interface StreamEntry {
  /** The stream entry id ("<ms>-<seq>"): ordered within its partition. */
  id: string;
  partition: number;
  signal: Signal;
  /** When the copilot took it (epoch ms). */
  receivedAt: number;
}

/** Consumer group every instance reads in. */
export const GROUP = 'pipeline';

/** Orders stream ids ("<ms>-<seq>"): negative, zero or positive as `a` is before, equal to or after `b`. */
export const compareIds = compareStreamIds;

type RawEntry = [id: string, fields: string[]];

// KEYS[1] the partition's stream, KEYS[2..] the signals' dedupe keys (same hash tag); ARGV[1] the dedupe
// TTL, ARGV[2..] the entries. Each signal: claimed and appended together, or found claimed (0).
const APPEND_NEW = `
local out = {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    redis.call('XADD', KEYS[1], '*', 'v', ARGV[i])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out`;

export class SignalStream {
  private readonly prefix: string;

  constructor(
    private readonly o: {
      /** Commands (fail at once while Redis is away: an append then answers 503). */
      redis: Redis;
      /** For the blocking reads: a connection of its own, holding commands while Redis is away. */
      reader: Redis;
      partitions: number;
      prefix?: string;
    },
  ) {
    this.prefix = o.prefix ?? 'copilot:signals';
  }

  get partitions(): number {
    return this.o.partitions;
  }

  /** A partition's stream; the hash tag puts each on one slot of a Redis Cluster. */
  key(partition: number): string {
    return `${this.prefix}:{${partition}}`;
  }

  /** Creates the consumer groups (from the start of each stream) where they do not exist yet. */
  async ensureGroups(): Promise<void> {
    for (let p = 0; p < this.o.partitions; p++) {
      await this.o.redis.xgroup('CREATE', this.key(p), GROUP, '0', 'MKSTREAM').catch((err: Error) => {
        if (!/BUSYGROUP/.test(err.message)) throw err;
      });
    }
  }

  /** Appends in one round trip; resolves with the entry ids once Redis has them all (in order per partition). */
  async append(items: readonly { partition: number; signal: Signal; receivedAt: number }[]): Promise<string[]> {
    if (items.length === 0) return [];
    const pipe = this.o.redis.pipeline();
    for (const it of items) pipe.xadd(this.key(it.partition), '*', 'v', JSON.stringify([it.receivedAt, it.signal]));
    const results = (await pipe.exec()) ?? [];
    return results.map(([err, id]) => {
      if (err) throw err;
      return id as string;
    });
  }

  /**
   * The signals not seen before (by station and id) claimed and appended, each in one step with its
   * claim; resolves with true where appended, false where the id was claimed already (in the log).
   */
  async appendNew(
    items: readonly { partition: number; signal: Signal; receivedAt: number; dedupeKey: string }[],
    ttlS: number,
  ): Promise<boolean[]> {
    const byPartition = new Map<number, number[]>();
    items.forEach((it, i) => {
      const list = byPartition.get(it.partition);
      if (list) list.push(i);
      else byPartition.set(it.partition, [i]);
    });
    const pipe = this.o.redis.pipeline();
    const order: number[][] = [];
    for (const [p, indexes] of byPartition) {
      order.push(indexes);
      const keys = [this.key(p), ...indexes.map((i) => `${this.prefix}:seen:{${p}}:${items[i].dedupeKey}`)];
      const args = [String(ttlS), ...indexes.map((i) => JSON.stringify([items[i].receivedAt, items[i].signal]))];
      pipe.eval(APPEND_NEW, keys.length, ...keys, ...args);
    }
    const results = (await pipe.exec()) ?? [];
    const out = new Array<boolean>(items.length);
    results.forEach(([err, flags], g) => {
      if (err) throw err;
      order[g].forEach((i, k) => (out[i] = (flags as number[])[k] === 1));
    });
    return out;
  }

  /** Entries of a partition after `after` (exclusive; "0" for all), oldest first. */
  async range(partition: number, after: string, count: number): Promise<StreamEntry[]> {
    const raw = (await this.o.redis.xrange(this.key(partition), `(${after}`, '+', 'COUNT', count)) as RawEntry[];
    return raw.map((r) => this.entry(partition, r));
  }

  /**
   * Moves every entry pending with another consumer of the partition (one that died) to `consumer`, so
   * that this one acknowledges them once it has processed them again; resolves with how many.
   */
  async claimPending(partition: number, consumer: string): Promise<number> {
    let cursor = '0-0';
    let moved = 0;
    do {
      const [next, ids] = (await this.o.redis.xautoclaim(this.key(partition), GROUP, consumer, 0, cursor, 'COUNT', 1000, 'JUSTID')) as [
        string,
        string[],
      ];
      moved += ids.length;
      cursor = next;
    } while (cursor !== '0-0');
    return moved;
  }

  /**
   * Entries pending with other consumers for at least `minIdleMs`, moved to `consumer` with their
   * content: delivered to an instance that lost the partition before it processed them (or died), and
   * so never acknowledged. The owner processes them (what is already folded is recognised) and acks them.
   */
  async claimIdle(partition: number, consumer: string, minIdleMs: number, count = 500): Promise<StreamEntry[]> {
    const out: StreamEntry[] = [];
    let cursor = '0-0';
    do {
      const [next, entries] = (await this.o.redis.xautoclaim(this.key(partition), GROUP, consumer, minIdleMs, cursor, 'COUNT', count)) as [
        string,
        (RawEntry | null)[],
      ];
      // Entries trimmed meanwhile come back empty: nothing left to process.
      for (const e of entries) if (e) out.push(this.entry(partition, e));
      cursor = next;
    } while (cursor !== '0-0' && out.length < count);
    return out.sort((a, b) => compareIds(a.id, b.id));
  }

  /** New entries of these partitions for `consumer`, waiting at most `blockMs` for the first. */
  async read(consumer: string, partitions: readonly number[], count: number, blockMs: number): Promise<StreamEntry[]> {
    if (partitions.length === 0) return [];
    const keys = partitions.map((p) => this.key(p));
    const res = (await this.o.reader.xreadgroup(
      'GROUP',
      GROUP,
      consumer,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      ...keys,
      ...keys.map(() => '>'),
    )) as [string, RawEntry[]][] | null;
    if (!res) return [];
    return res.flatMap(([key, entries]) => entries.map((r) => this.entry(partitions[keys.indexOf(key)], r)));
  }

  async ack(partition: number, ids: readonly string[]): Promise<void> {
    if (ids.length) await this.o.redis.xack(this.key(partition), GROUP, ...ids);
  }

  /** The oldest entry delivered and not yet acknowledged, if any. */
  async oldestPending(partition: number): Promise<string | null> {
    const summary = (await this.o.redis.xpending(this.key(partition), GROUP)) as [number, string | null, ...unknown[]];
    return Number(summary[0]) > 0 ? summary[1] : null;
  }

  /** Drops the entries before `minId`: only what is durable elsewhere (see the pipeline's checkpoints). */
  async trim(partition: number, minId: string): Promise<number> {
    return this.o.redis.xtrim(this.key(partition), 'MINID', minId);
  }

  /** Entries delivered and not yet acknowledged, and entries in the stream, per partition. */
  async lag(partition: number): Promise<{ pending: number; length: number }> {
    const [pending, length] = await Promise.all([
      this.o.redis.xpending(this.key(partition), GROUP) as Promise<[number, ...unknown[]]>,
      this.o.redis.xlen(this.key(partition)),
    ]);
    return { pending: Number(pending[0] ?? 0), length };
  }

  private entry(partition: number, [id, fields]: RawEntry): StreamEntry {
    const [receivedAt, signal] = JSON.parse(fields[fields.indexOf('v') + 1]) as [number, Signal];
    return { id, partition, signal, receivedAt };
  }
}
