// The embedded store's shapes and key layout. Documents: [db, coll, _id hex] -> BSON. Index entries:
// [db, coll, index name, ...values, _id hex] -> nothing. Keys are lmdb's ordered-binary encoding, so a
// range over a key prefix reads one index's entries for one value, in value order.
import * as lmdb from 'lmdb';
import type { Key, RangeOptions } from 'lmdb';
import type { IndexInfo, Scalar, Scan } from './plan.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the wire server hands over BSON documents of any shape */
export type Doc = Record<string, any> & { _id: { toHexString(): string } };
export type IndexSpec = { name: string; key: Record<string, unknown> } & Record<string, unknown>;
export interface Bson {
  serialize(doc: Doc): Uint8Array;
  deserialize(bytes: Uint8Array): Doc;
  ObjectId: new (id?: unknown) => Doc['_id'];
}

/** What the command being served asks of a collection; see worker.ts. */
export interface StoreQuery {
  filter?: Record<string, unknown>;
  sort?: unknown;
  /** Matches wanted (skip plus limit); 0 for all. */
  limit: number;
}

export interface StoreOptions {
  path: string;
  bson: Bson;
  /** A test for one document against a MongoDB filter (the wire server's own matcher). */
  matcher(filter: Record<string, unknown>): (doc: Doc) => boolean;
  /** The query the current command runs on this collection: 'none' when it needs no documents, undefined to read all. */
  queryFor(db: string, coll: string): StoreQuery | 'none' | undefined;
  /** Loads a whole-database JSON snapshot from earlier versions (imported once into a new file). */
  legacy?: { file: string; load(file: string): Promise<Map<string, Map<string, Map<string, Doc>>>> };
  /** Bytes written between two mappings of the file (store.ts); REMAP_BYTES by default. */
  remapBytes?: number;
}

export interface IndexState {
  broken: boolean;
  multikey: string[];
}
export interface Index extends IndexInfo {
  name: string;
  broken: boolean;
}
export interface Pending {
  bytes: Buffer | null;
  /** The document as written, for tests against filters; callers get fresh copies from the bytes. */
  doc: Doc | null;
}
export interface Collection {
  specs: IndexSpec[];
  indexes: Map<string, Index>;
  /** Documents written but not yet committed (null: deleted): LMDB reads see only committed data. */
  pending: Map<string, Pending>;
}

export const ID_INDEX: IndexSpec = { name: '_id_', key: { _id: 1 }, unique: true };
const AFTER = Buffer.from([1]);
/** lmdb's own key encoder (ordered-binary, as it writes keys; exported but not typed). */
const { keyValueToBuffer } = lmdb as unknown as { keyValueToBuffer(key: Scalar[]): Buffer };
export const enc = (parts: Scalar[]): Buffer => keyValueToBuffer(parts);
/** A key of parts; lmdb takes null in keys (the lowest value) though its types leave it out. */
export const key = (...parts: Scalar[]): Key => parts as Key;
/** Just past every key that starts with these parts. */
export const past = (parts: Scalar[]): Buffer => Buffer.concat([enc(parts), AFTER]);

/** The range of keys a scan reads, under `base` (a collection's documents, or one of its indexes). */
export function rangeOf(base: Scalar[], scan: Scan, reverse: boolean, primary: boolean): RangeOptions {
  const at = [...base, ...scan.prefix];
  let low = enc(at);
  let high = past(at);
  if (scan.lower) low = scan.lower.inclusive ? enc([...at, scan.lower.value]) : past([...at, scan.lower.value]);
  if (scan.upper) high = scan.upper.inclusive ? past([...at, scan.upper.value]) : enc([...at, scan.upper.value]);
  // A document's own key can equal an inclusive lower bound; a reverse scan's end is exclusive.
  if (primary && reverse && scan.lower?.inclusive) low = enc(at);
  return reverse ? { start: high, end: low, reverse } : { start: low, end: high };
}

/** The documents' own order (by _id), planned like any index. */
export const PRIMARY: IndexInfo = { name: null, fields: ['_id'], multikey: new Set() };
