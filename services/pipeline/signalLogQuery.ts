// The stored signal log, in the order the pipeline took the signals in: what an auditor exports to
// replay a station's decisions (npm run export, npm run replay).
import type { Signal } from '../../eventBus/types.js';
import type { SignalStore } from './signalStore/index.js';

export interface SignalPage {
  /** Each with when this copilot took it in (`receivedAt`, ISO 8601), so a replay can place station registrations between signals. */
  items: (Signal & { receivedAt: string })[];
  /** Pass as `after` for the next page; null on the last one. */
  nextCursor: string | null;
}

export class SignalLogQuery {
  constructor(private readonly store: Pick<SignalStore, 'list'>) {}

  /**
   * Signals in receive order (the log's insertion order: batched inserts keep the order signals were
   * folded in), optionally only some stations', after a cursor.
   */
  async list(f: { stationIds?: string[]; after?: string; limit: number }): Promise<SignalPage> {
    const { docs, nextCursor } = await this.store.list(f);
    return {
      items: docs.map(
        (d) =>
          ({
            id: d.signalId,
            stationId: d.stationId,
            type: d.type,
            ts: d.ts,
            payload: d.payload,
            receivedAt: new Date(d.receivedAt).toISOString(),
          }) as Signal & { receivedAt: string },
      ),
      nextCursor,
    };
  }
}
