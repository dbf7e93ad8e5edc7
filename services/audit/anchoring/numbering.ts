// Numbering stored leaves when several instances share the database. Every instance stores its records
// with sequence number 0 ("not numbered yet"); only the anchoring writer, the holder of the anchoring
// lease, gives them their numbers and closes batches, so two instances never give out one number or
// one batch id. A number is set by a conditional update (the field still 0, the hash still the one
// read), so a record is numbered once even if two writers ever raced for it.
import type { Types } from 'mongoose';
import type { Models } from '../../../models/index.js';
import type { StoredLeaf } from './leaves.js';

/** The sequence number a record is stored with until the anchoring writer numbers it. */
export const UNNUMBERED = 0;

type Doc = Record<string, unknown> & { _id: ObjectId };

interface Source {
  kind: StoredLeaf['kind'];
  collection(m: Models): Collection;
  /** The record's field that holds the leaf's sequence number (indexed). */
  field: string;
  projection: Record<string, 1>;
  /** The leaf the record stands for now (null when it has none, e.g. an explanation without a hash). */
  leaf(d: Doc): Omit<StoredLeaf, 'seq'> | null;
  /** What must still hold when the number is written: the leaf read is the leaf numbered. */
  guard(d: Doc): Record<string, unknown>;
}

const hashAt = (d: Doc, field: string): string | undefined => (d[field] as { hash?: string } | undefined)?.hash;
type Collection = Models['DecisionLog']['collection'];
type ObjectId = Types.ObjectId;

const SOURCES: readonly Source[] = [
  {
    kind: 'decision',
    collection: (m) => m.DecisionLog.collection,
    field: 'anchorSeq',
    projection: { decisionId: 1, stationId: 1, hash: 1 },
    leaf: (d) => ({ kind: 'decision', refId: String(d.decisionId), hash: String(d.hash), stationId: String(d.stationId) }),
    guard: (d) => ({ hash: d.hash }),
  },
  {
    kind: 'explanation',
    collection: (m) => m.DecisionLog.collection,
    field: 'explanationSeq',
    projection: { decisionId: 1, stationId: 1, 'explanation.hash': 1 },
    leaf: (d) => {
      const hash = hashAt(d, 'explanation');
      return hash ? { kind: 'explanation', refId: String(d.decisionId), hash, stationId: String(d.stationId) } : null;
    },
    // An LLM text may replace the template while it is being numbered: then the new one is numbered next time.
    guard: (d) => ({ 'explanation.hash': hashAt(d, 'explanation') }),
  },
  {
    kind: 'approval',
    collection: (m) => m.DecisionLog.collection,
    field: 'approvalSeq',
    projection: { decisionId: 1, stationId: 1, 'approval.hash': 1 },
    leaf: (d) => {
      const hash = hashAt(d, 'approval');
      return hash ? { kind: 'approval', refId: String(d.decisionId), hash, stationId: String(d.stationId) } : null;
    },
    guard: (d) => ({ 'approval.hash': hashAt(d, 'approval') }),
  },
  {
    kind: 'outcome',
    collection: (m) => m.ActionOutcome.collection,
    field: 'anchorSeq',
    projection: { ref: 1, stationId: 1, hash: 1 },
    leaf: (d) => ({ kind: 'outcome', refId: String(d.ref), hash: String(d.hash), stationId: String(d.stationId) }),
    guard: (d) => ({ hash: d.hash }),
  },
  {
    kind: 'admin',
    collection: (m) => m.AdminAction.collection,
    field: 'anchorSeq',
    projection: { actionId: 1, hash: 1 },
    leaf: (d) => ({ kind: 'admin', refId: String(d.actionId), hash: String(d.hash) }),
    guard: (d) => ({ hash: d.hash }),
  },
];

export interface NumberingRound {
  models: Models;
  /** The next sequence number to give out (called once per leaf, in order). */
  next(): number;
  /** At most this many records of each kind per round. */
  limit: number;
  /** Whether this instance is still the writer: checked before each write, a round stops at once when not. */
  writing(): boolean | Promise<boolean>;
}

/** Numbers the records stored unnumbered, kind by kind; returns the leaves it numbered, in sequence order. */
export async function numberStored(r: NumberingRound): Promise<StoredLeaf[]> {
  const numbered: StoredLeaf[] = [];
  for (const s of SOURCES) {
    const coll = s.collection(r.models);
    const docs = (await coll.find({ [s.field]: UNNUMBERED }, { projection: s.projection, limit: r.limit }).toArray()) as Doc[];
    const planned = docs.flatMap((d) => {
      const leaf = s.leaf(d);
      return leaf ? [{ d, leaf }] : [];
    });
    if (!planned.length) continue;
    if (!(await r.writing())) return numbered;
    const leaves = planned.map(({ leaf }) => ({ ...leaf, seq: r.next() }));
    const res = await coll.bulkWrite(
      planned.map(({ d }, i) => ({
        updateOne: { filter: { _id: d._id, [s.field]: UNNUMBERED, ...s.guard(d) }, update: { $set: { [s.field]: leaves[i]!.seq } } },
      })),
      { ordered: false },
    );
    if (res.modifiedCount === leaves.length) {
      numbered.push(...leaves);
      continue;
    }
    // Some records changed meanwhile: keep only the leaves whose number was written.
    const now = (await coll.find({ _id: { $in: planned.map(({ d }) => d._id) } }, { projection: { [s.field]: 1 } }).toArray()) as Doc[];
    const seqOf = new Map(now.map((d) => [String(d._id), d[s.field]]));
    numbered.push(...leaves.filter((l, i) => seqOf.get(String(planned[i]!.d._id)) === l.seq));
  }
  return numbered;
}
