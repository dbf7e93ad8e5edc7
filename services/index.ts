// The services the edges (routes, socket) call; built in server.ts.
import type { EventBus } from '../eventBus/index.js';
import type { AgentRegistry } from './agentRegistry.js';
import type { ApprovalService } from './approvals.js';
import type { ChatService } from './chat/index.js';
import type { TokenService } from './auth/tokens.js';
import type { UserService } from './auth/users.js';
import type { Limiter, RateLimitConfig } from './rateLimits.js';
import type { DeviceKeyService } from './deviceKeys.js';
import type { OtpService } from './otpService.js';
import type { AdminAuditService } from './adminAudit.js';
import type { PushService } from './notifications/push.js';
import type { NotificationService } from './notifications/service.js';
import type { Models } from '../models/index.js';
import type { AnchoringService } from './anchoring/service.js';
import type { AuditQuery } from './anchoring/audit.js';
import type { DecisionQuery } from './decisionQuery.js';
import type { HealthService } from './health.js';
import type { IngestionService } from './ingestion.js';
import type { Metrics } from './metrics.js';
import type { StationStore } from './stationStore.js';

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
