// What the composition root (server.ts) takes and hands back: its dependencies, the services it
// built, and the running app. Types only.
import type { Server as HttpServer } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Express } from 'express';
import type { Server as IoServer } from 'socket.io';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import type { EventBus } from './eventBus/index.js';
import type { Actuator } from './eventBus/types.js';
import type { Models } from './models/index.js';
import type { Cache, HealthService, Metrics } from './services/platform/index.js';
import type {
  AgentRegistry,
  ApprovalService,
  DecisionQuery,
  IngestionService,
  SignalStore,
  StationStore,
} from './services/pipeline/index.js';
import type { AdminAuditService, AnchoringService, AuditQuery, ChainTarget } from './services/audit/index.js';
import type {
  ChargePointService,
  DeviceKeyService,
  Limiter,
  OtpService,
  RateLimitConfig,
  TokenService,
  UserService,
} from './services/access/index.js';
import type { ChatService, LlmClient } from './services/llm/index.js';
import type { NotificationService, PushService } from './services/notify/index.js';
import type { AdminWorkflows } from './services/admin/index.js';
import type { ActuationService } from './services/actuation/index.js';
import type { CentralSystem, OcppActuator } from './ocpp/index.js';
import type { AnchoringLease, StreamLog } from './services/cluster/index.js';

export interface AppDeps {
  config: Config;
  conn: Connection;
  cache: Cache;
  logger: Logger;
  /** Extra health parts (e.g. the embedded database) reported beside db and cache. */
  embedded?: { db: boolean };
  /**
   * Where decisions are anchored. Undefined: CHAIN_RPC_URL from config, or nowhere (batches queue
   * in the database). A promise lets the app serve while the chain is still starting.
   */
  chain?: ChainTarget | Promise<ChainTarget> | null;
  /** The bus to wire everything on (a test may listen before the app starts its background work). */
  bus?: EventBus;
  /** The LLM; default: Groq from config (GROQ_API_KEY), or none. */
  llm?: LlmClient;
  /** Where generated secrets (the JWT key) are kept; null keeps them in memory (tests). */
  secretsDir?: string | null;
  /** The TLS agent web push sends with (a test's receiver has a self-signed certificate). */
  pushAgent?: HttpsAgent;
  /** Who carries out the plans (the demo's simulator); none: decisions are recorded, not carried out. */
  actuator?: Actuator | null;
  /** Where raw signals are kept; default: the SignalLog collection of `conn` (the app closes it). */
  signals?: SignalStore;
  /** The most recent signal ids of `signals`, read ahead (main reads them while the database starts). */
  recentIds?: Promise<{ stationId: string; signalId: string }[]>;
  /** The built console served at `/`; default dist/console (routes/console.ts). */
  consoleDir?: string;
}

/** What the composition root built: for main() and tests to drive, never handed to a router or service whole. */
export interface AppServices {
  ingestion: IngestionService;
  /** The stream signal log (SIGNAL_LOG=stream), else null. */
  streamLog: StreamLog | null;
  /** The anchoring lease (with Redis): which instance numbers leaves and anchors. */
  anchoringLease: AnchoringLease | null;
  stations: StationStore;
  decisions: DecisionQuery;
  anchoring: AnchoringService;
  approvals: ApprovalService;
  /** Always there: stations with OCPP charge points are carried out over OCPP, the others by the configured actuator or recorded only. */
  actuation: ActuationService;
  /** OCPP charge points registered to stations. */
  chargePoints: ChargePointService;
  /** The OCPP central system at /ocpp/<identity>. */
  ocpp: CentralSystem;
  ocppActuator: OcppActuator;
  audit: AuditQuery;
  chat: ChatService;
  users: UserService;
  tokens: TokenService;
  limits: Record<keyof RateLimitConfig, Limiter>;
  deviceKeys: DeviceKeyService;
  otp: OtpService;
  adminAudit: AdminAuditService;
  admin: AdminWorkflows;
  push: PushService;
  notifications: NotificationService;
  agents: AgentRegistry;
  health: HealthService;
  metrics: Metrics;
}

export interface App {
  app: Express;
  http: HttpServer;
  io: IoServer;
  bus: EventBus;
  services: AppServices;
  models: Models;
  /** Listen on config.host:config.port; resolves with the URL. */
  listen(): Promise<string>;
  /** Stop taking work, flush every buffer, close sockets. The connection and cache stay open (the caller owns them). */
  close(): Promise<void>;
}
