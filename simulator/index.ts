// The simulator library: seeded station signals with ground truth, and the
// loop that feeds them to a server over an injected transport.
export { createSimulation, demoCity, priceAt, DEFAULT_START, type Simulation, type SimulationOptions } from './simulation.js';
export { runSimulation, feedInProcess, defaultBatchSize, MAX_BATCH } from './run.js';
export { simulatorActuator } from './actuator.js';
export type { FeedOptions, Progress, Rejection, RunOptions, RunSummary, SendFn, SendResult } from './run.js';
export { SCENARIOS, isScenarioName, type Scenario, type ScenarioName } from './scenarios.js';
export {
  writeTruth,
  POOR_COOLING_FACTOR,
  type GroundTruth,
  type ChargerFailure,
  type ChargerTruth,
  type Stockout,
  type TransientFault,
  type VehicleWait,
} from './truth.js';
export { DEFAULT_CENTRE } from './stations.js';
export { NO_CONTROLS, type StationControls } from './controls.js';
