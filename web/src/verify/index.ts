// The console's own check of a decision's proof document, done in the browser as `npm run verify` does
// it (docs/verify.md): every hash recomputed here, the proof walked here, the root and leaf read from the
// chain. The document's hash, leaf and canonical fields are only compared, never used.
import { AuditChain, ChainError } from './chain';
import { DocumentError, parseProofDocument, parseProofText, type AnchorClaim, type ProofDocument } from './document';
import { canonicalJson, contentHash, leafHash, walkProof, type LeafKind } from './merkle';

export { DocumentError, parseProofDocument, parseProofText, type ProofDocument };

export interface Check {
  name: string;
  result: 'pass' | 'fail' | 'info';
  detail: string;
}

/** Where to read the chain: `GET /api/audit/contract`. */
export interface ContractInfo {
  address: string | null;
  chainId: number | null;
  rpcUrl: string | null;
}

export interface Verdict {
  verified: boolean;
  checks: Check[];
  /** The names of the failed checks, or why verification could not run. */
  failed: string[];
}

const short = (hex: string) => (hex.length > 20 ? `${hex.slice(0, 10)}...${hex.slice(-6)}` : hex);
const pass = (name: string, detail: string): Check => ({ name, result: 'pass', detail });
const fail = (name: string, detail: string): Check => ({ name, result: 'fail', detail });
const info = (name: string, detail: string): Check => ({ name, result: 'info', detail });

/** A record to find on chain: its leaf (derived here) under the root the document states. */
interface Target extends AnchorClaim {
  label: string;
  derivedLeaf: string;
}

function hashCheck(label: string, value: unknown, claimed: string): { check: Check; hash: string } {
  const hash = contentHash(value);
  const check =
    hash === claimed
      ? pass(`${label}.hash`, `sha256(JCS(${label})) = ${short(hash)}, as the document says`)
      : fail(`${label}.hash`, `recomputed sha256(JCS(${label})) = ${short(hash)} differs from the document's ${short(claimed)}`);
  return { check, hash };
}

function proofCheck(label: string, leaf: string, claim: AnchorClaim): Check {
  if (claim.root === null) return fail(`${label}.proof`, 'the document has no root yet: its batch is not anchored');
  const reached = walkProof(leaf, claim.proof);
  const steps = `${claim.proof.length}-step proof`;
  return reached === claim.root
    ? pass(`${label}.proof`, `${steps} from the leaf reaches root ${short(claim.root)}`)
    : fail(`${label}.proof`, `${steps} from the leaf ${short(leaf)} reaches ${short(reached)}, not root ${short(claim.root)}`);
}

/** Hash, leaf and proof of one part; returns its on-chain target. */
function offChain(checks: Check[], label: string, kind: LeafKind, refId: string, value: unknown, claim: AnchorClaim & { hash: string }) {
  const { check, hash } = hashCheck(label, value, claim.hash);
  checks.push(check);
  const derivedLeaf = leafHash(kind, refId, hash);
  if (claim.leaf !== null && claim.leaf !== derivedLeaf)
    checks.push(info(`${label}.leaf`, `the document's leaf ${short(claim.leaf)} differs from the one derived here, ${short(derivedLeaf)}`));
  checks.push(proofCheck(label, derivedLeaf, claim));
  return { hash, target: { ...claim, label, derivedLeaf } };
}

function offChainChecks(doc: ProofDocument): { checks: Check[]; targets: Target[] } {
  const checks: Check[] = [];
  const id = doc.decision.id;
  const decision = offChain(checks, 'decision', 'decision', id, doc.decision, doc);
  const targets = [decision.target];
  if (doc.canonical !== canonicalJson(doc.decision))
    checks.push(info('decision.canonical', "the document's canonical text differs from the JCS text recomputed here"));
  const bound = (label: string, v: { decisionId: string; decisionHash?: string }) => {
    const ok = v.decisionId === id && (v.decisionHash === undefined || v.decisionHash === decision.hash);
    checks.push(
      ok
        ? pass(`${label}.decision`, `names this decision${v.decisionHash === undefined ? '' : ' and its hash'}`)
        : fail(
            `${label}.decision`,
            `names ${v.decisionId} / ${short(v.decisionHash ?? '')}, not this decision ${id} / ${short(decision.hash)}`,
          ),
    );
  };
  if (doc.explanation) {
    bound('explanation', doc.explanation.value);
    targets.push(offChain(checks, 'explanation', 'explanation', id, doc.explanation.value, doc.explanation).target);
  }
  if (doc.approval) {
    bound('approval', doc.approval.value);
    targets.push(offChain(checks, 'approval', 'approval', id, doc.approval.value, doc.approval).target);
  }
  (doc.outcomes ?? []).forEach((o, i) => {
    const label = `outcome[${i}]`;
    bound(label, o.value);
    // The reference is rebuilt from this decision, so an outcome cannot be claimed for another.
    const ref = `${id}/${o.value.kind}/${o.value.actionId}`;
    targets.push(offChain(checks, label, 'outcome', ref, o.value, o).target);
  });
  return { checks, targets };
}

async function onChainChecks(chain: AuditChain, t: Target): Promise<Check[]> {
  if (t.root === null) return [];
  const out: Check[] = [];
  const where = `${short(chain.contract)} on chain ${chain.chainId}`;
  out.push(
    (await chain.isAnchored(t.root))
      ? pass(`${t.label}.anchored`, `root ${short(t.root)} is anchored at ${where}`)
      : fail(`${t.label}.anchored`, `root ${short(t.root)} is not anchored at ${where}`),
  );
  const call = `verifyLeaf(root, ${short(t.derivedLeaf)}, ${t.proof.length}-step proof)`;
  out.push(
    (await chain.verifyLeaf(t.root, t.derivedLeaf, t.proof))
      ? pass(`${t.label}.verifyLeaf`, `${call} = true`)
      : fail(`${t.label}.verifyLeaf`, `${call} = false`),
  );
  if (t.txHash !== null) {
    const roots = await chain.anchoredBy(t.txHash);
    const tx = `transaction ${short(t.txHash)}`;
    if (roots === null) out.push(fail(`${t.label}.tx`, `${tx} not found on chain ${chain.chainId}`));
    else if (roots.includes(t.root)) out.push(pass(`${t.label}.tx`, `${tx} emitted BatchAnchored for this root`));
    else out.push(fail(`${t.label}.tx`, `${tx} did not anchor root ${short(t.root)}`));
  }
  return out;
}

function verdictOf(checks: Check[]): Verdict {
  const failed = checks.filter((c) => c.result === 'fail').map((c) => c.name);
  return { verified: failed.length === 0 && checks.some((c) => c.result === 'pass'), checks, failed };
}

/** Every check of the document: the off-chain ones here, then the chain at the contract info's RPC URL. */
export async function verifyDocument(doc: ProofDocument, contract: ContractInfo): Promise<Verdict> {
  const { checks, targets } = offChainChecks(doc);
  if (!contract.rpcUrl || !contract.address) {
    checks.push(fail('chain', 'the server names no public JSON-RPC URL or contract: the root cannot be read from the chain'));
    return verdictOf(checks);
  }
  let chain: AuditChain;
  try {
    chain = await AuditChain.open(contract.rpcUrl, contract.address);
  } catch (err) {
    checks.push(fail('chain', err instanceof ChainError ? err.message : String(err)));
    return verdictOf(checks);
  }
  try {
    checks.push(pass('chain', `chain ${chain.chainId} at ${chain.url}, contract ${short(chain.contract)} has code`));
    if (doc.chainId !== null && BigInt(doc.chainId) !== chain.chainId)
      checks.push(info('chain', `the document names chain ${doc.chainId}`));
    if (doc.contract && doc.contract.toLowerCase() !== chain.contract.toLowerCase())
      checks.push(info('chain', `the document names contract ${doc.contract}`));
    for (const t of targets) checks.push(...(await onChainChecks(chain, t)));
  } catch (err) {
    checks.push(fail('chain', err instanceof ChainError ? err.message : String(err)));
  } finally {
    chain.close();
  }
  return verdictOf(checks);
}
