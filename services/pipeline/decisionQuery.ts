// Reads of decision records: filters and cursor pagination on (ts, id), newest first.
import type { FilterQuery } from 'mongoose';
import type { ActionOutcome, DecisionRecord } from '../../eventBus/types.js';
import type { ActionOutcomeDoc, DecisionLogDoc, Models } from '../../models/index.js';
import { fromDoc, type DecisionLogger } from './decisionLogger.js';
import { AppError } from '../platform/index.js';
import type { AnchoringService } from '../audit/index.js';

export interface DecisionFilter {
  stationId?: string;
  /** Only these stations (a user's scope). */
  stationIds?: string[];
  agent?: string;
  action?: string;
  status?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit: number;
}

interface Cursor {
  ts: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.ts, c.id])).toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return { ts: v[0], id: v[1] };
  } catch {
    // fall through to the error below
  }
  throw new AppError(400, 'VALIDATION_FAILED', '"cursor" is not a cursor this server issued', [{ field: 'cursor' }]);
}

export class DecisionQuery {
  constructor(
    private readonly models: Models,
    private readonly logger: DecisionLogger,
    private readonly anchoring: AnchoringService,
  ) {}

  /** The stored document (or the one about to be stored). */
  async getDoc(id: string): Promise<DecisionLogDoc | null> {
    return this.logger.peek(id) ?? (await this.models.DecisionLog.findOne({ decisionId: id }).lean<DecisionLogDoc>());
  }

  /** What the actuator answered for the decision's commands, in the order they were recorded (bounded: a plan change hands at most its plan's actions). */
  async outcomesOf(id: string): Promise<ActionOutcomeDoc[]> {
    return this.models.ActionOutcome.find({ decisionId: id }, { _id: 0 }).sort({ anchorSeq: 1 }).limit(1000).lean<ActionOutcomeDoc[]>();
  }

  /** The full record; its anchor carries the leaf and proof once its batch is closed. */
  async get(id: string): Promise<DecisionRecord | null> {
    const doc = await this.getDoc(id);
    if (!doc) return null;
    const rec = fromDoc(doc);
    rec.anchor = await this.anchoring.info(doc.anchorSeq);
    const at = await this.anchoring.locate({ kind: 'decision', refId: rec.id, hash: rec.hash }, doc.anchorSeq);
    if (at) rec.anchor = { ...rec.anchor, leaf: at.leaf, proof: at.proof };
    if (rec.approval) rec.approval = { ...rec.approval, anchor: await this.anchoring.info(doc.approvalSeq) };
    const outcomes = await this.outcomesOf(id);
    if (outcomes.length > 0)
      rec.outcomes = await Promise.all(
        outcomes.map(async ({ anchorSeq, ...o }) => ({ ...(o as ActionOutcome), anchor: await this.anchoring.info(anchorSeq) })),
      );
    return rec;
  }

  async list(f: DecisionFilter): Promise<{ items: DecisionRecord[]; nextCursor: string | null }> {
    const q: FilterQuery<DecisionLogDoc> = {};
    if (f.stationId) q.stationId = f.stationId;
    else if (f.stationIds) q.stationId = { $in: f.stationIds };
    if (f.agent) q.agents = f.agent;
    if (f.action) q.actionNames = f.action;
    if (f.status) q.status = f.status;
    const ts: Record<string, string> = {};
    if (f.since) ts.$gte = f.since;
    if (f.until) ts.$lt = f.until;
    if (Object.keys(ts).length) q.ts = ts;
    const and: FilterQuery<DecisionLogDoc>[] = [q];
    if (f.cursor) {
      const c = decodeCursor(f.cursor);
      and.push({ $or: [{ ts: { $lt: c.ts } }, { ts: c.ts, decisionId: { $lt: c.id } }] });
    }
    const docs = await this.models.DecisionLog.find(and.length > 1 ? { $and: and } : q)
      .sort({ ts: -1, decisionId: -1 })
      .limit(f.limit + 1)
      .lean<DecisionLogDoc[]>();
    const page = await Promise.all(
      docs.slice(0, f.limit).map(async (d) => {
        const rec = fromDoc(d);
        rec.anchor = this.anchoring.infoFor(d.anchorSeq) ?? (await this.anchoring.info(d.anchorSeq));
        return rec;
      }),
    );
    const last = page[page.length - 1];
    return { items: page, nextCursor: docs.length > f.limit && last ? encodeCursor({ ts: last.ts, id: last.id }) : null };
  }
}
