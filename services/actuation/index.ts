// The actuation subsystem's public surface: other code imports it only through this file.
export { ActuationService } from './service.js';
export type { ActuationDeps } from './service.js';
export { activeById, commandsBetween, startedSince } from './commands.js';
export { firstServing } from './firstServing.js';
