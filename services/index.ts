// The services the edges (routes, socket) call; built in server.ts.
import type { EventBus } from '../eventBus/index.js';
import type { AgentRegistry } from './pipeline/index.js';
import type { ApprovalService } from './pipeline/index.js';
import type { ChatService } from './llm/index.js';
import type { TokenService } from './access/index.js';
import type { UserService } from './access/index.js';
import type { Limiter, RateLimitConfig } from './access/index.js';
import type { DeviceKeyService } from './access/index.js';
import type { OtpService } from './access/index.js';
import type { AdminAuditService } from './audit/index.js';
import type { PushService } from './notify/index.js';
import type { NotificationService } from './notify/index.js';
import type { Models } from '../models/index.js';
import type { AnchoringService } from './audit/index.js';
import type { AuditQuery } from './audit/index.js';
import type { DecisionQuery } from './pipeline/index.js';
import type { HealthService } from './platform/index.js';
import type { IngestionService } from './pipeline/index.js';
import type { Metrics } from './platform/index.js';
import type { StationStore } from './pipeline/index.js';

export interface Services {
  bus: EventBus;
  ingestion: IngestionService;
  stations: StationStore;
  decisions: DecisionQuery;
  anchoring: AnchoringService;
  approvals: ApprovalService;
  audit: AuditQuery;
  chat: ChatService;
  users: UserService;
  tokens: TokenService;
  limits: Record<keyof RateLimitConfig, Limiter>;
  deviceKeys: DeviceKeyService;
  otp: OtpService;
  adminAudit: AdminAuditService;
  push: PushService;
  notifications: NotificationService;
  models: Models;
  agents: AgentRegistry;
  health: HealthService;
  metrics: Metrics;
}
