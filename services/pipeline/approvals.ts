// Operators answer pending_approval decisions. The answer is a record of its own
// (bound to the decision's hash), stored with the decision and anchored as its own leaf; it puts
// the decision's waiting actions in force (approved) or takes them out of the plan (rejected).
import type { EventBus } from '../../eventBus/index.js';
import type { Approval } from '../../eventBus/types.js';
import type { DecisionLogDoc, Models } from '../../models/index.js';
import { approvalValue, canonicalHash } from '../audit/index.js';
import type { DecisionLogger } from './decisionLogger.js';
import { AppError } from '../platform/index.js';
import type { AnchoringService } from '../audit/index.js';
import { answerPlan } from '../../agents/index.js';
import type { StationStore } from './stationStore.js';

export class ApprovalService {
  constructor(
    private readonly deps: {
      models: Models;
      bus: EventBus;
      logger: DecisionLogger;
      anchoring: AnchoringService;
      stations: Pick<StationStore, 'get' | 'setPlan'>;
      /** Seconds a rejected action is held back from being proposed again (the policy in force). */
      declineHoldS: () => number;
    },
  ) {}

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
    const at = new Date().toISOString();
    // The answer is about actions waiting in the plan; if the plan moved on (they were stopped or superseded), there is nothing to answer.
    const planned = this.deps.stations.get(doc.stationId);
    if (!planned || answerPlan(planned.plan, id, outcome, at, this.deps.declineHoldS()).affected.length === 0) {
      throw new AppError(
        409,
        'NO_LONGER_PLANNED',
        `the actions of decision ${id} were stopped or superseded since; there is nothing left to ${outcome === 'approved' ? 'approve' : 'reject'}`,
        [{ field: 'id' }],
      );
    }
    const base = { decisionId: id, decisionHash: doc.hash, outcome, by, note, at };
    const approval: Approval = { ...base, hash: canonicalHash(approvalValue(base)) };
    // The status filter is the guard: of two answers racing, one matches and the other finds it taken.
    const res = await DecisionLog.updateOne({ decisionId: id, status: 'pending_approval' }, { $set: { status: outcome, approval } });
    if (res.modifiedCount !== 1) throw new AppError(409, 'ALREADY_ANSWERED', `decision ${id} was answered meanwhile`, [{ field: 'id' }]);
    const [seq] = this.deps.anchoring.enqueue([{ kind: 'approval', refId: id, hash: approval.hash, stationId: doc.stationId }]);
    await DecisionLog.updateOne({ decisionId: id }, { $set: { approvalSeq: seq } });
    const state = this.deps.stations.get(doc.stationId);
    if (state) {
      const { plan, affected } = answerPlan(state.plan, id, outcome, at, this.deps.declineHoldS());
      if (affected.length > 0) {
        this.deps.stations.setPlan(doc.stationId, plan);
        this.deps.bus.emit('plan.updated', { stationId: doc.stationId, plan, decisionId: id, cause: 'approval' });
      }
    }
    const out = { ...approval, anchor: this.deps.anchoring.infoFor(seq) };
    this.deps.bus.emit('decision.approved', { id, stationId: doc.stationId, approval: out });
    return out;
  }
}
