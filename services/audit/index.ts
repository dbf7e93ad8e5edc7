// The audit subsystem's public surface: other code imports it only through this file.
export { AdminAuditService } from './adminAudit.js';
export { AuditQuery } from './anchoring/auditQuery.js';
export { probeChainId } from './anchoring/chain.js';
export type { ChainTarget } from './anchoring/chain.js';
export { startEmbeddedChain } from './anchoring/embeddedChain.js';
export type { EmbeddedChain } from './anchoring/embeddedChain.js';
export { AnchoringService } from './anchoring/service.js';
export { canonicalHash, canonicalize, sha256Hex } from './canonical.js';
export { approvalValue, canonicalDecision, outcomeValue, decisionContent, explanationHash, explanationValue } from './records.js';
export type { LeafInput } from './anchoring/service.js';
