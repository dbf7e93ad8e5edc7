// Operators answer pending_approval decisions. The answer is a record of its own
// (bound to the decision's hash), stored with the decision and anchored as its own leaf.
import type { EventBus } from '../../eventBus/index.js';
import type { Approval } from '../../eventBus/types.js';
import type { DecisionLogDoc, Models } from '../../models/index.js';
import { approvalValue, canonicalHash } from '../audit/index.js';
import type { DecisionLogger } from './decisionLogger.js';
import { AppError } from '../platform/index.js';
import type { AnchoringService } from '../audit/index.js';

export class ApprovalService {
  constructor(private readonly deps: { models: Models; bus: EventBus; logger: DecisionLogger; anchoring: AnchoringService }) {}

  async answer(id: string, outcome: Approval['outcome'], by: string, note: string | null): Promise<Approval> {
    const { DecisionLog } = this.deps.models;
    await this.deps.logger.stored(id);
    const doc = await DecisionLog.findOne(
      { decisionId: id },
      { decisionId: 1, stationId: 1, hash: 1, status: 1, approval: 1 },
    ).lean<DecisionLogDoc>();
    if (!doc) throw new AppError(404, 'UNKNOWN_DECISION', `decision ${id} does not exist`, [{ field: 'id' }]);
    if (doc.approval)
      throw new AppError(409, 'ALREADY_ANSWERED', `decision ${id} was already ${(doc.approval as { outcome: string }).outcome}`, [
        { field: 'id' },
      ]);
    if (doc.status !== 'pending_approval')
      throw new AppError(
        409,
        'NOT_PENDING_APPROVAL',
        `decision ${id} is ${doc.status}; only pending_approval decisions can be approved or rejected`,
        [{ field: 'id' }],
      );
    const base = { decisionId: id, decisionHash: doc.hash, outcome, by, note, at: new Date().toISOString() };
    const approval: Approval = { ...base, hash: canonicalHash(approvalValue(base)) };
    // The status filter is the guard: of two answers racing, one matches and the other finds it taken.
    const res = await DecisionLog.updateOne({ decisionId: id, status: 'pending_approval' }, { $set: { status: outcome, approval } });
    if (res.modifiedCount !== 1) throw new AppError(409, 'ALREADY_ANSWERED', `decision ${id} was answered meanwhile`, [{ field: 'id' }]);
    const [seq] = this.deps.anchoring.enqueue([{ kind: 'approval', refId: id, hash: approval.hash, stationId: doc.stationId }]);
    await DecisionLog.updateOne({ decisionId: id }, { $set: { approvalSeq: seq } });
    const out = { ...approval, anchor: this.deps.anchoring.infoFor(seq) };
    this.deps.bus.emit('decision.approved', { id, stationId: doc.stationId, approval: out });
    return out;
  }
}
