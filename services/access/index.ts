// The access subsystem's public surface: other code imports it only through this file.
export { CHARGE_POINT_IDENTITY, ChargePointService, MAX_CONNECTORS } from './chargePoints.js';
export type { AuthenticatedChargePoint, BootInfo, ChargePointInfo } from './chargePoints.js';
export { DEVICE_KEY_DEFAULTS, DeviceKeyService, KEY_ID_PATTERN } from './deviceKeys.js';
export { OTP_DEFAULTS, OtpService, inAppOtpDelivery, otpSealer } from './oneTimeCodes.js';
export { createLimiters, slowdownMs } from './rateLimits.js';
export type { Limiter, RateLimitConfig } from './rateLimits.js';
export { loadOrCreateSecret } from './secrets.js';
export { Revocations } from './revocations.js';
export type { RevocationEvents } from './revocations.js';
export { SignalGate } from './signalSenders.js';
export type { IngestActor, SignalGateDeps } from './signalSenders.js';
export { ACCESS_TYP, TokenService } from './tokens.js';
export type { SessionSubject } from './tokens.js';
export { PASSWORD_RULE, ROLES, UserService, emailKey } from './users.js';
export type { PublicUser } from './users.js';
export { inScope, passwordChangePending, sessionEnded, sessionFromToken, userFromToken } from './identity.js';
export type { Identity, TokenUser } from './identity.js';
export type { Role } from '../../models/index.js';
