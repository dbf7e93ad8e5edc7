// Before anchoring on a chain: the right contract, and the history the chain still holds.
import type { AnchorBatchDoc } from '../../../models/index.js';
import type { AnchoringDeps } from './service.js';
import { ChainSetupError, type AuditChain } from './chain.js';

/**
 * Finds (or, where allowed, deploys) the contract, and queues again the anchored history the chain no
 * longer holds (an embedded chain starts empty; a contract may be replaced). Returns how many batches it queued.
 * `readOnly` (an instance that does not write, in shared mode) only finds the contract the writer uses.
 */
export async function prepareChain(
  chain: AuditChain,
  deps: Pick<AnchoringDeps, 'models' | 'logger' | 'metrics'>,
  readOnly = false,
): Promise<number> {
  const { AnchorMeta, AnchorBatch } = deps.models;
  const t = chain.target;
  if (t.embedded) await chain.fundDevAccount();
  const key = `chain:${chain.chainId}`;
  const meta = await AnchorMeta.findOne({ key }).lean();
  if (t.contract) {
    if (!(await chain.hasCode(t.contract)))
      throw new ChainSetupError(`no contract at AUDIT_CONTRACT_ADDRESS ${t.contract} on chain ${chain.chainId}`);
    chain.use(t.contract);
  } else if (meta && (await chain.hasCode(meta.contract))) {
    chain.use(meta.contract);
  } else if (readOnly) {
    throw new ChainSetupError(`no AuditLog recorded for chain ${chain.chainId} yet: the anchoring writer deploys it`);
  } else {
    const { address, txHash } = await chain.deploy();
    if (meta)
      deps.logger.warn(
        { was: meta.contract, now: address, chainId: chain.chainId },
        'anchoring: the recorded AuditLog is gone from the chain (the embedded chain starts empty); deployed a new one',
      );
    else deps.logger.info({ contract: address, chainId: chain.chainId }, 'anchoring: deployed AuditLog');
    await AnchorMeta.updateOne(
      { key },
      {
        $set: {
          chainId: chain.chainId,
          contract: address,
          anchorer: chain.account,
          deployTx: txHash,
          embedded: t.embedded,
          recordedAt: new Date(),
        },
      },
      { upsert: true },
    );
  }
  if (readOnly) return 0;
  if (!(await chain.hasAnchorerRole()))
    deps.logger.error(
      { account: chain.account, contract: chain.address },
      'anchoring: this account lacks ANCHORER_ROLE; batches will fail until it is granted',
    );

  const elsewhere = { status: 'anchored', $or: [{ contract: { $ne: chain.address } }, { chainId: { $ne: chain.chainId } }] };
  const latest = await AnchorBatch.findOne({ status: 'anchored', contract: chain.address, chainId: chain.chainId }, { leaves: 0 })
    .sort({ batchId: -1 })
    .lean<AnchorBatchDoc>();
  const lost = latest !== null && !(await chain.isAnchored(latest.root));
  const moved = await AnchorBatch.countDocuments(elsewhere);
  if (lost || moved) {
    const reason = lost
      ? `re-anchoring: chain ${chain.chainId} no longer holds this root (the chain was reset)`
      : `re-anchoring onto AuditLog ${chain.address} (chain ${chain.chainId})`;
    const res = await AnchorBatch.updateMany(lost ? { status: 'anchored' } : elsewhere, { $set: { status: 'queued', reason } });
    deps.logger.warn(
      { batches: res.modifiedCount, contract: chain.address, chainId: chain.chainId },
      `anchoring: ${lost ? 'the chain lost its anchors' : 'the contract changed'}; re-anchoring the stored history in batches`,
    );
    deps.metrics.anchorBatches.inc({ result: 'reanchored' }, res.modifiedCount);
    return res.modifiedCount;
  }
  return 0;
}
