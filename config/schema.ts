// The environment variables the copilot reads: each one's type, bounds, default and meaning. Validated
// once at start (loadConfig in index.ts); the README's configuration table is rendered from it.
import Joi from 'joi';
import { trustProxyRule } from './trustProxy.js';

const url = (schemes: string[]) => Joi.string().uri({ scheme: schemes });
/** What the README shows as the default of a variable whose schema default ('' = unset) says nothing. */
const shown = (text: string) => ({ shownDefault: text });

export const schema = Joi.object({
  PORT: Joi.number().integer().min(0).max(65535).default(3000).description('HTTP and Socket.io port (0 picks a free one)'),
  HOST: Joi.string().hostname().default('127.0.0.1').description('interface to listen on'),
  DATA_DIR: Joi.string().min(1).default('./data').description('embedded database snapshot, generated keys and secrets'),
  LOG_LEVEL: Joi.string()
    .valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent')
    .default('info')
    .description('fatal, error, warn, info, debug, trace or silent'),
  LOG_FORMAT: Joi.string()
    .valid('pretty', 'json')
    .meta(shown('pretty in a terminal, else json'))
    .description('pretty: one readable line per event (pino-pretty); json: one JSON object per line, for a log collector'),
  SIMULATE: Joi.string()
    .valid('0', '1')
    .meta(shown('1 on embedded defaults, else 0'))
    .description(
      '1 feeds the demo simulator into the running server (it also carries out the plans). Unset: on with the embedded database and the demo city (no MONGODB_URI, SEED_DEMO=1), off otherwise',
    ),
  SIMULATE_STATIONS: Joi.number().integer().min(1).max(1000).default(12).description('stations in the demo city (seeded at start)'),
  SIMULATE_SCENARIO: Joi.string()
    .valid('normal', 'rush_hour', 'heatwave', 'stockout', 'price_spike')
    .default('normal')
    .description('simulator scenario: normal, rush_hour, heatwave, stockout, price_spike'),
  SIMULATE_RATE: Joi.number().min(0).max(100000).default(50).description('simulated signals per second of wall time'),
  SEED_DEMO: Joi.string().valid('0', '1').default('1').description('1 registers the demo city of stations on start when none exist'),
  MONGODB_URI: url(['mongodb', 'mongodb+srv'])
    .allow('')
    .default('')
    .meta(shown('(embedded)'))
    .description('MongoDB connection string; unset starts the in-process wire server'),
  SIGNAL_RETENTION_H: Joi.number()
    .integer()
    .min(1)
    .max(87600)
    .default(72)
    .description(
      'raw signals are kept this many hours, then dropped (a TTL index in MongoDB, pruned from the embedded journal); decisions, explanations, approvals, outcomes, batches and admin records are kept',
    ),
  WRITE_BACKLOG_MAX: Joi.number()
    .integer()
    .min(2000)
    .max(10000000)
    .default(50000)
    .description(
      'documents allowed to wait for the database; past it ingestion answers 503 `BACKPRESSURE` (REST, with `Retry-After`) or a `BACKPRESSURE` ack and takes nothing',
    ),
  INGEST_IN_FLIGHT_MAX: Joi.number()
    .integer()
    .min(1000)
    .max(1000000)
    .default(5000)
    .description(
      "senders' signals taken and not yet answered (being checked, decided on the decision worker, or written); past it ingestion answers `BACKPRESSURE` and takes nothing. At least one batch (1,000)",
    ),
  DECIDE_WARM_UP: Joi.string()
    .valid('0', '1')
    .default('1')
    .description(
      '1 has the decision worker decide a fixed run of made-up signals on made-up stations before the first real one (about half a second of one core at start), so the first seconds of load meet compiled code; 0 skips it (tests)',
    ),
  SHED_LAG_MS: Joi.number()
    .integer()
    .min(0)
    .max(10000)
    .default(50)
    .description(
      'while the event loop runs this many ms behind (smoothed), new signals are answered `BACKPRESSURE` at once instead of queueing behind agent work; 0 never sheds',
    ),
  REDIS_URL: url(['redis', 'rediss'])
    .allow('')
    .default('')
    .meta(shown('(in-memory)'))
    .description('Redis for the cache and signal dedupe; unset uses the in-memory cache'),
  SIGNAL_LOG: Joi.string()
    .valid('direct', 'stream')
    .meta(shown('stream with REDIS_URL, else direct'))
    .description(
      "where accepted signals go before the sender's answer: `stream` appends them to Redis Streams partitions (needs `REDIS_URL`), answered once there, decided by the instance holding the partition's lease (docs/deploy.md); `direct` decides and journals them first (one instance, no Redis needed)",
    ),
  STREAM_PARTITIONS: Joi.number()
    .integer()
    .min(1)
    .max(1024)
    .default(16)
    .description(
      'partitions of the stream signal log: the unit of parallelism across instances (stations within reach of each other share one); fixed for the life of a deployment',
    ),
  STREAM_LEASE_MS: Joi.number()
    .integer()
    .min(300)
    .max(600000)
    .default(10000)
    .description(
      "how long a lease (a stream partition, or the anchoring writer's) outlives its owner: another instance takes over this long after its owner died",
    ),
  DEDUPE_TTL_S: Joi.number().integer().min(60).default(86400).description('how long a signal id is remembered for dedupe'),
  DEDUPE_MAX_IDS: Joi.number()
    .integer()
    .min(1000)
    .default(300000)
    .description(
      'signal ids the in-memory cache keeps for dedupe (about 250 bytes each; 300000 is about 75 MB); the oldest goes first, so without Redis the dedupe window is min(`DEDUPE_TTL_S`, this / signals per second): 5 minutes at 1,000 signals/s',
    ),
  DEDUPE_RELOAD_LIMIT: Joi.number()
    .integer()
    .min(0)
    .default(100000)
    .description('recent signal ids reloaded into the dedupe cache at start'),
  SIGNAL_FLUSH_MS: Joi.number()
    .integer()
    .min(0)
    .max(60000)
    .default(0)
    .description(
      'extra wait before a batched insert of signals and decisions; 0 = group commit: insert as soon as the writer is idle, batch whatever arrives meanwhile',
    ),
  SIGNAL_FLUSH_MAX: Joi.number()
    .integer()
    .min(1)
    .max(100000)
    .default(500)
    .description('most documents in one insert (bounds how long one insert blocks the event loop)'),
  STATE_FLUSH_MS: Joi.number()
    .integer()
    .min(10)
    .max(600000)
    .default(1000)
    .description('write-behind interval for folded station state (cache and MongoDB)'),
  AGENT_THRESHOLDS: Joi.string()
    .allow('')
    .default('{}')
    .description('JSON overrides of agent thresholds, e.g. `{"traffic":{"waitMinutesHigh":8}}`; unknown keys stop the start'),
  CORS_ORIGINS: Joi.string()
    .allow('')
    .default('')
    .meta(shown('(none)'))
    .description('comma-separated origins allowed to call the API and open Socket.io from a browser (none: same origin only)'),
  CHAIN_RPC_URL: Joi.alternatives()
    .try(Joi.string().valid('off', ''), url(['http', 'https']))
    .default('')
    .messages({ 'alternatives.match': 'must be an http(s) URL or "off"' })
    .meta(shown('(embedded)'))
    .description(
      'EVM JSON-RPC (http/https) for anchoring; unset starts a local Hardhat node; `off` anchors nowhere (batches wait in the database until a chain is configured)',
    ),
  CHAIN_PUBLIC_RPC_URL: url(['http', 'https'])
    .allow('')
    .default('')
    .meta(shown('(`CHAIN_RPC_URL`)'))
    .description('the JSON-RPC URL `GET /api/audit/contract` gives auditors'),
  AUDIT_CONTRACT_ADDRESS: Joi.string()
    .pattern(/^0x[0-9a-fA-F]{40}$/)
    .allow('')
    .default('')
    .meta(shown('(recorded or deployed)'))
    .description(
      'AuditLog address (needs `CHAIN_RPC_URL`); unset uses the contract recorded in the database for this chain, or deploys one from `ANCHOR_PRIVATE_KEY` (admin and anchorer)',
    ),
  ANCHOR_PRIVATE_KEY: Joi.string()
    .pattern(/^0x[0-9a-fA-F]{64}$/)
    .allow('')
    .default('')
    .meta(shown('(generated for the embedded chain)'))
    .description('0x-prefixed key of the anchoring account; required with `CHAIN_RPC_URL`'),
  ACTUATION_TIMEOUT_MS: Joi.number()
    .integer()
    .min(10)
    .max(600000)
    .default(10000)
    .description('how long the actuator may take to answer a plan change before its commands count as timeout'),
  ACTUATION_MAX_PENDING: Joi.number()
    .integer()
    .min(1)
    .max(1000000)
    .default(10000)
    .description('plan changes waiting for the actuator, all stations together; past it a change is recorded as failed'),
  OCPP_HEARTBEAT_S: Joi.number()
    .integer()
    .min(10)
    .max(86400)
    .default(300)
    .description('heartbeat interval handed to OCPP charge points at BootNotification'),
  OCPP_MESSAGES_PER_S: Joi.number()
    .integer()
    .min(1)
    .max(10000)
    .default(10)
    .description(
      'messages an OCPP charge point may send per second (bursts of twice as many); past it they are refused, and 20 refusals in a row close its connection',
    ),
  ANCHOR_BATCH_MS: Joi.number()
    .integer()
    .min(10)
    .max(600000)
    .default(60000)
    .description(
      'a Merkle batch closes this long after its first leaf (10 to 600000); the default keeps gas per anchored record low at a few decisions a minute',
    ),
  ANCHOR_BATCH_MAX: Joi.number()
    .integer()
    .min(1)
    .max(10000)
    .default(2000)
    .description('...or at this many leaves (1 to 10000; a decision and its explanation are two)'),
  ANCHOR_BACKLOG_ALERT: Joi.number()
    .integer()
    .min(1)
    .max(100000000)
    .default(20000)
    .description('notify auditors and admins when more records than this wait to be anchored'),
  GROQ_API_KEY: Joi.string()
    .allow('')
    .default('')
    .meta(shown('(none)'))
    .description('enables LLM explanations and the LLM chat; unset keeps template explanations and the deterministic chat fallback'),
  GROQ_MODEL: Joi.string().min(1).default('llama-3.1-8b-instant').description('Groq model name'),
  GROQ_BASE_URL: url(['http', 'https'])
    .allow('')
    .default('')
    .meta(shown('(Groq)'))
    .description('override the Groq API base URL (tests and `npm run bench:llm` use a local OpenAI-compatible stub)'),
  GROQ_TIMEOUT_MS: Joi.number()
    .integer()
    .min(100)
    .max(120000)
    .default(8000)
    .description(
      'how long one Groq request may take (100 to 120000), and how long a chat request may wait in the LLM queue, before it fails as `timeout`',
    ),
  GROQ_MAX_RETRIES: Joi.number()
    .integer()
    .min(0)
    .max(5)
    .default(1)
    .description(
      'retries groq-sdk makes on a timeout, 429 or 5xx (0 to 5); each try gets `GROQ_TIMEOUT_MS`, the whole call (Retry-After waits included) at most (retries + 1) times that; a stream, once open, runs on while its chunks come within `GROQ_TIMEOUT_MS` of each other',
    ),
  LLM_CONCURRENCY: Joi.number().integer().min(1).max(64).default(2).description('LLM requests in flight at once'),
  LLM_QUEUE_MAX: Joi.number()
    .integer()
    .min(1)
    .max(10000)
    .default(20)
    .description(
      'LLM requests that may wait; past it new explanations are refused at once (template fallback) while chat, which goes first, may fill as many places again',
    ),
  LLM_RPM: Joi.number()
    .integer()
    .min(1)
    .max(100000)
    .default(30)
    .description('most LLM requests started in any 60 s window (Groq free tier allows ~30/min)'),
  LLM_BREAKER_FAILURES: Joi.number()
    .integer()
    .min(1)
    .max(1000)
    .default(5)
    .description('consecutive LLM failures (timeouts, 429, 5xx, connection errors; not other 4xx) that open the circuit breaker'),
  LLM_BREAKER_RESET_MS: Joi.number()
    .integer()
    .min(100)
    .max(3600000)
    .default(30000)
    .description('how long the open breaker refuses LLM calls without a request before one probe may try; its success closes the breaker'),
  ADMIN_EMAIL: Joi.string()
    .email({ tlds: false })
    .allow('')
    .default('')
    .meta(shown('admin@localhost.localdomain'))
    .description('email of the first admin, created on a fresh database'),
  ADMIN_PASSWORD: Joi.string()
    .min(12)
    .max(256)
    .allow('')
    .default('')
    .meta(shown('(generated, printed once)'))
    .description('password of the first admin (12 to 256 characters)'),
  JWT_SECRET: Joi.string()
    .min(32)
    .allow('')
    .default('')
    .meta(shown('(generated into `DATA_DIR/jwt-secret`)'))
    .description('HS256 key for access tokens, at least 32 characters'),
  ACCESS_TOKEN_TTL_S: Joi.number().integer().min(30).max(86400).default(900).description('lifetime of an access token'),
  REFRESH_TOKEN_TTL_S: Joi.number()
    .integer()
    .min(300)
    .max(31536000)
    .default(2592000)
    .description('lifetime of a refresh token (each use rotates it; reuse revokes the session)'),
  VAPID_PUBLIC_KEY: Joi.string()
    .pattern(/^[A-Za-z0-9_-]+$/)
    .allow('')
    .default('')
    .meta(shown('(generated into `DATA_DIR/vapid.json`)'))
    .description('web-push VAPID public key (base64url); set both VAPID keys or neither'),
  VAPID_PRIVATE_KEY: Joi.string()
    .pattern(/^[A-Za-z0-9_-]+$/)
    .allow('')
    .default('')
    .meta(shown('(generated into `DATA_DIR/vapid.json`)'))
    .description('web-push VAPID private key (base64url); set both VAPID keys or neither'),
  VAPID_SUBJECT: Joi.string()
    .pattern(/^(mailto:|https:\/\/)\S+$/)
    .default('mailto:ops@localhost.localdomain')
    .description('contact the push services see (mailto: or https:)'),
  PUSH_ALLOW_PRIVATE_ENDPOINTS: Joi.string()
    .valid('0', '1')
    .default('0')
    .description('1 lets push endpoints be on loopback or private addresses (tests with a local receiver); 0 refuses them (SSRF)'),
  TLS_CERT_FILE: Joi.string()
    .max(4096)
    .allow('')
    .default('')
    .meta(shown('(unset: plain HTTP)'))
    .description(
      'PEM certificate (chain) file: with `TLS_KEY_FILE` the copilot serves HTTPS, Socket.io and OCPP over TLS (OCPP security profile 2); empty serves plain HTTP',
    ),
  TLS_KEY_FILE: Joi.string().max(4096).allow('').default('').meta(shown('(unset)')).description('PEM private key file for `TLS_CERT_FILE`'),
  TRUST_PROXY: Joi.string()
    .max(1000)
    .default('0')
    .custom(trustProxyRule)
    .description(
      'proxies in front of the copilot whose X-Forwarded-For is believed: 0 (none, the default), a hop count, or addresses/subnets and loopback, linklocal, uniquelocal, comma-separated',
    ),
  RATE_LOGIN_PER_ACCOUNT: Joi.number()
    .integer()
    .min(1)
    .max(100000)
    .default(10)
    .description(
      'sign-in and one-time-code attempts per account and client address per 15 minutes (then 429 with Retry-After); account-wide, attempts past 5 times this are slowed, never refused',
    ),
  RATE_LOGIN_PER_IP: Joi.number()
    .integer()
    .min(1)
    .max(1000000)
    .default(50)
    .description('sign-in attempts per client address per 15 minutes'),
  RATE_CHAT_PER_MIN: Joi.number().integer().min(1).max(100000).default(20).description('chat questions per user per minute (LLM spend)'),
  RATE_SIGNALS_PER_S: Joi.number().integer().min(1).max(1000000).default(2000).description('signals per device key per second'),
})
  // Other variables (PATH, HOME, ...) belong to the process, not to us.
  .unknown(true);
