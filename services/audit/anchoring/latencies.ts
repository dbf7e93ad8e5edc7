// When each decision leaf waiting for the chain was logged, for the anchoring latency metric.
// Bounded: while the chain is down for long the oldest leaves lose their latency sample
// (the metric misses them; the leaves themselves wait in the database and are anchored all the same).
import { LRUCache } from 'lru-cache';

/** 100,000 leaves is 50 batches of ANCHOR_BATCH_MAX's default; about 10 MB at most. */
export const PENDING_LATENCIES_MAX = 100_000;

export class PendingLatencies {
  private readonly at: LRUCache<number, number>;

  constructor(max = PENDING_LATENCIES_MAX) {
    this.at = new LRUCache<number, number>({ max });
  }

  get size(): number {
    return this.at.size;
  }

  note(seq: number, loggedAt: number): void {
    this.at.set(seq, loggedAt);
  }

  /** The time `seq` was logged, once: it is forgotten as it is read. */
  take(seq: number): number | undefined {
    const t = this.at.get(seq);
    this.at.delete(seq);
    return t;
  }
}
