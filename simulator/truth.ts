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
}

export interface VehicleWait {
  stationId: string;
  vehicleId: string;
  arrivalTs: string;
  /** Minutes from arrival to the start of the swap (or to giving up). */
  waitMin: number;
  /** false when the driver gave up waiting (no pack, or too long). */
  served: boolean;
}

export interface GroundTruth {
  seed: number;
  scenario: ScenarioName;
  start: string;
  durationMin: number;
  stationIds: string[];
  failures: ChargerFailure[];
  transientFaults: TransientFault[];
  stockouts: Stockout[];
  /** Waits of vehicles whose wait ended within the run; still-queued vehicles are left out. */
  waits: VehicleWait[];
  counts: { signals: number; arrivals: number; swaps: number };
}

export function emptyTruth(meta: Pick<GroundTruth, 'seed' | 'scenario' | 'start' | 'durationMin' | 'stationIds'>): GroundTruth {
  return { ...meta, failures: [], transientFaults: [], stockouts: [], waits: [], counts: { signals: 0, arrivals: 0, swaps: 0 } };
}

/** Clears a truth object in place so references held by callers see the fresh run. */
export function resetTruth(truth: GroundTruth): void {
  truth.failures.length = 0;
  truth.transientFaults.length = 0;
  truth.stockouts.length = 0;
  truth.waits.length = 0;
  truth.counts = { signals: 0, arrivals: 0, swaps: 0 };
}

export async function writeTruth(path: string, truth: GroundTruth): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(truth, null, 2)}\n`, 'utf8');
}
