// What really happened in a run, known only to the simulator: the yardstick
// evaluate-predictors measures the predictors against.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ScenarioName } from './scenarios.js';

export interface ChargerFailure {
  stationId: string;
  chargerId: string;
  ts: string;
  /** overheat: tripped on temperature; wear: intermittent faults ending in a hard fault. */
  cause: 'overheat' | 'wear';
  errorCode: string;
}

export interface TransientFault {
  stationId: string;
  chargerId: string;
  ts: string;
  errorCode: string;
  clearedTs: string;
}

export interface Stockout {
  stationId: string;
  /** When the charged count hit 0. */
  ts: string;
  /** When a charged pack was next available, or null if the run ended first. */
  recoveredTs: string | null;
  /**
   * When the stock was back to a few packs, or null if the run ended first: until then an empty shelf
   * again is the same shortage, not a new stockout.
   */
  rearmedTs: string | null;
}

/** How a driver's visit ended: swapped, gave up in line, did not join a hopeless line, or still waiting at the end. */
export type DriverOutcome = 'served' | 'reneged' | 'turned_away' | 'waiting';

export interface VehicleWait {
  stationId: string;
  vehicleId: string;
  arrivalTs: string;
  /**
   * Minutes from arrival to the start of the swap, or to giving up, or to the end of the run (censored:
   * at least this long). A driver an offer sent elsewhere counts from their first arrival.
   */
  waitMin: number;
  /** false when the driver gave up waiting (no pack, or too long), was turned away, or still waited at the end. */
  served: boolean;
  outcome: DriverOutcome;
  /** The station whose offer sent the driver here. */
  redirectedFrom?: string;
}

/** A charger cools worse than this factor of a healthy one (dusty filters, failing fans): a latent defect. */
export const POOR_COOLING_FACTOR = 1.3;

/** Each charger's hidden condition: what a maintenance alarm should find before anything fails. */
export interface ChargerTruth {
  stationId: string;
  chargerId: string;
  /** How much hotter than a healthy charger it runs at the same load (about 1 when healthy). */
  coolingFactor: number;
  /** coolingFactor >= POOR_COOLING_FACTOR. */
  poorCooling: boolean;
}

/** Per station: energy drawn and its cost, and quarter-hour demand intervals against the grid limit. */
export interface EnergyTruth {
  kWh: number;
  cost: number;
  intervals: number;
  intervalsOverLimit: number;
}

export interface GroundTruth {
  seed: number;
  scenario: ScenarioName;
  start: string;
  durationMin: number;
  stationIds: string[];
  /** Every charger and its latent condition. */
  chargers: ChargerTruth[];
  failures: ChargerFailure[];
  transientFaults: TransientFault[];
  stockouts: Stockout[];
  /** Every driver: served, reneged, turned away, or still waiting when the run ended (censored). */
  waits: VehicleWait[];
  energy: Record<string, EnergyTruth>;
  counts: { signals: number; arrivals: number; swaps: number; redirected: number; rebalancedPacks: number; resetsCleared: number };
}

export function emptyTruth(meta: Pick<GroundTruth, 'seed' | 'scenario' | 'start' | 'durationMin' | 'stationIds'>): GroundTruth {
  return { ...meta, chargers: [], failures: [], transientFaults: [], stockouts: [], waits: [], energy: {}, counts: emptyCounts() };
}

function emptyCounts(): GroundTruth['counts'] {
  return { signals: 0, arrivals: 0, swaps: 0, redirected: 0, rebalancedPacks: 0, resetsCleared: 0 };
}

/** Clears a truth object in place so references held by callers see the fresh run. */
export function resetTruth(truth: GroundTruth): void {
  truth.chargers.length = 0;
  truth.failures.length = 0;
  truth.transientFaults.length = 0;
  truth.stockouts.length = 0;
  truth.waits.length = 0;
  truth.energy = {};
  truth.counts = emptyCounts();
}

export async function writeTruth(path: string, truth: GroundTruth): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(truth, null, 2)}\n`, 'utf8');
}
