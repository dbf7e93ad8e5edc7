// The OCPP edge's public surface: the central system (charge points in) and the actuator (actions out).
export { CENTRAL_SYSTEM_DEFAULTS, CentralSystem, OCPP_PATH } from './centralSystem.js';
export type { CentralSystemOptions } from './centralSystem.js';
export { OcppActuator, PROFILE_IDS, AC_PHASES, AC_VOLTS, capOf } from './actuator.js';
export { OCPP_PROTOCOLS, transactionIdFor } from './messages.js';
export type { OcppProtocol } from './messages.js';
export { createOcppEdge } from './edge.js';
export type { OcppEdge, OcppEdgeDeps } from './edge.js';
export { peersOver } from './peers.js';
export type { PeerBus, Peers } from './peers.js';
