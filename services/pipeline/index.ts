// The pipeline subsystem's public surface: other code imports it only through this file.
export { AgentRegistry, mergeThresholds } from './agentRegistry.js';
export { ApprovalService } from './approvals.js';
export { attachDecisionEffects } from './decisionEffects.js';
export { DecisionLogger } from './decisionLogger.js';
export { DecisionQuery } from './decisionQuery.js';
export type { DecisionFilter } from './decisionQuery.js';
export { IngestionService, MAX_BATCH_SIGNALS } from './ingestion.js';
export type { IngestResult, SignalOutcome } from './ingestion.js';
export { SIGNAL_TYPES } from './signalSchemas.js';
export { PAYLOAD_SCHEMAS, envelope as SIGNAL_ENVELOPE } from './signalSchemas.js';
export type { SignalError } from './signalSchemas.js';
export { applySignal, initialState } from './stationFold.js';
export { StationStore } from './stationStore.js';
export { stationSummary } from './stationView.js';
export type { AgentChange, AgentSettingPreview } from './agentRegistry.js';
