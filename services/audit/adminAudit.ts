// The audit trail of admin actions (users, device keys, agents, stations): each one a record
// with its RFC 8785 SHA-256, stored and anchored as its own leaf (kind "admin"), like a decision.
import { randomUUID } from 'node:crypto';
import type { AnchorInfo } from '../../eventBus/types.js';
import type { AdminActionDoc, Models } from '../../models/index.js';
import type { AnchoringService } from './anchoring/service.js';
import { canonicalHash } from './canonical.js';

export interface AdminAction extends Omit<AdminActionDoc, 'anchorSeq'> {
  anchor: AnchorInfo;
}

/** The hashed content: everything but the hash and where it is anchored. */
export function adminActionValue(
  a: Pick<AdminActionDoc, 'actionId' | 'at' | 'by' | 'action' | 'target' | 'details'>,
): Record<string, unknown> {
  return { actionId: a.actionId, at: a.at, by: a.by, action: a.action, target: a.target, details: a.details };
}

export class AdminAuditService {
  constructor(private readonly deps: { models: Models; anchoring: AnchoringService; now?: () => Date }) {}

  /** Records an action an admin took; `details` must hold no secret (keys and passwords never go here). */
  async record(by: string, action: string, target: string, details: Record<string, unknown> = {}): Promise<AdminAction> {
    const base = {
      actionId: randomUUID(),
      at: (this.deps.now?.() ?? new Date()).toISOString(),
      by,
      action,
      target,
      details: JSON.parse(JSON.stringify(details)) as Record<string, unknown>,
    };
    const hash = canonicalHash(adminActionValue(base));
    const [anchorSeq] = this.deps.anchoring.enqueue([{ kind: 'admin', refId: base.actionId, hash }]);
    const doc: AdminActionDoc = { ...base, hash, anchorSeq };
    await this.deps.models.AdminAction.collection.insertOne({ ...doc });
    return { ...base, hash, anchor: this.deps.anchoring.infoFor(anchorSeq) ?? { status: 'pending', seq: anchorSeq } };
  }

  async list(limit: number): Promise<AdminAction[]> {
    const docs = await this.deps.models.AdminAction.find({}, { _id: 0 }).sort({ at: -1 }).limit(limit).lean<AdminActionDoc[]>();
    return Promise.all(
      docs.map(async ({ anchorSeq, ...d }) => {
        const anchor = await this.deps.anchoring.info(anchorSeq);
        const at = await this.deps.anchoring.locate({ kind: 'admin', refId: d.actionId, hash: d.hash }, anchorSeq);
        return { ...d, anchor: at ? { ...anchor, leaf: at.leaf, proof: at.proof } : anchor };
      }),
    );
  }
}
