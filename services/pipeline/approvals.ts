// Operators answer pending_approval decisions. The answer is a record of its own
// (bound to the decision's hash), stored with the decision and anchored as its own leaf. What it does
// to the plan (the decision's waiting actions in force, or out and held back) goes in as an
// `operator_answer` signal through the same ingestion as every other signal: stored in the signal
// log and settled by the pipeline, so a replay of the log remakes the plan and every later decision.
import { randomUUID } from 'node:crypto';
import type { EventBus } from '../../eventBus/index.js';
import type { Approval, Signal } from '../../eventBus/types.js';
import type { DecisionLogDoc, Models } from '../../models/index.js';
import { approvalValue, canonicalHash } from '../audit/index.js';
import type { DecisionLogger } from './decisionLogger.js';
import { AppError } from '../platform/index.js';
import type { AnchoringService } from '../audit/index.js';
import { waitingOn } from '../../agents/index.js';
import type { IngestionService } from './ingestion.js';
import type { StationStore } from './stationStore.js';

export class ApprovalService {
  constructor(
    private readonly deps: {
      models: Models;
      bus: EventBus;
      logger: DecisionLogger;
      anchoring: AnchoringService;
      stations: Pick<StationStore, 'get'>;
      ingestion: Pick<IngestionService, 'ingestOwn'>;
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
    // The answer is about actions waiting in the plan; if the plan moved on (they were stopped or superseded), there is nothing to answer.
    const state = this.deps.stations.get(doc.stationId);
    if (!state || waitingOn(state.plan, id).length === 0) {
      throw new AppError(
        409,
        'NO_LONGER_PLANNED',
        `the actions of decision ${id} were stopped or superseded since; there is nothing left to ${outcome === 'approved' ? 'approve' : 'reject'}`,
        [{ field: 'id' }],
      );
    }
    // Agents judge on signal time: the answer comes after the evidence already in, even when the
    // station's clock runs ahead of this one (a simulation). The record's `at` is the signal's time.
    const last = state.updatedAt === null ? 0 : Date.parse(state.updatedAt);
    const signal: Signal = {
      id: `op-${randomUUID()}`,
      stationId: doc.stationId,
      type: 'operator_answer',
      ts: new Date(Math.max(Date.now(), last)).toISOString(),
      payload: { decisionId: id, outcome, by, note },
    };
    const base = { decisionId: id, decisionHash: doc.hash, outcome, by, note, at: signal.ts };
    const approval: Approval = { ...base, hash: canonicalHash(approvalValue(base)) };
    // The status filter is the guard: of two answers racing, one matches and the other finds it taken.
    const res = await DecisionLog.updateOne({ decisionId: id, status: 'pending_approval' }, { $set: { status: outcome, approval } });
    if (res.modifiedCount !== 1) throw new AppError(409, 'ALREADY_ANSWERED', `decision ${id} was answered meanwhile`, [{ field: 'id' }]);
    const [seq] = this.deps.anchoring.enqueue([{ kind: 'approval', refId: id, hash: approval.hash, stationId: doc.stationId }]);
    await DecisionLog.updateOne({ decisionId: id }, { $set: { approvalSeq: seq } });
    // Only the answer that won the guard goes into the log. Settled while it is taken in (the bus is
    // synchronous): if the actions left the plan since the check, it changes nothing and stays harmless.
    const result = await this.deps.ingestion.ingestOwn(signal, performance.now());
    const refused = result.rejected[0];
    if (refused) throw new Error(`the answer signal was refused: ${refused.error.field}: ${refused.error.message}`);
    const out = { ...approval, anchor: this.deps.anchoring.infoFor(seq) };
    this.deps.bus.emit('decision.approved', { id, stationId: doc.stationId, approval: out });
    return out;
  }
}
