// The chaos run's anchoring check: once the instances are quiet, every stored record's leaf is in exactly
// one stored batch, no sequence number is given twice, and no batch holds a leaf no record stands for.
import type { Connection } from 'mongoose';

export interface AnchoringCheck {
  /** Leaves the stored records stand for (decisions, explanations, approvals, outcomes, admin actions). */
  records: number;
  /** Leaves in stored batches. */
  leaves: number;
  batches: number;
  /** Records whose leaf is in no batch (or still unnumbered) when the wait ended. */
  missing: number;
  /** Records anchored in more than one leaf. */
  duplicates: number;
  /** Sequence numbers held by more than one leaf. */
  duplicateSeqs: number;
  /** Leaves of a kind and id no stored record has. */
  orphans: number;
  /** How long the writer took to number and batch the last records after the senders settled. */
  waitedS: number;
}

type Doc = Record<string, unknown>;
const hashOf = (v: unknown): string | undefined => (v as { hash?: string } | undefined)?.hash;

async function recordLeaves(conn: Connection): Promise<string[]> {
  const out: string[] = [];
  const decisions = await conn
    .collection('decisionlogs')
    .find({}, { projection: { decisionId: 1, hash: 1, 'explanation.hash': 1, 'approval.hash': 1 } })
    .toArray();
  for (const d of decisions as Doc[]) {
    out.push(`decision/${d.decisionId}/${d.hash}`, `explanation/${d.decisionId}/${hashOf(d.explanation)}`);
    if (hashOf(d.approval)) out.push(`approval/${d.decisionId}/${hashOf(d.approval)}`);
  }
  for (const o of (await conn
    .collection('actionoutcomes')
    .find({}, { projection: { ref: 1, hash: 1 } })
    .toArray()) as Doc[])
    out.push(`outcome/${o.ref}/${o.hash}`);
  for (const a of (await conn
    .collection('adminactions')
    .find({}, { projection: { actionId: 1, hash: 1 } })
    .toArray()) as Doc[])
    out.push(`admin/${a.actionId}/${a.hash}`);
  return out;
}

async function batchLeaves(conn: Connection): Promise<{ batches: number; leaves: { key: string; seq: number }[] }> {
  const docs = (await conn
    .collection('anchorbatches')
    .find({}, { projection: { leaves: 1 } })
    .toArray()) as Doc[];
  const leaves = docs.flatMap((b) =>
    (b.leaves as { kind: string; refId: string; hash: string; seq: number }[]).map((l) => ({
      key: `${l.kind}/${l.refId}/${l.hash}`,
      seq: l.seq,
    })),
  );
  return { batches: docs.length, leaves };
}

/** Waits up to `waitMs` for every record to be anchored in a stored batch, then counts what is wrong. */
export async function checkAnchoring(conn: Connection, waitMs: number): Promise<AnchoringCheck> {
  const t0 = performance.now();
  for (;;) {
    const records = await recordLeaves(conn);
    const { batches, leaves } = await batchLeaves(conn);
    const inBatches = new Set(leaves.map((l) => l.key));
    const missing = records.filter((r) => !inBatches.has(r)).length;
    if (missing === 0 || performance.now() - t0 > waitMs) {
      const recordIds = new Set(records.map((r) => r.slice(0, r.lastIndexOf('/'))));
      return {
        records: records.length,
        leaves: leaves.length,
        batches,
        missing,
        duplicates: leaves.length - inBatches.size,
        duplicateSeqs: leaves.length - new Set(leaves.map((l) => l.seq)).size,
        orphans: leaves.filter((l) => !recordIds.has(l.key.slice(0, l.key.lastIndexOf('/')))).length,
        waitedS: (performance.now() - t0) / 1000,
      };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
