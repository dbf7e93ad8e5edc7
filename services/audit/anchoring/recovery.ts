// Where the last writer stopped: leaves numbered after the last stored batch (a writer that died, or
// stopped, inside a batch window) are taken back into the next batch with the numbers they have.
import type { DecisionLogDoc, Models } from '../../../models/index.js';
import type { StoredLeaf } from './leaves.js';

/** The leaves numbered after `watermark` (the last stored batch's last number), and the next number to give. */
export async function takeBack(models: Models, watermark: number): Promise<{ leaves: StoredLeaf[]; nextSeq: number }> {
  const { DecisionLog } = models;
  const leaves: StoredLeaf[] = [];
  const top = async (field: 'anchorSeq' | 'explanationSeq' | 'approvalSeq') =>
    (
      await DecisionLog.findOne({ [field]: { $gt: 0 } }, { [field]: 1 })
        .sort({ [field]: -1 })
        .lean<DecisionLogDoc>()
    )?.[field] ?? 0;
  let next = Math.max(watermark, await top('anchorSeq'), await top('explanationSeq'), await top('approvalSeq')) + 1;

  // One indexed read per sequence field (an $or over the three would read every decision).
  const fields = { decisionId: 1, stationId: 1, hash: 1, explanation: 1, approval: 1, anchorSeq: 1, explanationSeq: 1, approvalSeq: 1 };
  const stray = new Map<string, DecisionLogDoc>();
  for (const field of ['anchorSeq', 'explanationSeq', 'approvalSeq'] as const)
    for (const d of await DecisionLog.find({ [field]: { $gt: watermark } }, fields).lean<DecisionLogDoc[]>()) stray.set(d.decisionId, d);
  for (const d of stray.values()) {
    if (d.anchorSeq && d.anchorSeq > watermark)
      leaves.push({ seq: d.anchorSeq, kind: 'decision', refId: d.decisionId, hash: d.hash, stationId: d.stationId });
    const eh = (d.explanation as { hash?: string }).hash;
    if (d.explanationSeq && d.explanationSeq > watermark && eh)
      leaves.push({ seq: d.explanationSeq, kind: 'explanation', refId: d.decisionId, hash: eh, stationId: d.stationId });
    const ah = (d.approval as { hash?: string } | undefined)?.hash;
    if (d.approvalSeq && d.approvalSeq > watermark && ah)
      leaves.push({ seq: d.approvalSeq, kind: 'approval', refId: d.decisionId, hash: ah, stationId: d.stationId });
  }
  const strayOutcomes = await models.ActionOutcome.find(
    { anchorSeq: { $gt: watermark } },
    { ref: 1, stationId: 1, hash: 1, anchorSeq: 1 },
  ).lean<{ ref: string; stationId: string; hash: string; anchorSeq: number }[]>();
  for (const o of strayOutcomes) leaves.push({ seq: o.anchorSeq, kind: 'outcome', refId: o.ref, hash: o.hash, stationId: o.stationId });
  next = Math.max(next, ...strayOutcomes.map((o) => o.anchorSeq + 1));
  const strayAdmin = await models.AdminAction.find({ anchorSeq: { $gt: watermark } }, { actionId: 1, hash: 1, anchorSeq: 1 }).lean<
    { actionId: string; hash: string; anchorSeq: number }[]
  >();
  for (const a of strayAdmin) leaves.push({ seq: a.anchorSeq, kind: 'admin', refId: a.actionId, hash: a.hash });
  next = Math.max(next, ...strayAdmin.map((a) => a.anchorSeq + 1));
  leaves.sort((a, b) => a.seq - b.seq);
  // An approval stored by a process that died before giving it a sequence number gets one now.
  // (An answered decision's status is its answer, so the status index finds them.)
  const unnumbered = await DecisionLog.find(
    { status: { $in: ['approved', 'rejected'] }, approval: { $exists: true }, approvalSeq: { $exists: false } },
    { decisionId: 1, stationId: 1, approval: 1 },
  ).lean<DecisionLogDoc[]>();
  for (const d of unnumbered) {
    const seq = next++;
    leaves.push({ seq, kind: 'approval', refId: d.decisionId, hash: (d.approval as { hash: string }).hash, stationId: d.stationId });
    await DecisionLog.updateOne({ decisionId: d.decisionId }, { $set: { approvalSeq: seq } });
  }
  return { leaves, nextSeq: next };
}
