// What the copilot runs with: the validated configuration loadConfig (index.ts) answers.
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** pretty or json; null: pretty when stdout is a terminal. */
  logFormat: 'pretty' | 'json' | null;
  simulate: boolean;
  simulateStations: number;
  simulateScenario: string;
  simulateRate: number;
  seedDemo: boolean;
  mongodbUri: string | null;
  signalRetentionH: number;
  writeBacklogMax: number;
  /** Senders' signals taken and not yet answered before ingestion sheds load. */
  ingestInFlightMax: number;
  /** Decide made-up signals on the decision worker before the first real one (DECIDE_WARM_UP). */
  decideWarmUp: boolean;
  shedLagMs: number;
  redisUrl: string | null;
  /** direct: decided and journaled before the answer; stream: appended to Redis Streams first (docs/deploy.md). */
  signalLog: 'direct' | 'stream';
  streamPartitions: number;
  streamLeaseMs: number;
  dedupeTtlS: number;
  /** Cap of the in-memory cache's dedupe ids (unused with Redis, whose memory policy rules). */
  dedupeMaxIds: number;
  dedupeReloadLimit: number;
  signalFlushMs: number;
  signalFlushMax: number;
  stateFlushMs: number;
  /** embedded: start a Hardhat node; rpc: CHAIN_RPC_URL; off: batches queue in the database only. */
  chainMode: 'embedded' | 'rpc' | 'off';
  chainRpcUrl: string | null;
  chainPublicRpcUrl: string | null;
  anchorBatchMs: number;
  actuationTimeoutMs: number;
  actuationMaxPending: number;
  /** Heartbeat interval handed to OCPP charge points. */
  ocppHeartbeatS: number;
  /** Messages per second an OCPP charge point may send. */
  ocppMessagesPerS: number;
  anchorBatchMax: number;
  anchorBacklogAlert: number;
  auditContractAddress: string | null;
  anchorPrivateKey: string | null;
  groqApiKey: string | null;
  groqModel: string;
  groqBaseUrl: string | null;
  groqTimeoutMs: number;
  groqMaxRetries: number;
  llmConcurrency: number;
  llmQueueMax: number;
  llmRpm: number;
  llmBreakerResetMs: number;
  llmBreakerFailures: number;
  jwtSecret: string | null;
  vapidPublicKey: string | null;
  vapidPrivateKey: string | null;
  vapidSubject: string;
  pushAllowPrivateEndpoints: boolean;
  /** Express's 'trust proxy': false, a hop count, or the proxies' addresses. */
  trustProxy: boolean | number | string[];
  rateLoginPerAccount: number;
  rateLoginPerIp: number;
  rateChatPerMin: number;
  rateSignalsPerS: number;
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
  adminEmail: string | null;
  adminPassword: string | null;
  agentThresholds: Record<string, unknown>;
  corsOrigins: string[];
  /** Certificate and key files: HTTPS (and wss) instead of HTTP; null serves plain HTTP. */
  tls: { certFile: string; keyFile: string } | null;
}
