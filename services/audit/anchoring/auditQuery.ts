// What auditors read: a decision's proof document, a server-side check of it,
// the anchored batches, and where the contract is.
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import type { ActionOutcome, Approval, Explanation } from '../../../eventBus/types.js';
import { approvalValue, explanationHash, explanationValue, outcomeValue } from '../records.js';
import type { AnchorBatchDoc, AnchorBatchStatus, DecisionLogDoc, Models } from '../../../models/index.js';
import { canonicalHash, canonicalize, sha256Hex } from '../canonical.js';
import { AppError } from '../../platform/index.js';
import type { DecisionQuery } from '../../pipeline/index.js';
import { AuditChain } from './chain.js';
import { LEAF_ENCODING, leafValue, type LeafKind } from './leaves.js';
import type { AnchoringService } from './service.js';

interface LeafProof {
  leafValue: [string, string, string];
  leaf: string;
  proof: string[];
  root: string;
  batchId: number;
  txHash: string | null;
  blockNumber: number | null;
  chainId: number | null;
  contract: string | null;
}

export interface ProofDocument extends LeafProof {
  decision: Record<string, unknown>;
  canonical: string;
  hash: string;
  leafEncoding: string[];
  anchor: { status: string; reason?: string };
  explanation: (LeafProof & { value: Record<string, unknown>; hash: string }) | null;
  /** Present when an operator answered the decision: the approval record and its own leaf. */
  approval?: LeafProof & { value: Record<string, unknown>; hash: string };
  /** What the actuator answered for each command the decision handed over, each its own leaf (once its batch is closed). */
  outcomes: (LeafProof & { value: Record<string, unknown>; hash: string })[];
}

export interface VerifyResult {
  id: string;
  verified: boolean;
  /** approval is null when nobody answered the decision; outcomes is null when nothing was handed to an actuator. */
  checks: { hash: boolean; proof: boolean; onChain: boolean; explanation: boolean; approval: boolean | null; outcomes: boolean | null };
  details: { hash: string; proof: string; onChain: string; explanation: string; approval: string; outcomes: string };
  root: string | null;
  batchId: number | null;
  blockNumber: number | null;
  anchoredAt: string | null;
}

export class AuditQuery {
  constructor(
    private readonly models: Models,
    private readonly decisions: DecisionQuery,
    private readonly anchoring: AnchoringService,
    /** Seconds a client should wait before asking again for a proof whose batch is still open. */
    readonly retryAfter: number,
  ) {}

  private async docOf(id: string): Promise<DecisionLogDoc> {
    const doc = await this.decisions.getDoc(id);
    if (!doc) throw new AppError(404, 'UNKNOWN_DECISION', `decision ${id} does not exist`, [{ field: 'id' }]);
    return doc;
  }

  private async leafProof(kind: LeafKind, refId: string, hash: string, seq: number | undefined): Promise<LeafProof | null> {
    const at = await this.anchoring.locate({ kind, refId, hash }, seq);
    if (!at) return null;
    const b = at.batch;
    const anchored = b.status === 'anchored';
    return {
      leafValue: leafValue({ kind, refId, hash }),
      leaf: at.leaf,
      proof: at.proof,
      root: b.root,
      batchId: b.batchId,
      txHash: anchored ? (b.txHash ?? null) : null,
      blockNumber: anchored ? (b.blockNumber ?? null) : null,
      chainId: anchored ? (b.chainId ?? null) : null,
      contract: anchored ? (b.contract ?? null) : null,
    };
  }

  async proof(id: string): Promise<ProofDocument> {
    const doc = await this.docOf(id);
    const own = await this.leafProof('decision', doc.decisionId, doc.hash, doc.anchorSeq);
    if (!own) {
      throw new AppError(
        409,
        'ANCHOR_PENDING',
        `decision ${id} is waiting for its anchoring batch to close; retry in ${this.retryAfter} s`,
        [{ field: 'id' }],
      );
    }
    const explanation = doc.explanation as unknown as Explanation;
    const ep = await this.leafProof('explanation', doc.decisionId, explanation.hash, doc.explanationSeq);
    const anchor = await this.anchoring.info(doc.anchorSeq);
    const approval = doc.approval as unknown as Approval | undefined;
    const ap = approval ? await this.leafProof('approval', doc.decisionId, approval.hash, doc.approvalSeq) : null;
    const outcomes: ProofDocument['outcomes'] = [];
    for (const o of await this.decisions.outcomesOf(doc.decisionId)) {
      const op = await this.leafProof('outcome', o.ref, o.hash, o.anchorSeq);
      if (op) outcomes.push({ value: outcomeValue(o as unknown as ActionOutcome), hash: o.hash, ...op });
    }
    return {
      decision: JSON.parse(doc.canonical) as Record<string, unknown>,
      canonical: doc.canonical,
      hash: doc.hash,
      leafEncoding: [...LEAF_ENCODING],
      ...own,
      anchor: { status: anchor.status, ...(anchor.reason ? { reason: anchor.reason } : {}) },
      explanation: ep ? { value: explanationValue(doc.decisionId, explanation), hash: explanation.hash, ...ep } : null,
      ...(approval && ap ? { approval: { value: approvalValue(approval), hash: approval.hash, ...ap } } : {}),
      outcomes,
    };
  }

  /** The server's own check, done the auditor's way: recompute, walk the proof, ask the chain. */
  async verify(id: string): Promise<VerifyResult> {
    const doc = await this.docOf(id);
    const outcomes = await this.decisions.outcomesOf(doc.decisionId);
    const recomputed = sha256Hex(canonicalize(JSON.parse(doc.canonical)));
    const hashOk = recomputed === doc.hash && sha256Hex(doc.canonical) === doc.hash;
    const out: VerifyResult = {
      id,
      verified: false,
      checks: {
        hash: hashOk,
        proof: false,
        onChain: false,
        explanation: false,
        approval: doc.approval ? false : null,
        outcomes: outcomes.length > 0 ? false : null,
      },
      details: {
        hash: hashOk
          ? `SHA-256 of the canonical decision is ${recomputed}`
          : `stored hash ${doc.hash} but the decision hashes to ${recomputed}`,
        proof: 'not checked',
        onChain: 'not checked',
        explanation: 'not checked',
        approval: doc.approval ? 'not checked' : 'no approval recorded',
        outcomes: outcomes.length > 0 ? 'not checked' : 'nothing handed to an actuator',
      },
      root: null,
      batchId: null,
      blockNumber: null,
      anchoredAt: null,
    };
    const at = await this.anchoring.locate({ kind: 'decision', refId: doc.decisionId, hash: doc.hash }, doc.anchorSeq);
    if (!at) {
      out.details.proof = 'the decision is not in a closed batch yet';
      return out;
    }
    out.root = at.batch.root;
    out.batchId = at.batch.batchId;
    const value = leafValue({ kind: 'decision', refId: doc.decisionId, hash: recomputed });
    out.checks.proof = StandardMerkleTree.verify(at.batch.root, [...LEAF_ENCODING], value, at.proof);
    out.details.proof = out.checks.proof
      ? `leaf ${at.leaf} reaches root ${at.batch.root} in ${at.proof.length} steps`
      : `the proof does not lead from the recomputed leaf to root ${at.batch.root}`;
    const leaf = StandardMerkleTree.of([value], [...LEAF_ENCODING]).leafHash(value);
    try {
      const chain = await this.anchoring.verifyOnChain(at.batch.root, leaf, at.proof);
      out.checks.onChain = chain.ok;
      out.details.onChain = chain.detail;
      out.blockNumber = chain.blockNumber ?? null;
      out.anchoredAt = chain.timestamp ? new Date(chain.timestamp * 1000).toISOString() : null;
    } catch (err) {
      out.details.onChain = `chain check failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    // The explanation is its own leaf: an edit after anchoring no longer hashes to an anchored leaf.
    const explanation = doc.explanation as unknown as Explanation;
    const eh = explanationHash(doc.decisionId, explanation);
    const ep = await this.anchoring.locate({ kind: 'explanation', refId: doc.decisionId, hash: eh }, doc.explanationSeq);
    out.checks.explanation = ep !== null && (ep.batch.status === 'anchored' || ep.batch.batchId === at.batch.batchId);
    out.details.explanation = ep
      ? `the explanation hashes to ${eh}, a leaf of batch ${ep.batch.batchId}`
      : `the explanation hashes to ${eh}, which is not the anchored explanation leaf (edited after anchoring, or not batched yet)`;
    const approval = doc.approval as unknown as Approval | undefined;
    if (approval) {
      const ah = canonicalHash(approvalValue(approval));
      const apf = await this.anchoring.locate({ kind: 'approval', refId: doc.decisionId, hash: ah }, doc.approvalSeq);
      const bound = approval.decisionHash === recomputed;
      out.checks.approval = apf !== null && bound;
      out.details.approval = !bound
        ? `the approval names decision hash ${approval.decisionHash}, the decision hashes to ${recomputed}`
        : apf
          ? `${approval.outcome} by ${approval.by}; the approval hashes to ${ah}, a leaf of batch ${apf.batch.batchId} (${apf.batch.status})`
          : `the approval hashes to ${ah}, which is not an anchored approval leaf (edited, or not batched yet)`;
    }
    if (outcomes.length > 0) {
      const problems: string[] = [];
      let waiting = 0;
      for (const o of outcomes) {
        const oh = canonicalHash(outcomeValue(o as unknown as ActionOutcome));
        if (o.decisionHash !== recomputed) problems.push(`${o.ref} names decision hash ${o.decisionHash}`);
        else if (!(await this.anchoring.locate({ kind: 'outcome', refId: o.ref, hash: oh }, o.anchorSeq))) {
          // Not in its batch: edited, unless its batch has not closed yet (an answer that came after the decision's batch).
          if ((await this.anchoring.info(o.anchorSeq)).batch === undefined) waiting += 1;
          else problems.push(`${o.ref} hashes to ${oh}, which is not the outcome leaf anchored for it (edited after anchoring)`);
        }
      }
      out.checks.outcomes = problems.length === 0;
      const listed = outcomes.map((o) => `${o.kind} ${o.actionId}: ${o.outcome}`).join('; ');
      out.details.outcomes =
        problems.length > 0
          ? problems.join('; ')
          : `${outcomes.length} outcome(s) (${listed}), each bound to this decision` +
            (waiting > 0 ? `; ${waiting} waiting for their batch to close, the rest anchored leaves` : ' and an anchored leaf');
    }
    out.verified =
      out.checks.hash &&
      out.checks.proof &&
      out.checks.onChain &&
      out.checks.explanation &&
      out.checks.approval !== false &&
      out.checks.outcomes !== false;
    return out;
  }

  async batches(f: { status?: AnchorBatchStatus; before?: number; limit: number }) {
    const q: Record<string, unknown> = {};
    if (f.status) q.status = f.status;
    if (f.before !== undefined) q.batchId = { $lt: f.before };
    const docs = await this.models.AnchorBatch.find(q, { leaves: 0 })
      .sort({ batchId: -1 })
      .limit(f.limit + 1)
      .lean<Omit<AnchorBatchDoc, 'leaves'>[]>();
    const items = docs.slice(0, f.limit).map((d) => ({
      batchId: d.batchId,
      root: d.root,
      leafCount: d.leafCount,
      firstSeq: d.firstSeq,
      lastSeq: d.lastSeq,
      status: d.status,
      reason: d.reason ?? null,
      txHash: d.status === 'anchored' ? (d.txHash ?? null) : null,
      blockNumber: d.status === 'anchored' ? (d.blockNumber ?? null) : null,
      blockTime: d.status === 'anchored' && d.blockTime ? new Date(d.blockTime).toISOString() : null,
      gasUsed: d.status === 'anchored' ? (d.gasUsed ?? null) : null,
      chainId: d.chainId ?? null,
      contract: d.contract ?? null,
      previous: d.previous ?? [],
      createdAt: new Date(d.createdAt).toISOString(),
    }));
    const last = items.at(-1);
    return { items, nextBefore: docs.length > f.limit && last ? last.batchId : null };
  }

  contract() {
    const c = this.anchoring.contract;
    const h = this.anchoring.health();
    return {
      address: c?.address ?? null,
      chainId: c?.chainId ?? null,
      rpcUrl: c?.rpcUrl ?? null,
      anchorer: c?.account ?? null,
      embedded: c?.embedded ?? null,
      state: this.anchoring.state,
      detail: h.detail ?? null,
      leafEncoding: [...LEAF_ENCODING],
      abi: AuditChain.abi,
    };
  }
}
