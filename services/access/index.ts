// The access subsystem's public surface: other code imports it only through this file.
export { DEVICE_KEY_DEFAULTS, DeviceKeyService, KEY_ID_PATTERN } from './deviceKeys.js';
export { OTP_DEFAULTS, OtpService, inAppOtpDelivery } from './oneTimeCodes.js';
export { createLimiters } from './rateLimits.js';
export type { Limiter, RateLimitConfig } from './rateLimits.js';
export { loadOrCreateSecret } from './secrets.js';
export { ingestAs, resolveIngestActor } from './signalSenders.js';
export type { IngestActor } from './signalSenders.js';
export { TokenService } from './tokens.js';
export { PASSWORD_RULE, ROLES, UserService, emailKey } from './users.js';
export type { PublicUser } from './users.js';
