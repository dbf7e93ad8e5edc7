// The notify subsystem's public surface: other code imports it only through this file.
export { PushService, endpointSchema, subscriptionSchema } from './push.js';
export { NotificationService, prefsSchema } from './service.js';
export type { InAppDelivery, NotificationView, PushPayload } from './service.js';
