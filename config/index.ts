// Configuration from the environment, validated once at start. An unknown or
// malformed value stops the start with a message naming the variable.
import Joi from 'joi';
import type { Config } from './types.js';
import { parseTrustProxy } from './trustProxy.js';
import { schema } from './schema.js';
import { ConfigError } from './errors.js';

export { ConfigError } from './errors.js';
export { readTls } from './tls.js';

export type { Config } from './types.js';
export { parseTrustProxy } from './trustProxy.js';

export interface EnvDoc {
  name: string;
  /** As a reader should see it: the schema default, or what an unset variable means. */
  default: string;
  meaning: string;
}

/** Every variable the service reads, in schema order; scripts/config-table.ts renders the README table from it and refuses an empty field. */
export const ENV_DOCS: EnvDoc[] = Object.entries((schema.describe().keys ?? {}) as Record<string, Joi.Description>).map(([name, d]) => {
  const flags = (d.flags ?? {}) as { default?: unknown; description?: string };
  const meta = (d.metas ?? []).find((m: { shownDefault?: string }) => m.shownDefault !== undefined) as { shownDefault: string } | undefined;
  const fallback = flags.default === undefined ? '' : String(flags.default);
  return { name, default: meta?.shownDefault ?? fallback, meaning: flags.description ?? '' };
});
const ENV_NAMES = new Set(ENV_DOCS.map((d) => d.name));

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const own = Object.fromEntries(Object.entries(env).filter(([k]) => ENV_NAMES.has(k)));
  const { error, value } = schema.validate(own, { abortEarly: false, convert: true });
  if (error) {
    const lines = error.details.map((d) => `  ${String(d.path[0])}: ${d.message.replace(/^"[^"]+" /, '')}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  let thresholds: unknown;
  try {
    thresholds = JSON.parse(value.AGENT_THRESHOLDS || '{}');
  } catch {
    throw new ConfigError('invalid configuration:\n  AGENT_THRESHOLDS: must be a JSON object');
  }
  if (typeof thresholds !== 'object' || thresholds === null || Array.isArray(thresholds)) {
    throw new ConfigError('invalid configuration:\n  AGENT_THRESHOLDS: must be a JSON object');
  }
  const orNull = (s: string) => (s === '' ? null : s);
  const chainMode = value.CHAIN_RPC_URL === 'off' ? 'off' : value.CHAIN_RPC_URL === '' ? 'embedded' : 'rpc';
  if (chainMode === 'rpc' && !value.ANCHOR_PRIVATE_KEY)
    throw new ConfigError('invalid configuration:\n  ANCHOR_PRIVATE_KEY: is required when CHAIN_RPC_URL is set');
  if (value.SIGNAL_LOG === 'stream' && !value.REDIS_URL)
    throw new ConfigError('invalid configuration:\n  SIGNAL_LOG: "stream" needs REDIS_URL (the log is a set of Redis streams)');
  if (!value.TLS_CERT_FILE !== !value.TLS_KEY_FILE)
    throw new ConfigError(
      `invalid configuration:\n  ${value.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'}: set both TLS files or neither`,
    );
  if (!value.VAPID_PUBLIC_KEY !== !value.VAPID_PRIVATE_KEY) {
    throw new ConfigError(
      `invalid configuration:\n  ${value.VAPID_PUBLIC_KEY ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY'}: set both VAPID keys or neither`,
    );
  }
  // The embedded database and chain listen on loopback without credentials: any local user could write
  // a refresh token or forge anchors. Fine on a laptop; refused where NODE_ENV says production.
  if (env.NODE_ENV === 'production') {
    const missing = [
      value.MONGODB_URI ? null : '  MONGODB_URI: is required when NODE_ENV=production (the embedded database has no credentials)',
      chainMode === 'embedded'
        ? "  CHAIN_RPC_URL: is required when NODE_ENV=production (a chain with credentials, or 'off'; the embedded chain has none)"
        : null,
    ].filter(Boolean);
    if (missing.length) throw new ConfigError(`invalid configuration:\n${missing.join('\n')}`);
  }
  if (chainMode === 'embedded' && value.AUDIT_CONTRACT_ADDRESS) {
    throw new ConfigError(
      'invalid configuration:\n  AUDIT_CONTRACT_ADDRESS: needs CHAIN_RPC_URL (the embedded chain deploys its own contract)',
    );
  }
  return {
    port: value.PORT,
    tls: value.TLS_CERT_FILE || value.TLS_KEY_FILE ? { certFile: value.TLS_CERT_FILE, keyFile: value.TLS_KEY_FILE } : null,
    host: value.HOST,
    dataDir: value.DATA_DIR,
    logLevel: value.LOG_LEVEL,
    logFormat: value.LOG_FORMAT ?? null,
    // A first run on embedded defaults shows the product working; a real deployment does not simulate unless asked.
    simulate: value.SIMULATE !== undefined ? value.SIMULATE === '1' : !value.MONGODB_URI && value.SEED_DEMO === '1',
    simulateStations: value.SIMULATE_STATIONS,
    simulateScenario: value.SIMULATE_SCENARIO,
    simulateRate: value.SIMULATE_RATE,
    seedDemo: value.SEED_DEMO === '1',
    mongodbUri: orNull(value.MONGODB_URI),
    signalRetentionH: value.SIGNAL_RETENTION_H,
    writeBacklogMax: value.WRITE_BACKLOG_MAX,
    ingestInFlightMax: value.INGEST_IN_FLIGHT_MAX,
    decideWarmUp: value.DECIDE_WARM_UP === '1',
    shedLagMs: value.SHED_LAG_MS,
    redisUrl: orNull(value.REDIS_URL),
    // With Redis, acknowledged means in the log: a crash loses nothing, and instances share the work.
    signalLog: value.SIGNAL_LOG ?? (value.REDIS_URL ? 'stream' : 'direct'),
    streamPartitions: value.STREAM_PARTITIONS,
    streamLeaseMs: value.STREAM_LEASE_MS,
    dedupeTtlS: value.DEDUPE_TTL_S,
    dedupeMaxIds: value.DEDUPE_MAX_IDS,
    dedupeReloadLimit: value.DEDUPE_RELOAD_LIMIT,
    signalFlushMs: value.SIGNAL_FLUSH_MS,
    signalFlushMax: value.SIGNAL_FLUSH_MAX,
    stateFlushMs: value.STATE_FLUSH_MS,
    chainMode,
    chainRpcUrl: chainMode === 'rpc' ? value.CHAIN_RPC_URL : null,
    chainPublicRpcUrl: orNull(value.CHAIN_PUBLIC_RPC_URL),
    anchorBatchMs: value.ANCHOR_BATCH_MS,
    actuationTimeoutMs: value.ACTUATION_TIMEOUT_MS,
    actuationMaxPending: value.ACTUATION_MAX_PENDING,
    ocppHeartbeatS: value.OCPP_HEARTBEAT_S,
    ocppMessagesPerS: value.OCPP_MESSAGES_PER_S,
    anchorBatchMax: value.ANCHOR_BATCH_MAX,
    anchorBacklogAlert: value.ANCHOR_BACKLOG_ALERT,
    auditContractAddress: orNull(value.AUDIT_CONTRACT_ADDRESS),
    anchorPrivateKey: orNull(value.ANCHOR_PRIVATE_KEY),
    groqApiKey: orNull(value.GROQ_API_KEY),
    groqModel: value.GROQ_MODEL,
    groqBaseUrl: orNull(value.GROQ_BASE_URL),
    groqTimeoutMs: value.GROQ_TIMEOUT_MS,
    groqMaxRetries: value.GROQ_MAX_RETRIES,
    llmConcurrency: value.LLM_CONCURRENCY,
    llmQueueMax: value.LLM_QUEUE_MAX,
    llmRpm: value.LLM_RPM,
    llmBreakerResetMs: value.LLM_BREAKER_RESET_MS,
    llmBreakerFailures: value.LLM_BREAKER_FAILURES,
    jwtSecret: orNull(value.JWT_SECRET),
    accessTokenTtlS: value.ACCESS_TOKEN_TTL_S,
    vapidPublicKey: orNull(value.VAPID_PUBLIC_KEY),
    vapidPrivateKey: orNull(value.VAPID_PRIVATE_KEY),
    vapidSubject: value.VAPID_SUBJECT,
    pushAllowPrivateEndpoints: value.PUSH_ALLOW_PRIVATE_ENDPOINTS === '1',
    trustProxy: parseTrustProxy(value.TRUST_PROXY),
    rateLoginPerAccount: value.RATE_LOGIN_PER_ACCOUNT,
    rateLoginPerIp: value.RATE_LOGIN_PER_IP,
    rateChatPerMin: value.RATE_CHAT_PER_MIN,
    rateSignalsPerS: value.RATE_SIGNALS_PER_S,
    refreshTokenTtlS: value.REFRESH_TOKEN_TTL_S,
    adminEmail: orNull(value.ADMIN_EMAIL),
    adminPassword: orNull(value.ADMIN_PASSWORD),
    agentThresholds: thresholds as Record<string, unknown>,
    corsOrigins: value.CORS_ORIGINS
      ? String(value.CORS_ORIGINS)
          .split(',')
          .map((s: string) => s.trim())
          .filter(Boolean)
      : [],
  };
}
