// The admin subsystem's public surface: workflows across stations, keys, users, agents and the admin trail.
export { AdminWorkflows } from './workflows.js';
export type { AdminWorkflowDeps } from './workflows.js';
