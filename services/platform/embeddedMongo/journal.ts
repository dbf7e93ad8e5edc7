// Durable storage for the embedded wire server: its in-memory adapter, with every document write
// journaled to LMDB as it happens. Nothing is rewritten on a timer; a restart reads the documents
// back (signals live in their own journal, so this is what the copilot keeps, not what it saw).
import { renameSync, existsSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';

/* eslint-disable @typescript-eslint/no-explicit-any -- the wire server's dist has no usable types */
type Doc = Record<string, any> & { _id: { toHexString(): string } };
type IndexSpec = { name: string; key: Record<string, unknown> } & Record<string, unknown>;
interface Bson {
  serialize(doc: Doc): Uint8Array;
  deserialize(bytes: Uint8Array): Doc;
}
/** The in-memory adapter of @push.rocks/smartmongo's wire server (see RECIPES.md): what is extended. */
export interface MemoryAdapter {
  databases: Map<string, Map<string, Map<string, Doc>>>;
  indexes: Map<string, Map<string, IndexSpec[]>>;
  opLog: unknown[];
  persistPath?: string;
  ensureCollection(db: string, coll: string): Map<string, Doc>;
  insertOne(db: string, coll: string, doc: Doc): Promise<Doc>;
  updateById(db: string, coll: string, id: Doc['_id'], doc: Doc): Promise<boolean>;
  deleteById(db: string, coll: string, id: Doc['_id']): Promise<boolean>;
  createCollection(db: string, coll: string): Promise<void>;
  dropCollection(db: string, coll: string): Promise<boolean>;
  dropDatabase(db: string): Promise<boolean>;
  renameCollection(db: string, from: string, to: string): Promise<void>;
  saveIndex(db: string, coll: string, name: string, spec: Record<string, unknown>): Promise<void>;
  getIndexes(db: string, coll: string): Promise<IndexSpec[]>;
  dropIndex(db: string, coll: string, name: string): Promise<boolean>;
  appendOpLog(entry: unknown): Promise<void>;
  restore(): Promise<void>;
}
type AdapterClass = new (options: Record<string, unknown>) => MemoryAdapter;

/** Operations kept for the wire server's transaction conflict checks (it keeps 10,000, copying the list on every write). */
const OPLOG_KEEP = 10_000;

export function journaledStorage(Base: AdapterClass, bson: Bson) {
  return class JournaledStorage extends Base {
    private env!: RootDatabase;
    /** [database, collection, _id] -> the document as BSON (dates and ids come back as they went in). */
    private docs!: Database<Buffer, [string, string, string]>;
    /** [database, collection] -> the collection's index specs (an empty collection is kept too). */
    private meta!: Database<IndexSpec[], [string, string]>;
    private last: Promise<unknown> = Promise.resolve();

    constructor(
      private readonly journalPath: string,
      /** A whole-database JSON snapshot from earlier versions, imported once when the journal is new. */
      private readonly legacySnapshot: string | null,
    ) {
      super({});
    }

    async initialize(): Promise<void> {
      this.env = open({ path: this.journalPath, maxDbs: 4, noSubdir: true });
      this.docs = this.env.openDB<Buffer, [string, string, string]>('documents', { encoding: 'binary' });
      this.meta = this.env.openDB<IndexSpec[], [string, string]>('collections', { encoding: 'msgpack' });
      const empty = Array.from(this.meta.getKeys({ limit: 1 })).length === 0;
      if (empty && this.legacySnapshot && existsSync(this.legacySnapshot)) return this.importSnapshot(this.legacySnapshot);
      for (const { key, value } of this.meta.getRange()) {
        this.ensureCollection(key[0], key[1]);
        this.indexes.get(key[0])!.set(key[1], value);
      }
      for (const { key, value } of this.docs.getRange()) this.ensureCollection(key[0], key[1]).set(key[2], bson.deserialize(value));
    }

    private async importSnapshot(file: string): Promise<void> {
      this.persistPath = file;
      await super.restore();
      this.persistPath = undefined;
      for (const [db, colls] of this.databases)
        for (const [coll, docs] of colls) {
          this.writeMeta(db, coll);
          for (const doc of docs.values()) this.write(db, coll, doc);
        }
      await this.last;
      renameSync(file, `${file}.imported`);
    }

    /** Resolves when every write made so far is committed (LMDB commits in order). */
    committed(): Promise<unknown> {
      return this.last;
    }

    private write(db: string, coll: string, doc: Doc): void {
      this.last = this.docs.put([db, coll, doc._id.toHexString()], Buffer.from(bson.serialize(doc)));
    }

    private writeMeta(db: string, coll: string): void {
      const specs = this.indexes.get(db)?.get(coll);
      this.last = specs ? this.meta.put([db, coll], specs) : this.meta.remove([db, coll]);
    }

    private forget(db: string, coll?: string): void {
      for (const key of this.docs.getKeys({ start: coll ? [db, coll] : [db] }))
        if (key[0] === db && (coll === undefined || key[1] === coll)) this.last = this.docs.remove(key);
        else break;
      for (const key of this.meta.getKeys({ start: coll ? [db, coll] : [db] }))
        if (key[0] === db && (coll === undefined || key[1] === coll)) this.last = this.meta.remove(key);
        else break;
    }

    override async insertOne(db: string, coll: string, doc: Doc): Promise<Doc> {
      const known = this.databases.get(db)?.has(coll) ?? false;
      const stored = await super.insertOne(db, coll, doc);
      if (!known) this.writeMeta(db, coll);
      this.write(db, coll, stored);
      return stored;
    }

    override async updateById(db: string, coll: string, id: Doc['_id'], doc: Doc): Promise<boolean> {
      const ok = await super.updateById(db, coll, id, doc);
      if (ok) this.write(db, coll, doc);
      return ok;
    }

    override async deleteById(db: string, coll: string, id: Doc['_id']): Promise<boolean> {
      const ok = await super.deleteById(db, coll, id);
      if (ok) this.last = this.docs.remove([db, coll, id.toHexString()]);
      return ok;
    }

    override async createCollection(db: string, coll: string): Promise<void> {
      await super.createCollection(db, coll);
      this.writeMeta(db, coll);
    }

    override async dropCollection(db: string, coll: string): Promise<boolean> {
      const ok = await super.dropCollection(db, coll);
      this.forget(db, coll);
      return ok;
    }

    override async dropDatabase(db: string): Promise<boolean> {
      const ok = await super.dropDatabase(db);
      this.forget(db);
      return ok;
    }

    override async renameCollection(db: string, from: string, to: string): Promise<void> {
      await super.renameCollection(db, from, to);
      this.forget(db, from);
      this.writeMeta(db, to);
      for (const doc of this.databases.get(db)!.get(to)!.values()) this.write(db, to, doc);
    }

    override async saveIndex(db: string, coll: string, name: string, spec: Record<string, unknown>): Promise<void> {
      await super.saveIndex(db, coll, name, spec);
      this.writeMeta(db, coll);
    }

    override async dropIndex(db: string, coll: string, name: string): Promise<boolean> {
      const ok = await super.dropIndex(db, coll, name);
      if (ok) this.writeMeta(db, coll);
      return ok;
    }

    override async appendOpLog(entry: unknown): Promise<void> {
      this.opLog.push(entry);
      // Trimmed in halves: amortised O(1) per write instead of a 10,000-entry copy each time.
      if (this.opLog.length > 2 * OPLOG_KEEP) this.opLog.splice(0, this.opLog.length - OPLOG_KEEP);
    }

    async persist(): Promise<void> {
      await this.last;
      await this.env.flushed;
    }

    async close(): Promise<void> {
      await this.persist();
      await this.env.close();
    }
  };
}
