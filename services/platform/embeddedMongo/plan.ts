// Query planning for the embedded store: which LMDB key ranges hold every document a filter can match.
// A plan only narrows the candidates; the wire server still applies the whole filter, sort and limit to
// them, so a plan may return more than matches but never less. Index entries keep values in
// ordered-binary key order (null < booleans < numbers and dates < strings and ids), which is the
// order MongoDB's simple collation gives within one type; a scan may stop early only when the sort is
// the index's order.

/* eslint-disable @typescript-eslint/no-explicit-any -- filters and documents are BSON of any shape */
export type Scalar = null | boolean | number | string;

/** Strings longer than this are not indexed (LMDB keys are at most 1,978 bytes). */
const MAX_STRING = 400;
/** At most this many point ranges from `$in` lists before a field is left out of the plan. */
const MAX_POINTS = 64;

function isObjectId(v: any): v is { toHexString(): string } {
  return v?._bsontype === 'ObjectId' || v?._bsontype === 'ObjectID';
}

/** A value as an index key part, or undefined when it cannot be one (documents, NUL in a string...). */
export function keyPart(v: unknown): Scalar | undefined {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : v;
  if (typeof v === 'string') return v.length > MAX_STRING || v.includes('\0') ? undefined : v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.getTime();
  if (isObjectId(v)) return v.toHexString();
  return undefined;
}

function valueAt(doc: any, path: string): unknown {
  let cur = doc;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur)) return cur; // an array on the way: treated as a multikey value
    cur = cur[part];
  }
  return cur;
}

export interface DocEntries {
  /** Each entry's key parts, one per index field (several when a field holds an array). */
  entries: Scalar[][];
  /** A value that cannot be indexed: the index is unusable until rebuilt. */
  broken: boolean;
  /** Fields that held an array in this document. */
  multikey: string[];
}

/** The index entries of one document for an index over `fields`. */
export function entriesOf(doc: any, fields: string[]): DocEntries {
  let entries: Scalar[][] = [[]];
  const multikey: string[] = [];
  for (const field of fields) {
    const v = valueAt(doc, field);
    let parts: (Scalar | undefined)[];
    if (Array.isArray(v)) {
      multikey.push(field);
      parts = v.length === 0 ? [null] : [...new Set(v.map(keyPart))];
    } else parts = [keyPart(v)];
    if (parts.some((p) => p === undefined) || (multikey.length > 1 && Array.isArray(v))) return { entries: [], broken: true, multikey };
    entries = entries.flatMap((e) => parts.map((p) => [...e, p as Scalar]));
  }
  return { entries, broken: false, multikey };
}

interface Bound {
  value: Scalar;
  inclusive: boolean;
}
interface Condition {
  eq?: Scalar[];
  lower?: Bound;
  upper?: Bound;
}

function isPlainObject(v: any): v is Record<string, unknown> {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    !(v instanceof Date) &&
    !(v instanceof RegExp) &&
    !isObjectId(v) &&
    !v._bsontype
  );
}

function conditionOf(v: unknown): Condition | null {
  if (!isPlainObject(v)) {
    const p = Array.isArray(v) || v instanceof RegExp ? undefined : keyPart(v);
    return p === undefined ? null : { eq: [p] };
  }
  const ops = Object.keys(v);
  if (ops.length === 0 || !ops.every((k) => k.startsWith('$'))) return null;
  const c: Condition = {};
  for (const [op, arg] of Object.entries(v)) {
    if (op === '$eq' && !Array.isArray(arg) && !(arg instanceof RegExp)) {
      const p = keyPart(arg);
      if (p !== undefined && !isPlainObject(arg)) c.eq = [p];
    } else if (op === '$in' && Array.isArray(arg) && arg.length > 0) {
      const parts = arg.map((a) => (Array.isArray(a) || a instanceof RegExp || isPlainObject(a) ? undefined : keyPart(a)));
      if (parts.every((p) => p !== undefined)) c.eq = [...new Set(parts as Scalar[])];
    } else if (op === '$gt' || op === '$gte' || op === '$lt' || op === '$lte') {
      const p = isPlainObject(arg) || Array.isArray(arg) ? undefined : keyPart(arg);
      if (p === undefined || p === null) continue;
      const bound = { value: p, inclusive: op.endsWith('e') };
      if (op.startsWith('$g')) c.lower = bound;
      else c.upper = bound;
    }
  }
  return c.eq || c.lower || c.upper ? c : null;
}

/** The constraints a filter puts on single fields (top level and `$and`); the rest is left to the filter. */
export function conditions(filter: Record<string, unknown> | undefined, into = new Map<string, Condition>()): Map<string, Condition> {
  for (const [key, v] of Object.entries(filter ?? {})) {
    if (key === '$and' && Array.isArray(v)) {
      for (const part of v) if (isPlainObject(part)) conditions(part, into);
      continue;
    }
    if (key.startsWith('$')) continue;
    const c = conditionOf(v);
    if (!c) continue;
    const had = into.get(key);
    into.set(key, had?.eq ? had : { ...had, ...c });
  }
  return into;
}

export interface IndexInfo {
  /** null for the documents themselves (keyed by _id). */
  name: string | null;
  fields: string[];
  multikey: Set<string>;
}

export interface Scan {
  /** Key parts after the index's own prefix, and whether the range continues past them. */
  prefix: Scalar[];
  lower?: Bound;
  upper?: Bound;
}

export interface Plan {
  index: IndexInfo;
  scans: Scan[];
  reverse: boolean;
  /** The scans' order is the query's sort (or it has none): reading may stop after skip + limit matches. */
  ordered: boolean;
}

function sortFields(sort: unknown): [string, number][] {
  if (!sort || typeof sort !== 'object') return [];
  const pairs = Array.isArray(sort) ? (sort as [string, unknown][]) : Object.entries(sort);
  return pairs.map(([f, d]) => [f, d === -1 || d === 'desc' || d === 'descending' ? -1 : 1]);
}

function planFor(index: IndexInfo, conds: Map<string, Condition>, sort: [string, number][]): (Plan & { score: number }) | null {
  let combos: Scalar[][] = [[]];
  let k = 0;
  for (const field of index.fields) {
    const eq = conds.get(field)?.eq;
    if (!eq || combos.length * eq.length > MAX_POINTS) break;
    if (index.multikey.has(field) && eq.includes(null)) break;
    combos = combos.flatMap((c) => eq.map((v) => [...c, v]));
    k++;
  }
  const next = index.fields[k];
  const range = next !== undefined && !index.multikey.has(next) ? conds.get(next) : undefined;
  const ranged = range?.lower !== undefined || range?.upper !== undefined;
  // The sort, without fields an equality fixes, must read along the rest of the index (then _id).
  const constant = new Set(combos.length === 1 ? index.fields.slice(0, k) : []);
  const wanted = sort.filter(([f]) => !constant.has(f));
  const order = [...index.fields.slice(k), ...(index.name === null ? [] : ['_id'])];
  const sortable =
    wanted.every(([f, d], i) => order[i] === f && d === wanted[0]![1] && !index.multikey.has(f)) &&
    (combos.length === 1 || wanted.length === 0);
  if (k === 0 && !ranged && !(sortable && wanted.length > 0)) return null;
  const reverse = wanted.length > 0 ? wanted[0]![1] === -1 : ranged && range?.lower === undefined;
  const scans = combos.map((prefix) => ({ prefix, lower: range?.lower, upper: range?.upper }));
  const score = k * 4 + (ranged ? 2 : 0) + (sortable ? 1 : 0);
  return { index, scans, reverse, ordered: sortable, score };
}

/**
 * The best plan for a filter and sort over the given indexes (the documents' own _id order first), or
 * null when only reading the whole collection finds every match.
 */
export function plan(filter: Record<string, unknown> | undefined, sort: unknown, indexes: IndexInfo[]): Plan | null {
  const conds = conditions(filter);
  const wanted = sortFields(sort);
  let best: (Plan & { score: number }) | null = null;
  for (const index of indexes) {
    const p = planFor(index, conds, wanted);
    if (p && (!best || p.score > best.score)) best = p;
  }
  if (!best) return null;
  const { score: _score, ...chosen } = best;
  return chosen;
}
