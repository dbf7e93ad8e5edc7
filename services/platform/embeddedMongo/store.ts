// The embedded wire server's storage: documents live in LMDB, not in memory, with secondary indexes
// kept beside them, so a query reads the key ranges its filter allows (plan.ts) instead of every
// document, memory does not grow with what the copilot keeps, and a restart opens the file instead of
// loading it. Every write is journaled as it happens; the wire server answers a command once what it
// wrote is committed (worker.ts).
//
// Every page a transaction touches stays resident in the file's map, so with many small transactions
// the whole file ends up in the process's RSS. After `remapBytes` written, the worker lets the
// commands in flight finish, holds new ones, and the file is closed and mapped again (`remap`).
import { existsSync, renameSync } from 'node:fs';
import { open, type Database, type Key, type RootDatabase } from 'lmdb';
import { entriesOf, plan, type IndexInfo, type Plan, type Scalar } from './plan.js';
import {
  ID_INDEX,
  PRIMARY,
  enc,
  key,
  past,
  rangeOf,
  type Collection,
  type Doc,
  type Index,
  type IndexSpec,
  type IndexState,
  type Pending,
  type StoreOptions,
  type StoreQuery,
} from './layout.js';

export type { IndexSpec, StoreQuery, StoreOptions };

/* eslint-disable @typescript-eslint/no-explicit-any -- range removal works on any of the store's databases */

/** Bytes written between two mappings of the file: about 32 MB of pages that stay resident. */
export const REMAP_BYTES = 32 * 1024 * 1024;
/** What an index entry's write counts for (its key; the value is empty). */
const ENTRY_BYTES = 64;

export class LmdbStorage {
  private env!: RootDatabase;
  private docs!: Database<Buffer, Key>;
  private meta!: Database<IndexSpec[], Key>;
  private entries!: Database<Buffer, Key>;
  private states!: Database<IndexState, Key>;
  private readonly dbs = new Map<string, Map<string, Collection>>();
  private last: Promise<unknown> = Promise.resolve();
  private readonly empty = Buffer.alloc(0);
  /** Queries that had to read a whole collection, by namespace (the embeddedStats command). */
  readonly fullScans = new Map<string, number>();
  readonly opLog: unknown[] = [];
  /** Bytes written since the file was last mapped (documents, and index entries at ENTRY_BYTES). */
  private written = 0;
  private remaps = 0;

  constructor(private readonly opts: StoreOptions) {}

  private map(): void {
    this.env = open({ path: this.opts.path, maxDbs: 8, noSubdir: true });
    this.docs = this.env.openDB<Buffer, Key>('documents', { encoding: 'binary' });
    this.meta = this.env.openDB<IndexSpec[], Key>('collections', { encoding: 'msgpack' });
    this.entries = this.env.openDB<Buffer, Key>('entries', { encoding: 'binary' });
    this.states = this.env.openDB<IndexState, Key>('indexState', { encoding: 'msgpack' });
  }

  /** Whether enough was written since the file was mapped for `remap` to be due. */
  get remapDue(): boolean {
    return this.written >= (this.opts.remapBytes ?? REMAP_BYTES);
  }

  /** How many times the file was mapped again (the embeddedStats command). */
  get remapped(): number {
    return this.remaps;
  }

  /**
   * Closes the file once every write is committed and maps it again, so the pages written since
   * leave the process. Only while no command is running (the worker holds them back meanwhile).
   */
  async remap(): Promise<void> {
    this.written = 0;
    await this.persist();
    await this.env.close();
    this.map();
    this.remaps++;
  }

  async initialize(): Promise<void> {
    this.map();
    const legacy = this.opts.legacy;
    if (legacy && existsSync(legacy.file) && Array.from(this.meta.getKeys({ limit: 1 })).length === 0) await this.importLegacy(legacy);
    for (const { key, value } of this.meta.getRange()) {
      const [db, coll] = key as [string, string];
      const c = this.collection(db, coll, false);
      c.specs = value;
      for (const spec of value) this.loadIndex(db, coll, c, spec);
    }
  }

  private async importLegacy(legacy: NonNullable<StoreOptions['legacy']>): Promise<void> {
    for (const [db, colls] of await legacy.load(legacy.file))
      for (const [coll, docs] of colls) {
        this.ensureCollection(db, coll);
        for (const doc of docs.values()) this.write(db, coll, doc);
      }
    await this.last;
    renameSync(legacy.file, `${legacy.file}.imported`);
  }

  // Collections and databases

  private collection(db: string, coll: string, persist = true): Collection {
    let colls = this.dbs.get(db);
    if (!colls) this.dbs.set(db, (colls = new Map()));
    let c = colls.get(coll);
    if (!c) {
      colls.set(coll, (c = { specs: [ID_INDEX], indexes: new Map(), pending: new Map() }));
      if (persist) this.last = this.meta.put([db, coll], c.specs);
    }
    return c;
  }

  ensureCollection(db: string, coll: string): Collection {
    return this.collection(db, coll);
  }

  async listDatabases(): Promise<string[]> {
    return [...this.dbs.keys()];
  }
  async createDatabase(db: string): Promise<void> {
    if (!this.dbs.has(db)) this.dbs.set(db, new Map());
  }
  async databaseExists(db: string): Promise<boolean> {
    return this.dbs.has(db);
  }
  async dropDatabase(db: string): Promise<boolean> {
    const colls = this.dbs.get(db);
    if (!colls) return false;
    for (const coll of [...colls.keys()]) await this.dropCollection(db, coll);
    this.dbs.delete(db);
    return true;
  }
  async listCollections(db: string): Promise<string[]> {
    return [...(this.dbs.get(db)?.keys() ?? [])];
  }
  async createCollection(db: string, coll: string): Promise<void> {
    this.collection(db, coll);
  }
  async collectionExists(db: string, coll: string): Promise<boolean> {
    return this.dbs.get(db)?.has(coll) ?? false;
  }

  async dropCollection(db: string, coll: string): Promise<boolean> {
    const c = this.dbs.get(db)?.get(coll);
    if (!c) return false;
    this.removeRange(this.docs, [db, coll]);
    this.removeRange(this.entries, [db, coll]);
    this.removeRange(this.states, [db, coll]);
    this.last = this.meta.remove([db, coll]);
    this.dbs.get(db)!.delete(coll);
    return true;
  }

  async renameCollection(db: string, from: string, to: string): Promise<void> {
    const c = this.dbs.get(db)?.get(from);
    if (!c) throw new Error(`Collection ${from} not found`);
    const docs = this.scan(db, from);
    const specs = c.specs;
    await this.dropCollection(db, from);
    this.collection(db, to);
    for (const doc of docs) this.write(db, to, doc);
    for (const { name, ...spec } of specs) if (name !== ID_INDEX.name) await this.saveIndex(db, to, name, spec);
  }

  private removeRange(dbi: Database<any, Key>, parts: Scalar[]): void {
    for (const key of dbi.getKeys({ start: enc(parts), end: past(parts) })) this.last = dbi.remove(key);
  }

  // Documents

  /** A fresh copy of a document, as the wire server may change what it is given. */
  private read(db: string, coll: string, c: Collection, hex: string): Doc | null {
    const pending = c.pending.get(hex);
    const bytes = pending ? pending.bytes : this.docs.get([db, coll, hex]);
    return bytes ? this.opts.bson.deserialize(bytes) : null;
  }

  /** A document to look at only (not handed out). */
  private peek(db: string, coll: string, c: Collection, hex: string): Doc | null {
    const pending = c.pending.get(hex);
    return pending ? pending.doc : this.read(db, coll, c, hex);
  }

  private exists(db: string, coll: string, c: Collection, hex: string): boolean {
    const pending = c.pending.get(hex);
    return pending ? pending.bytes !== null : this.docs.doesExist([db, coll, hex]);
  }

  /** Stores a document (or deletes it, with null) and keeps every built index in step. */
  private write(db: string, coll: string, doc: Doc, deleteOnly = false): void {
    const c = this.collection(db, coll);
    const hex = doc._id.toHexString();
    const next = deleteOnly ? null : doc;
    if (c.indexes.size > 0) {
      const old = this.peek(db, coll, c, hex);
      for (const index of c.indexes.values()) this.reindex(db, coll, index, hex, old, next);
    }
    const bytes = next ? Buffer.from(this.opts.bson.serialize(next)) : null;
    this.written += bytes ? bytes.length : ENTRY_BYTES;
    const mark: Pending = { bytes, doc: next };
    c.pending.set(hex, mark);
    this.last = bytes ? this.docs.put([db, coll, hex], bytes) : this.docs.remove([db, coll, hex]);
    // LMDB commits in order: once this last write is in, so are the index entries before it.
    const settle = () => c.pending.get(hex) === mark && c.pending.delete(hex);
    void this.last.then(settle, settle);
  }

  private reindex(db: string, coll: string, index: Index, hex: string, old: Doc | null, next: Doc | null): void {
    if (index.broken) return;
    const before = old ? entriesOf(old, index.fields).entries : [];
    const after = next ? entriesOf(next, index.fields) : { entries: [], broken: false, multikey: [] };
    if (after.broken) return this.markBroken(db, coll, index);
    const keep = new Set(after.entries.map((e) => enc(e).toString('hex')));
    // Not awaited: the document's own write comes after these, and LMDB commits in order.
    for (const e of before) if (!keep.has(enc(e).toString('hex'))) void this.entries.remove(key(db, coll, index.name, ...e, hex));
    for (const e of after.entries) void this.entries.put(key(db, coll, index.name, ...e, hex), this.empty);
    this.written += (before.length + after.entries.length) * ENTRY_BYTES;
    const fresh = after.multikey.filter((f) => !index.multikey.has(f));
    if (fresh.length > 0) {
      for (const f of fresh) index.multikey.add(f);
      void this.states.put([db, coll, index.name], { broken: false, multikey: [...index.multikey] });
    }
  }

  private markBroken(db: string, coll: string, index: Index): void {
    index.broken = true;
    this.removeRange(this.entries, [db, coll, index.name]);
    this.last = this.states.put([db, coll, index.name], { broken: true, multikey: [...index.multikey] });
  }

  async insertOne(db: string, coll: string, doc: Doc): Promise<Doc> {
    const { ObjectId } = this.opts.bson;
    const stored = { ...doc, _id: doc._id instanceof ObjectId ? doc._id : new ObjectId(doc._id) };
    const c = this.collection(db, coll);
    const hex = stored._id.toHexString();
    if (this.exists(db, coll, c, hex)) throw new Error(`Duplicate key error: _id ${hex}`);
    this.write(db, coll, stored);
    return stored;
  }

  async insertMany(db: string, coll: string, docs: Doc[]): Promise<Doc[]> {
    const out: Doc[] = [];
    for (const doc of docs) out.push(await this.insertOne(db, coll, doc));
    return out;
  }

  async findById(db: string, coll: string, id: Doc['_id']): Promise<Doc | null> {
    return this.read(db, coll, this.collection(db, coll), id.toHexString());
  }

  async updateById(db: string, coll: string, id: Doc['_id'], doc: Doc): Promise<boolean> {
    if (!this.exists(db, coll, this.collection(db, coll), id.toHexString())) return false;
    this.write(db, coll, doc);
    return true;
  }

  async deleteById(db: string, coll: string, id: Doc['_id']): Promise<boolean> {
    if (!this.exists(db, coll, this.collection(db, coll), id.toHexString())) return false;
    this.write(db, coll, { _id: id }, true);
    return true;
  }

  async deleteByIds(db: string, coll: string, ids: Doc['_id'][]): Promise<number> {
    let n = 0;
    for (const id of ids) if (await this.deleteById(db, coll, id)) n++;
    return n;
  }

  async count(db: string, coll: string): Promise<number> {
    return this.scan(db, coll).length;
  }

  /**
   * The documents the current command may need: those its plan's key ranges hold, or every one when
   * no index narrows the filter.
   */
  async findAll(db: string, coll: string): Promise<Doc[]> {
    const query = this.opts.queryFor(db, coll);
    if (query === 'none') return [];
    const c = this.collection(db, coll);
    const chosen = query ? plan(query.filter, query.sort, this.usable(c)) : null;
    if (!chosen) {
      if (query) this.fullScans.set(`${db}.${coll}`, (this.fullScans.get(`${db}.${coll}`) ?? 0) + 1);
      return this.scan(db, coll);
    }
    return this.run(db, coll, c, chosen, query!);
  }

  private usable(c: Collection): IndexInfo[] {
    return [PRIMARY, ...[...c.indexes.values()].filter((i) => !i.broken)];
  }

  private run(db: string, coll: string, c: Collection, p: Plan, q: StoreQuery): Doc[] {
    const filter = q.filter && Object.keys(q.filter).length > 0 ? q.filter : null;
    const test = filter ? this.opts.matcher(filter) : () => true;
    const wanted = p.ordered && q.limit > 0 ? q.limit : Infinity;
    const out: Doc[] = [];
    const seen = new Set<string>();
    // Uncommitted documents are all candidates; their (possibly stale) index entries are skipped.
    for (const [hex, { bytes, doc }] of c.pending) {
      seen.add(hex);
      if (bytes && doc && test(doc)) out.push(this.opts.bson.deserialize(bytes));
    }
    let found = 0;
    const base: Scalar[] = p.index.name === null ? [db, coll] : [db, coll, p.index.name];
    for (const scan of p.scans) {
      const dbi = p.index.name === null ? this.docs : this.entries;
      for (const key of dbi.getKeys(rangeOf(base, scan, p.reverse, p.index.name === null))) {
        const hex = (key as Scalar[])[(key as Scalar[]).length - 1] as string;
        if (seen.has(hex)) continue;
        seen.add(hex);
        const doc = this.read(db, coll, c, hex);
        if (!doc || !test(doc)) continue;
        out.push(doc);
        if (++found >= wanted) return out;
      }
    }
    return out;
  }

  /** Every document of a collection, committed or not. */
  private scan(db: string, coll: string): Doc[] {
    const c = this.dbs.get(db)?.get(coll);
    if (!c) return [];
    const out: Doc[] = [];
    for (const { key, value } of this.docs.getRange({ start: enc([db, coll]), end: past([db, coll]) })) {
      const hex = (key as string[])[2]!;
      if (!c.pending.has(hex)) out.push(this.opts.bson.deserialize(value));
    }
    for (const { bytes } of c.pending.values()) if (bytes) out.push(this.opts.bson.deserialize(bytes));
    return out;
  }

  // Indexes

  private loadIndex(db: string, coll: string, c: Collection, spec: IndexSpec): void {
    if (spec.name === ID_INDEX.name) return;
    const state = this.states.get([db, coll, spec.name]);
    const index: Index = {
      name: spec.name,
      fields: Object.keys(spec.key),
      multikey: new Set(state?.multikey ?? []),
      broken: state?.broken ?? false,
    };
    c.indexes.set(spec.name, index);
    if (!state) this.build(db, coll, index);
  }

  /** Writes an index's entries for the documents already there (a new index, or a file from before indexes). */
  private build(db: string, coll: string, index: Index): void {
    for (const doc of this.scan(db, coll)) {
      const hex = doc._id.toHexString();
      this.reindex(db, coll, index, hex, null, doc);
      if (index.broken) return;
    }
    this.last = this.states.put([db, coll, index.name], { broken: false, multikey: [...index.multikey] });
  }

  async saveIndex(db: string, coll: string, name: string, spec: Record<string, unknown>): Promise<void> {
    const c = this.collection(db, coll);
    const full = { name, ...spec } as IndexSpec;
    const at = c.specs.findIndex((s) => s.name === name);
    c.specs = at >= 0 ? c.specs.map((s, i) => (i === at ? full : s)) : [...c.specs, full];
    this.last = this.meta.put([db, coll], c.specs);
    if (at < 0) this.loadIndex(db, coll, c, full);
  }

  async getIndexes(db: string, coll: string): Promise<IndexSpec[]> {
    return this.dbs.get(db)?.get(coll)?.specs ?? [ID_INDEX];
  }

  async dropIndex(db: string, coll: string, name: string): Promise<boolean> {
    if (name === ID_INDEX.name) throw new Error('Cannot drop _id index');
    const c = this.dbs.get(db)?.get(coll);
    if (!c || !c.specs.some((s) => s.name === name)) return false;
    c.specs = c.specs.filter((s) => s.name !== name);
    c.indexes.delete(name);
    this.removeRange(this.entries, [db, coll, name]);
    void this.states.remove([db, coll, name]);
    this.last = this.meta.put([db, coll], c.specs);
    return true;
  }

  // The wire server's oplog and transactions (unused by the copilot; kept for the adapter's contract)

  async appendOpLog(entry: unknown): Promise<void> {
    this.opLog.push(entry);
    if (this.opLog.length > 2_000) this.opLog.splice(0, 1_000);
  }
  async getOpLogAfter(): Promise<unknown[]> {
    return [];
  }
  async getLatestOpLogTimestamp(): Promise<null> {
    return null;
  }
  async createSnapshot(db: string, coll: string): Promise<Doc[]> {
    return this.scan(db, coll);
  }
  async hasConflicts(): Promise<boolean> {
    return false;
  }

  /** Resolves when every write made so far is committed (LMDB commits in order). */
  committed(): Promise<unknown> {
    return this.last;
  }

  async persist(): Promise<void> {
    await this.last;
    await this.env.flushed;
  }

  async close(): Promise<void> {
    await this.persist();
    await this.env.close();
  }
}
