// The embedded default's signal log: an LMDB journal in DATA_DIR. Appends are batched into one
// transaction per event-loop turn and acknowledged once committed (a crash of the process loses
// nothing acknowledged; the OS flushes to disk right after). Keys are ordered by receive time, so
// the retention window drops the oldest range and the file stops growing once it is full: its size
// depends on the window and the rate, not on how long the copilot has run.
import { open, type Database, type RootDatabase } from 'lmdb';
import type { SignalLogDoc } from '../../../models/index.js';
import type { SignalListing, SignalStore } from './types.js';

/** [received at (ms), sequence]: unique and in the order the pipeline took the signals in. */
type LogKey = [number, number];
interface LogValue {
  signalId: string;
  stationId: string;
  type: string;
  ts: string;
  payload: Record<string, unknown>;
}

/** Signals removed per transaction while pruning (a short write lock each). */
const PRUNE_CHUNK = 5000;
const HEX = 12;

/** The cursor API clients already know (24 hex digits, like a MongoDB ObjectId): time, then sequence. */
export function cursorOf([ms, seq]: LogKey): string {
  return ms.toString(16).padStart(HEX, '0') + seq.toString(16).padStart(HEX, '0');
}

function keyOf(cursor: string | undefined): LogKey | null {
  if (cursor === undefined || !/^[0-9a-f]{24}$/.test(cursor)) return null;
  return [parseInt(cursor.slice(0, HEX), 16), parseInt(cursor.slice(HEX), 16)];
}

const after = (a: LogKey, b: LogKey) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

export class EmbeddedSignalStore implements SignalStore {
  readonly kind = 'embedded' as const;
  private seq: number;
  private lastMs: number;
  private closed = false;

  private constructor(
    private readonly root: RootDatabase,
    private readonly log: Database<LogValue, LogKey>,
    /** [station, received at, sequence] -> nothing: one station's signals without walking the others'. */
    private readonly byStation: Database<null, [string, number, number]>,
  ) {
    const [last] = Array.from(this.log.getKeys({ reverse: true, limit: 1 }));
    this.lastMs = last ? last[0] : 0;
    this.seq = last ? last[1] + 1 : 0;
  }

  /** Opens (or creates) the journal at `path` (a file; LMDB keeps a `-lock` file beside it). */
  static open(path: string): EmbeddedSignalStore {
    const root = open({ path, maxDbs: 4, noSubdir: true });
    const log = root.openDB<LogValue, LogKey>('log', { encoding: 'msgpack' });
    const byStation = root.openDB<null, [string, number, number]>('by-station', { encoding: 'msgpack' });
    return new EmbeddedSignalStore(root, log, byStation);
  }

  insert(docs: SignalLogDoc[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the signal journal is closed'));
    if (docs.length === 0) return Promise.resolve();
    return this.root.transaction(() => {
      for (const d of docs) {
        // Never behind the last key, even if the clock steps back: the log stays in receive order.
        const ms = Math.max(d.receivedAt.getTime(), this.lastMs);
        this.lastMs = ms;
        const seq = this.seq++;
        void this.log.put([ms, seq], { signalId: d.signalId, stationId: d.stationId, type: d.type, ts: d.ts, payload: d.payload });
        void this.byStation.put([d.stationId, ms, seq], null);
      }
    });
  }

  async recentIds(limit: number): Promise<{ stationId: string; signalId: string }[]> {
    if (limit === 0) return [];
    return Array.from(this.log.getRange({ reverse: true, limit }), ({ value }) => ({
      stationId: value.stationId,
      signalId: value.signalId,
    }));
  }

  async list(f: { stationIds?: string[]; after?: string; limit: number }): Promise<SignalListing> {
    const from = keyOf(f.after);
    const want = f.limit + 1;
    let keys: LogKey[];
    if (!f.stationIds) {
      keys = [];
      for (const key of this.log.getKeys(from ? { start: from } : {})) {
        if (from && !after(key, from)) continue;
        keys.push(key);
        if (keys.length === want) break;
      }
    } else {
      // Each station's next keys, merged into receive order.
      keys = [];
      for (const st of new Set(f.stationIds)) {
        const start: [string, number, number] = from ? [st, from[0], from[1]] : [st, 0, 0];
        let n = 0;
        for (const k of this.byStation.getKeys({ start, end: [st, Number.MAX_SAFE_INTEGER, 0] })) {
          const key: LogKey = [k[1], k[2]];
          if (from && !after(key, from)) continue;
          keys.push(key);
          if (++n === want) break;
        }
      }
      keys.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      keys.length = Math.min(keys.length, want);
    }
    const page = keys.slice(0, f.limit);
    const docs: SignalLogDoc[] = [];
    for (const key of page) {
      const v = this.log.get(key);
      // Pruned between the key scan and this read: gone, as it would be a moment later.
      if (v) docs.push({ ...v, receivedAt: new Date(key[0]) });
    }
    return { docs, nextCursor: keys.length > f.limit ? cursorOf(page[page.length - 1]!) : null };
  }

  async prune(before: Date): Promise<number> {
    const end: LogKey = [before.getTime(), 0];
    let removed = 0;
    for (;;) {
      const chunk = Array.from(this.log.getRange({ end, limit: PRUNE_CHUNK }));
      if (chunk.length === 0) return removed;
      await this.root.transaction(() => {
        for (const { key, value } of chunk) {
          void this.log.remove(key);
          void this.byStation.remove([value.stationId, key[0], key[1]]);
        }
      });
      removed += chunk.length;
      if (chunk.length < PRUNE_CHUNK) return removed;
    }
  }

  /** How many signals the journal holds (tests and health). */
  count(): number {
    return this.log.getCount();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.flushed;
    await this.root.close();
  }
}

/** The journal's file in DATA_DIR. */
export const SIGNAL_JOURNAL_FILE = 'signals.mdb';
