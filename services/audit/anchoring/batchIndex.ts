// Which batch holds a sequence number, and where that batch stands: kept in memory
// for the recent batches so decision lists can show anchor status without a query per row.
import type { AnchorInfo } from '../../../eventBus/types.js';
import type { AnchorBatchDoc, AnchorBatchStatus } from '../../../models/index.js';

export interface BatchSummary {
  batchId: number;
  firstSeq: number;
  lastSeq: number;
  root: string;
  status: AnchorBatchStatus;
  reason?: string | null;
  txHash?: string | null;
  blockNumber?: number | null;
  chainId?: number | null;
  contract?: string | null;
}

export function summaryOf(d: Omit<AnchorBatchDoc, 'leaves'>): BatchSummary {
  return {
    batchId: d.batchId,
    firstSeq: d.firstSeq,
    lastSeq: d.lastSeq,
    root: d.root,
    status: d.status,
    reason: d.reason ?? null,
    txHash: d.txHash ?? null,
    blockNumber: d.blockNumber ?? null,
    chainId: d.chainId ?? null,
    contract: d.contract ?? null,
  };
}

/** A batch's state as a record's anchor shows it. */
export function anchorInfo(b: BatchSummary, seq: number): AnchorInfo {
  const base: AnchorInfo = { status: 'pending', seq, batch: b.batchId, ...(b.root ? { root: b.root } : {}) };
  if (b.status === 'anchored') {
    return {
      ...base,
      status: 'anchored',
      txHash: b.txHash ?? undefined,
      blockNumber: b.blockNumber ?? undefined,
      chainId: b.chainId ?? undefined,
      contract: b.contract ?? undefined,
    };
  }
  if (b.status === 'failed') return { ...base, status: 'failed', reason: b.reason ?? 'anchoring failed' };
  return { ...base, reason: b.reason ?? 'batch queued for the chain' };
}

export class BatchIndex {
  /** Batches in batchId order; seq ranges increase with batchId. */
  private batches: BatchSummary[] = [];

  constructor(private readonly max: number) {}

  get size(): number {
    return this.batches.length;
  }

  /** Highest sequence number any known batch covers (0 if none). */
  get lastSeq(): number {
    return this.batches.at(-1)?.lastSeq ?? 0;
  }

  get oldestSeq(): number {
    return this.batches[0]?.firstSeq ?? Infinity;
  }

  add(b: BatchSummary): void {
    this.batches.push(b);
    if (this.batches.length > this.max) this.batches.splice(0, this.batches.length - this.max);
  }

  get(batchId: number): BatchSummary | undefined {
    const first = this.batches[0];
    if (!first) return undefined;
    const i = batchId - first.batchId;
    const hit = this.batches[i];
    if (hit?.batchId === batchId) return hit;
    return this.batches.find((b) => b.batchId === batchId);
  }

  /** The batch covering `seq`, when it is among the batches held in memory. */
  find(seq: number): BatchSummary | undefined {
    let lo = 0;
    let hi = this.batches.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = this.batches[mid];
      if (seq < b.firstSeq) hi = mid - 1;
      else if (seq > b.lastSeq) lo = mid + 1;
      else return b;
    }
    return undefined;
  }

  update(batchId: number, patch: Partial<BatchSummary>): void {
    const b = this.get(batchId);
    if (b) Object.assign(b, patch);
  }

  all(): readonly BatchSummary[] {
    return this.batches;
  }
}
