// The proof document (GET /api/audit/decisions/:id/proof, docs/verify.md) and a check of its shape. Its
// hash, leaf and canonical fields are claims the checks test, never inputs.

export interface AnchorClaim {
  leaf: string | null;
  proof: string[];
  root: string | null;
  batchId: number | null;
  txHash: string | null;
  blockNumber: number | null;
}

export interface Part<V> extends AnchorClaim {
  value: V;
  /** SHA-256 hex the document claims for `value` (lowercase, no 0x). */
  hash: string;
}

type Loose = Record<string, unknown>;

export interface ProofDocument extends AnchorClaim {
  decision: { id: string } & Loose;
  canonical: string;
  hash: string;
  chainId: number | null;
  contract: string | null;
  anchor: { status: string; reason?: string };
  explanation: Part<{ decisionId: string } & Loose> | null;
  approval?: Part<{ decisionId: string; decisionHash: string; outcome: string; by: string } & Loose> | null;
  outcomes?: Part<{ decisionId: string; decisionHash: string; ref: string; kind: string; actionId: string } & Loose>[];
}

export class DocumentError extends Error {}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const SHA256 = /^(0x)?[0-9a-fA-F]{64}$/;

const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects what is wrong with the document, naming each field as the CLI does (`proof[2]: ...`). */
class Shape {
  readonly problems: string[] = [];

  bad(path: string, why: string): void {
    this.problems.push(`${path}: ${why}`);
  }

  object(o: Loose, key: string, path: string): Loose | null {
    if (isObject(o[key])) return o[key];
    this.bad(path, 'must be an object');
    return null;
  }

  string(o: Loose, key: string, path: string): void {
    if (typeof o[key] !== 'string' || o[key] === '') this.bad(path, 'must be a non-empty string');
  }

  sha(o: Loose, key: string, path: string): void {
    if (typeof o[key] === 'string' && SHA256.test(o[key])) o[key] = o[key].replace(/^0x/, '').toLowerCase();
    else this.bad(path, 'must be 64 hex characters (a SHA-256)');
  }

  bytes32(o: Loose, key: string, path: string, nullable: boolean): void {
    const v = o[key];
    if (typeof v === 'string' && BYTES32.test(v)) o[key] = v.toLowerCase();
    else if (!(nullable && v === null)) this.bad(path, 'must be a 0x-prefixed 32-byte hex string');
  }

  height(o: Loose, key: string, path: string): void {
    const v = o[key];
    if (v !== null && !(Number.isInteger(v) && (v as number) >= 0)) this.bad(path, 'must be a whole number or null');
  }

  claim(o: Loose, at: string): void {
    const p = (k: string) => (at ? `${at}.${k}` : k);
    this.bytes32(o, 'leaf', p('leaf'), true);
    this.bytes32(o, 'root', p('root'), true);
    this.bytes32(o, 'txHash', p('txHash'), true);
    this.height(o, 'batchId', p('batchId'));
    this.height(o, 'blockNumber', p('blockNumber'));
    if (!Array.isArray(o.proof)) this.bad(p('proof'), 'must be an array');
    else o.proof.forEach((_, i) => this.bytes32(o.proof as Loose, String(i), `${p('proof')}[${i}]`, false));
  }

  part(o: Loose, at: string, fields: string[], hashFields: string[] = []): void {
    const value = this.object(o, 'value', `${at}.value`);
    if (value) {
      for (const f of fields) this.string(value, f, `${at}.value.${f}`);
      for (const f of hashFields) this.sha(value, f, `${at}.value.${f}`);
    }
    this.sha(o, 'hash', `${at}.hash`);
    this.claim(o, at);
  }
}

/** Checks the document's shape (normalising hex to lowercase); throws DocumentError naming the bad fields. */
export function parseProofDocument(value: unknown): ProofDocument {
  if (!isObject(value)) throw new DocumentError('document: must be a JSON object');
  const doc = structuredClone(value);
  const s = new Shape();
  const decision = s.object(doc, 'decision', 'decision');
  if (decision) s.string(decision, 'id', 'decision.id');
  s.sha(doc, 'hash', 'hash');
  if (JSON.stringify(doc.leafEncoding) !== '["string","string","bytes32"]') s.bad('leafEncoding', 'must be ["string","string","bytes32"]');
  s.claim(doc, '');
  if (!isObject(doc.anchor) || typeof doc.anchor.status !== 'string') s.bad('anchor.status', 'is required');
  if (doc.explanation !== null) {
    if (isObject(doc.explanation)) s.part(doc.explanation, 'explanation', ['decisionId']);
    else s.bad('explanation', 'must be an object or null');
  }
  if (doc.approval !== undefined && doc.approval !== null) {
    if (isObject(doc.approval)) s.part(doc.approval, 'approval', ['decisionId', 'outcome', 'by'], ['decisionHash']);
    else s.bad('approval', 'must be an object or null');
  }
  if (doc.outcomes !== undefined) {
    if (!Array.isArray(doc.outcomes)) s.bad('outcomes', 'must be an array');
    else
      doc.outcomes.forEach((o: unknown, i) => {
        if (isObject(o)) s.part(o, `outcomes[${i}]`, ['decisionId', 'ref', 'kind', 'actionId'], ['decisionHash']);
        else s.bad(`outcomes[${i}]`, 'must be an object');
      });
  }
  if (s.problems.length) {
    const more = s.problems.length > 6 ? `; and ${s.problems.length - 6} more` : '';
    throw new DocumentError(s.problems.slice(0, 6).join('; ') + more);
  }
  return doc as unknown as ProofDocument;
}

/** Parses pasted text into a proof document; a DocumentError says what is wrong with it. */
export function parseProofText(text: string): ProofDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DocumentError(`not JSON (${(err as Error).message})`);
  }
  return parseProofDocument(value);
}
