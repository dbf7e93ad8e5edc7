// Configuration from the environment, validated once at start. An unknown or
// malformed value stops the start with a message naming the variable.
import Joi from 'joi';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  simulate: boolean;
  simulateStations: number;
  simulateScenario: string;
  simulateRate: number;
  seedDemo: boolean;
  mongodbUri: string | null;
  embeddedDbPersistMs: number;
  redisUrl: string | null;
  dedupeTtlS: number;
  dedupeReloadLimit: number;
  signalFlushMs: number;
  signalFlushMax: number;
  stateFlushMs: number;
  /** embedded: start a Hardhat node; rpc: CHAIN_RPC_URL; off: batches queue in the database only. */
  chainMode: 'embedded' | 'rpc' | 'off';
  chainRpcUrl: string | null;
  chainPublicRpcUrl: string | null;
  anchorBatchMs: number;
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
}

/** Every variable the service reads: name, default, meaning (the README table is generated from this). */
export const ENV_DOCS: { name: string; default: string; meaning: string }[] = [
  { name: 'PORT', default: '3000', meaning: 'HTTP and Socket.io port (0 picks a free one)' },
  { name: 'HOST', default: '127.0.0.1', meaning: 'interface to listen on' },
  { name: 'DATA_DIR', default: './data', meaning: 'embedded database snapshot, generated keys and secrets' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'fatal, error, warn, info, debug, trace or silent' },
  { name: 'SIMULATE', default: '0', meaning: '1 feeds the demo simulator into the running server' },
  { name: 'SIMULATE_STATIONS', default: '12', meaning: 'stations in the demo city (seeded at start)' },
  { name: 'SIMULATE_SCENARIO', default: 'normal', meaning: 'simulator scenario: normal, rush_hour, heatwave, stockout, price_spike' },
  { name: 'SIMULATE_RATE', default: '50', meaning: 'simulated signals per second of wall time' },
  { name: 'SEED_DEMO', default: '1', meaning: '1 registers the demo city of stations on start when none exist' },
  { name: 'MONGODB_URI', default: '(embedded)', meaning: 'MongoDB connection string; unset starts the in-process wire server' },
  { name: 'EMBEDDED_DB_PERSIST_MS', default: '5000', meaning: 'how often the embedded database snapshots to DATA_DIR' },
  { name: 'REDIS_URL', default: '(in-memory)', meaning: 'Redis for the cache and dedupe; unset uses the in-memory cache' },
  { name: 'DEDUPE_TTL_S', default: '86400', meaning: 'how long a signal id is remembered for dedupe' },
  { name: 'DEDUPE_RELOAD_LIMIT', default: '100000', meaning: 'recent signal ids reloaded into the dedupe cache at start' },
  { name: 'SIGNAL_FLUSH_MS', default: '0', meaning: 'extra wait before a batched insert of signals and decisions; 0 = group commit (insert when idle, batch what arrives meanwhile)' },
  { name: 'SIGNAL_FLUSH_MAX', default: '500', meaning: 'most documents in one insert (bounds how long one insert blocks the event loop)' },
  { name: 'STATE_FLUSH_MS', default: '1000', meaning: 'write-behind interval for folded station state' },
  { name: 'CHAIN_RPC_URL', default: '(embedded)', meaning: 'EVM JSON-RPC for anchoring; unset starts a local Hardhat node; off keeps batches queued in the database' },
  { name: 'CHAIN_PUBLIC_RPC_URL', default: '(CHAIN_RPC_URL)', meaning: 'the JSON-RPC URL GET /api/audit/contract tells auditors to read the chain at' },
  { name: 'AUDIT_CONTRACT_ADDRESS', default: '(recorded or deployed)', meaning: 'AuditLog contract address; unset uses the one recorded in the database, or deploys one' },
  { name: 'ANCHOR_PRIVATE_KEY', default: '(generated for the embedded chain)', meaning: 'key of the anchoring account (required with CHAIN_RPC_URL)' },
  { name: 'ANCHOR_BATCH_MS', default: '1000', meaning: 'close an anchoring batch this long after its first leaf' },
  { name: 'ANCHOR_BACKLOG_ALERT', default: '20000', meaning: 'notify auditors and admins when more records than this wait to be anchored' },
  { name: 'ANCHOR_BATCH_MAX', default: '2000', meaning: 'close an anchoring batch at this many leaves (a decision and its explanation are two)' },
  { name: 'GROQ_API_KEY', default: '(none)', meaning: 'enables LLM explanations; unset keeps template explanations' },
  { name: 'GROQ_MODEL', default: 'llama-3.1-8b-instant', meaning: 'Groq model name' },
  { name: 'GROQ_BASE_URL', default: '(Groq)', meaning: 'override the Groq API base URL (tests use a local stub)' },
  { name: 'GROQ_TIMEOUT_MS', default: '8000', meaning: 'how long one Groq request (and a chat waiting in the LLM queue) may take before it counts as a timeout' },
  { name: 'GROQ_MAX_RETRIES', default: '1', meaning: 'retries groq-sdk makes on a timeout, 429 or 5xx; a whole call gets at most (retries + 1) x GROQ_TIMEOUT_MS' },
  { name: 'LLM_CONCURRENCY', default: '2', meaning: 'LLM requests in flight at once' },
  { name: 'LLM_QUEUE_MAX', default: '20', meaning: 'LLM requests that may wait; past it explanations are refused (template fallback), chat gets as many again' },
  { name: 'LLM_RPM', default: '30', meaning: 'most LLM requests started in any 60 s (Groq free tier: ~30/min)' },
  { name: 'LLM_BREAKER_FAILURES', default: '5', meaning: 'consecutive LLM failures (timeouts, 429, 5xx, connection errors) that open the circuit breaker' },
  { name: 'LLM_BREAKER_RESET_MS', default: '30000', meaning: 'how long the open breaker refuses LLM calls before one probe may try again' },
  { name: 'ADMIN_EMAIL', default: 'admin@localhost.localdomain', meaning: 'email of the first admin, created on a fresh database' },
  { name: 'ADMIN_PASSWORD', default: '(generated, printed once)', meaning: 'password of the first admin (at least 12 characters)' },
  { name: 'JWT_SECRET', default: '(generated into DATA_DIR/jwt-secret)', meaning: 'HS256 key for access tokens, at least 32 characters' },
  { name: 'VAPID_PUBLIC_KEY', default: '(generated into DATA_DIR/vapid.json)', meaning: 'web-push VAPID public key (base64url); with VAPID_PRIVATE_KEY' },
  { name: 'VAPID_PRIVATE_KEY', default: '(generated)', meaning: 'web-push VAPID private key (base64url); with VAPID_PUBLIC_KEY' },
  { name: 'VAPID_SUBJECT', default: 'mailto:ops@localhost.localdomain', meaning: 'contact the push services see (mailto: or https:)' },
  { name: 'RATE_LOGIN_PER_ACCOUNT', default: '10', meaning: 'sign-in attempts per account per 15 minutes (then 429 with Retry-After)' },
  { name: 'RATE_LOGIN_PER_IP', default: '50', meaning: 'sign-in attempts per client address per 15 minutes' },
  { name: 'RATE_CHAT_PER_MIN', default: '20', meaning: 'chat questions per user (or address) per minute: LLM spend' },
  { name: 'RATE_SIGNALS_PER_S', default: '2000', meaning: 'signals per device key per second' },
  { name: 'ACCESS_TOKEN_TTL_S', default: '900', meaning: 'lifetime of an access token' },
  { name: 'REFRESH_TOKEN_TTL_S', default: '2592000', meaning: 'lifetime of a refresh token (each use rotates it)' },
  { name: 'AGENT_THRESHOLDS', default: '{}', meaning: 'JSON overrides of agent thresholds, e.g. {"traffic":{"waitMinutesHigh":8}}' },
  { name: 'CORS_ORIGINS', default: '(none)', meaning: 'comma-separated origins allowed to call the API from a browser' },
];

const url = (schemes: string[]) => Joi.string().uri({ scheme: schemes });

const schema = Joi.object({
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  HOST: Joi.string().hostname().default('127.0.0.1'),
  DATA_DIR: Joi.string().min(1).default('./data'),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  SIMULATE: Joi.string().valid('0', '1').default('0'),
  SIMULATE_STATIONS: Joi.number().integer().min(1).max(1000).default(12),
  SIMULATE_SCENARIO: Joi.string().valid('normal', 'rush_hour', 'heatwave', 'stockout', 'price_spike').default('normal'),
  SIMULATE_RATE: Joi.number().min(0).max(100000).default(50),
  SEED_DEMO: Joi.string().valid('0', '1').default('1'),
  MONGODB_URI: url(['mongodb', 'mongodb+srv']).allow('').default(''),
  EMBEDDED_DB_PERSIST_MS: Joi.number().integer().min(100).default(5000),
  REDIS_URL: url(['redis', 'rediss']).allow('').default(''),
  DEDUPE_TTL_S: Joi.number().integer().min(60).default(86400),
  DEDUPE_RELOAD_LIMIT: Joi.number().integer().min(0).default(100000),
  SIGNAL_FLUSH_MS: Joi.number().integer().min(0).max(60000).default(0),
  SIGNAL_FLUSH_MAX: Joi.number().integer().min(1).max(100000).default(500),
  STATE_FLUSH_MS: Joi.number().integer().min(10).max(600000).default(1000),
  CHAIN_RPC_URL: Joi.alternatives().try(Joi.string().valid('off', ''), url(['http', 'https'])).default('').messages({ 'alternatives.match': 'must be an http(s) URL or "off"' }),
  CHAIN_PUBLIC_RPC_URL: url(['http', 'https']).allow('').default(''),
  ANCHOR_BATCH_MS: Joi.number().integer().min(10).max(600000).default(1000),
  ANCHOR_BACKLOG_ALERT: Joi.number().integer().min(1).max(100000000).default(20000),
  ANCHOR_BATCH_MAX: Joi.number().integer().min(1).max(10000).default(2000),
  AUDIT_CONTRACT_ADDRESS: Joi.string().pattern(/^0x[0-9a-fA-F]{40}$/).allow('').default(''),
  ANCHOR_PRIVATE_KEY: Joi.string().pattern(/^0x[0-9a-fA-F]{64}$/).allow('').default(''),
  GROQ_API_KEY: Joi.string().allow('').default(''),
  GROQ_MODEL: Joi.string().min(1).default('llama-3.1-8b-instant'),
  GROQ_BASE_URL: url(['http', 'https']).allow('').default(''),
  GROQ_TIMEOUT_MS: Joi.number().integer().min(100).max(120000).default(8000),
  GROQ_MAX_RETRIES: Joi.number().integer().min(0).max(5).default(1),
  LLM_CONCURRENCY: Joi.number().integer().min(1).max(64).default(2),
  LLM_QUEUE_MAX: Joi.number().integer().min(1).max(10000).default(20),
  LLM_RPM: Joi.number().integer().min(1).max(100000).default(30),
  LLM_BREAKER_FAILURES: Joi.number().integer().min(1).max(1000).default(5),
  LLM_BREAKER_RESET_MS: Joi.number().integer().min(100).max(3600000).default(30000),
  ADMIN_EMAIL: Joi.string().email({ tlds: false }).allow('').default(''),
  ADMIN_PASSWORD: Joi.string().min(12).max(256).allow('').default(''),
  JWT_SECRET: Joi.string().min(32).allow('').default(''),
  VAPID_PUBLIC_KEY: Joi.string().pattern(/^[A-Za-z0-9_-]+$/).allow('').default(''),
  VAPID_PRIVATE_KEY: Joi.string().pattern(/^[A-Za-z0-9_-]+$/).allow('').default(''),
  VAPID_SUBJECT: Joi.string().pattern(/^(mailto:|https:\/\/)\S+$/).default('mailto:ops@localhost.localdomain'),
  RATE_LOGIN_PER_ACCOUNT: Joi.number().integer().min(1).max(100000).default(10),
  RATE_LOGIN_PER_IP: Joi.number().integer().min(1).max(1000000).default(50),
  RATE_CHAT_PER_MIN: Joi.number().integer().min(1).max(100000).default(20),
  RATE_SIGNALS_PER_S: Joi.number().integer().min(1).max(1000000).default(2000),
  ACCESS_TOKEN_TTL_S: Joi.number().integer().min(30).max(86400).default(900),
  REFRESH_TOKEN_TTL_S: Joi.number().integer().min(300).max(31536000).default(2592000),
  AGENT_THRESHOLDS: Joi.string().allow('').default('{}'),
  CORS_ORIGINS: Joi.string().allow('').default(''),
})
  // Other variables (PATH, HOME, ...) belong to the process, not to us.
  .unknown(true);

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const own = Object.fromEntries(Object.entries(env).filter(([k]) => ENV_DOCS.some((d) => d.name === k)));
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
  if (chainMode === 'rpc' && !value.ANCHOR_PRIVATE_KEY) throw new ConfigError('invalid configuration:\n  ANCHOR_PRIVATE_KEY: is required when CHAIN_RPC_URL is set');
  if (!value.VAPID_PUBLIC_KEY !== !value.VAPID_PRIVATE_KEY) {
    throw new ConfigError(`invalid configuration:\n  ${value.VAPID_PUBLIC_KEY ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY'}: set both VAPID keys or neither`);
  }
  if (chainMode === 'embedded' && value.AUDIT_CONTRACT_ADDRESS) {
    throw new ConfigError('invalid configuration:\n  AUDIT_CONTRACT_ADDRESS: needs CHAIN_RPC_URL (the embedded chain deploys its own contract)');
  }
  return {
    port: value.PORT,
    host: value.HOST,
    dataDir: value.DATA_DIR,
    logLevel: value.LOG_LEVEL,
    simulate: value.SIMULATE === '1',
    simulateStations: value.SIMULATE_STATIONS,
    simulateScenario: value.SIMULATE_SCENARIO,
    simulateRate: value.SIMULATE_RATE,
    seedDemo: value.SEED_DEMO === '1',
    mongodbUri: orNull(value.MONGODB_URI),
    embeddedDbPersistMs: value.EMBEDDED_DB_PERSIST_MS,
    redisUrl: orNull(value.REDIS_URL),
    dedupeTtlS: value.DEDUPE_TTL_S,
    dedupeReloadLimit: value.DEDUPE_RELOAD_LIMIT,
    signalFlushMs: value.SIGNAL_FLUSH_MS,
    signalFlushMax: value.SIGNAL_FLUSH_MAX,
    stateFlushMs: value.STATE_FLUSH_MS,
    chainMode,
    chainRpcUrl: chainMode === 'rpc' ? value.CHAIN_RPC_URL : null,
    chainPublicRpcUrl: orNull(value.CHAIN_PUBLIC_RPC_URL),
    anchorBatchMs: value.ANCHOR_BATCH_MS,
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
    rateLoginPerAccount: value.RATE_LOGIN_PER_ACCOUNT,
    rateLoginPerIp: value.RATE_LOGIN_PER_IP,
    rateChatPerMin: value.RATE_CHAT_PER_MIN,
    rateSignalsPerS: value.RATE_SIGNALS_PER_S,
    refreshTokenTtlS: value.REFRESH_TOKEN_TTL_S,
    adminEmail: orNull(value.ADMIN_EMAIL),
    adminPassword: orNull(value.ADMIN_PASSWORD),
    agentThresholds: thresholds as Record<string, unknown>,
    corsOrigins: value.CORS_ORIGINS ? String(value.CORS_ORIGINS).split(',').map((s: string) => s.trim()).filter(Boolean) : [],
  };
}
