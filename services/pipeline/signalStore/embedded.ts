// The embedded default's signal log: an LMDB journal in DATA_DIR. Appends are batched into one
// transaction per event-loop turn, written on LMDB's write thread, and acknowledged once committed (a
// crash of the process loses nothing acknowledged; the OS flushes to disk right after). Keys are
// ordered by receive time, so the retention window drops the oldest range and the file stops growing
// once it is full: its size depends on the window and the rate, not on how long the copilot has run.
//
// The file is mapped into memory, and every page a transaction touches stays resident in that map
// (the kernel maps a fault's neighbours too): with one small transaction per turn, the whole journal
// ends up counted in the process's RSS. So the journal is closed and opened again after every
// `remapEvery` signals, which drops those pages from the process (they stay in the page cache).
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
/** Signals appended between two mappings of the file: about 28 MB of journal at 280 bytes a signal. */
export const REMAP_EVERY = 100_000;

/** The cursor API clients already know (24 hex digits, like a MongoDB ObjectId): time, then sequence. */
export function cursorOf([ms, seq]: LogKey): string {
  return ms.toString(16).padStart(HEX, '0') + seq.toString(16).padStart(HEX, '0');
}

function keyOf(cursor: string | undefined): LogKey | null {
  if (cursor === undefined || !/^[0-9a-f]{24}$/.test(cursor)) return null;
  return [parseInt(cursor.slice(0, HEX), 16), parseInt(cursor.slice(HEX), 16)];
}

const after = (a: LogKey, b: LogKey) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

interface Mapped {
  root: RootDatabase;
  log: Database<LogValue, LogKey>;
  /** [station, received at, sequence] -> nothing: one station's signals without walking the others'. */
  byStation: Database<null, [string, number, number]>;
  /** [received at, sequence] -> [station, signal id]: the recent ids a start reloads, without the payloads. */
  ids: Database<[string, string], LogKey>;
}

function mapped(path: string): Mapped {
  const root = open({ path, maxDbs: 4, noSubdir: true });
  const log = root.openDB<LogValue, LogKey>('log', { encoding: 'msgpack' });
  const byStation = root.openDB<null, [string, number, number]>('by-station', { encoding: 'msgpack' });
  const ids = root.openDB<[string, string], LogKey>('ids', { encoding: 'msgpack' });
  return { root, log, byStation, ids };
}

export class EmbeddedSignalStore implements SignalStore {
  readonly kind = 'embedded' as const;
  private seq: number;
  private lastMs: number;
  private closed = false;
  /** Signals appended since the file was last mapped. */
  private appended = 0;
  /** The last append's commit: a remap waits for it. */
  private lastWrite: Promise<unknown> = Promise.resolve();
  /** While the file is being mapped again: everything that reads or writes waits for it. */
  private remapping: Promise<void> | null = null;
  private remaps = 0;

  private constructor(
    private readonly path: string,
    private db: Mapped,
    private readonly remapEvery: number,
  ) {
    const [last] = Array.from(db.log.getKeys({ reverse: true, limit: 1 }));
    this.lastMs = last ? last[0] : 0;
    this.seq = last ? last[1] + 1 : 0;
  }

  /**
   * Opens (or creates) the journal at `path` (a file; LMDB keeps a `-lock` file beside it).
   * `remapEvery`: signals appended between two mappings of the file (see the top of this file).
   */
  static open(path: string, opts: { remapEvery?: number } = {}): EmbeddedSignalStore {
    return new EmbeddedSignalStore(path, mapped(path), opts.remapEvery ?? REMAP_EVERY);
  }

  /** How many times the file was mapped again (tests). */
  get remapped(): number {
    return this.remaps;
  }

  /** The journal, once no remap is under way. */
  private async mappedDb(): Promise<Mapped> {
    while (this.remapping) await this.remapping;
    return this.db;
  }

  insert(docs: SignalLogDoc[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the signal journal is closed'));
    if (docs.length === 0) return Promise.resolve();
    // Appends wait their turn behind a remap, in the order they came.
    if (this.remapping) return this.remapping.then(() => this.insert(docs));
    const { root, log, byStation, ids } = this.db;
    // A batch, not a transaction: its puts are carried out on LMDB's write thread, in one transaction.
    // A transaction's callback runs on this thread in the middle of the commit (the write thread waits
    // for it), so every append waited twice for a busy event loop.
    const written = root
      .batch(() => {
        for (const d of docs) {
          // Never behind the last key, even if the clock steps back: the log stays in receive order.
          const ms = Math.max(d.receivedAt.getTime(), this.lastMs);
          this.lastMs = ms;
          const seq = this.seq++;
          void log.put([ms, seq], { signalId: d.signalId, stationId: d.stationId, type: d.type, ts: d.ts, payload: d.payload });
          void byStation.put([d.stationId, ms, seq], null);
          void ids.put([ms, seq], [d.stationId, d.signalId]);
        }
      })
      .then(() => undefined);
    this.lastWrite = written;
    this.appended += docs.length;
    if (this.appended >= this.remapEvery) this.remap();
    return written;
  }

  /** Closes the file once the last append is in and opens it again: its pages leave the process. */
  private remap(): void {
    this.appended = 0;
    const remapping: Promise<void> = (async () => {
      await this.lastWrite.catch(() => undefined);
      await this.db.root.close();
      this.db = mapped(this.path);
      this.remaps++;
    })().finally(() => {
      if (this.remapping === remapping) this.remapping = null;
    });
    this.remapping = remapping;
  }

  async existing(docs: readonly { stationId: string; signalId: string; receivedAt: Date }[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (docs.length === 0) return found;
    await this.lastWrite;
    const { byStation, ids } = await this.mappedDb();
    // Per station, its journal from the earliest of these on (a key's time is never before its signal's receivedAt).
    const from = new Map<string, number>();
    for (const d of docs) from.set(d.stationId, Math.min(from.get(d.stationId) ?? Infinity, d.receivedAt.getTime()));
    const wanted = new Set(docs.map((d) => `${d.stationId}/${d.signalId}`));
    for (const [st, ms] of from) {
      for (const k of byStation.getKeys({ start: [st, ms, 0], end: [st, Number.MAX_SAFE_INTEGER, 0] })) {
        const v = ids.get([k[1], k[2]]);
        const key = v ? `${v[0]}/${v[1]}` : null;
        if (key && wanted.has(key)) found.add(key);
      }
    }
    return found;
  }

  async recentIds(limit: number): Promise<{ stationId: string; signalId: string }[]> {
    if (limit === 0) return [];
    const { log, ids } = await this.mappedDb();
    let oldest: LogKey | undefined;
    const out = Array.from(ids.getRange({ reverse: true, limit }), ({ key, value }) => {
      oldest = key;
      return { stationId: value[0], signalId: value[1] };
    });
    // Journals written before the ids had their own table: the rest from the entries themselves.
    if (out.length < limit)
      for (const { value } of log.getRange({
        reverse: true,
        limit: limit - out.length,
        ...(oldest ? { start: oldest, exclusiveStart: true } : {}),
      }))
        out.push({ stationId: value.stationId, signalId: value.signalId });
    return out;
  }

  async list(f: { stationIds?: string[]; after?: string; limit: number }): Promise<SignalListing> {
    const { log, byStation } = await this.mappedDb();
    const from = keyOf(f.after);
    const want = f.limit + 1;
    let keys: LogKey[];
    if (!f.stationIds) {
      keys = [];
      for (const key of log.getKeys(from ? { start: from } : {})) {
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
        for (const k of byStation.getKeys({ start, end: [st, Number.MAX_SAFE_INTEGER, 0] })) {
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
      const v = log.get(key);
      // Pruned between the key scan and this read: gone, as it would be a moment later.
      if (v) docs.push({ ...v, receivedAt: new Date(key[0]) });
    }
    return { docs, nextCursor: keys.length > f.limit ? cursorOf(page[page.length - 1]!) : null };
  }

  async prune(before: Date): Promise<number> {
    const end: LogKey = [before.getTime(), 0];
    let removed = 0;
    for (;;) {
      // Each chunk reads and removes through one mapping (a remap may come between chunks).
      const { root, log, byStation, ids } = await this.mappedDb();
      const chunk = Array.from(log.getRange({ end, limit: PRUNE_CHUNK }));
      if (chunk.length === 0) return removed;
      await root.transaction(() => {
        for (const { key, value } of chunk) {
          void log.remove(key);
          void byStation.remove([value.stationId, key[0], key[1]]);
          void ids.remove(key);
        }
      });
      removed += chunk.length;
      if (chunk.length < PRUNE_CHUNK) return removed;
    }
  }

  /** How many signals the journal holds (tests and health). */
  async count(): Promise<number> {
    return (await this.mappedDb()).log.getCount();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { root } = await this.mappedDb();
    await root.flushed;
    await root.close();
  }
}

/** The journal's file in DATA_DIR. */
export const SIGNAL_JOURNAL_FILE = 'signals.mdb';
