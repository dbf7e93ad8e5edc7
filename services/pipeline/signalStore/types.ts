// The raw signal log behind a port: MongoDB with a TTL index in production, an LMDB journal for the
// embedded default (whose in-memory wire server cannot hold days of signals). Both keep signals in
// the order the pipeline took them in and drop them after the retention window.
import type { SignalLogDoc } from '../../../models/index.js';

export interface SignalListing {
  docs: SignalLogDoc[];
  /** Opaque, 24 lowercase hex digits: pass as `after` for the next page; null on the last one. */
  nextCursor: string | null;
}

export interface SignalStore {
  readonly kind: 'mongo' | 'embedded';
  /** Resolves once every signal is durable; a signal already stored (same station and id) is skipped. */
  insert(docs: SignalLogDoc[]): Promise<void>;
  /**
   * Which of these signals are already stored, as "station/id" keys (a replay of the stream log after a
   * takeover journals only the ones that are not). `receivedAt` is when each was taken: nothing stored
   * before it needs to be looked at.
   */
  existing(docs: readonly { stationId: string; signalId: string; receivedAt: Date }[]): Promise<Set<string>>;
  /** The most recently received signals' ids, newest first (reloaded into the dedupe cache at start). */
  recentIds(limit: number): Promise<{ stationId: string; signalId: string }[]>;
  /** Signals in receive order, optionally only some stations', after a cursor from an earlier page. */
  list(f: { stationIds?: string[]; after?: string; limit: number }): Promise<SignalListing>;
  /** Drops signals received before `before`; resolves with how many went. */
  prune(before: Date): Promise<number>;
  close(): Promise<void>;
}
