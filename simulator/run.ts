// Drives a simulation into any sink at a paced rate. The transport is
// injected, so the CLI sends over HTTP or Socket.io and server.ts (SIMULATE=1)
// feeds itself in-process through the same loop.
import type { Signal, StationRegistration } from '../eventBus/types.js';
import { SCENARIOS, isScenarioName } from './scenarios.js';
import { createSimulation, DEFAULT_START, type Simulation, type SimulationOptions } from './simulation.js';
import type { GroundTruth } from './truth.js';

export interface Rejection {
  index: number;
  error: string;
}

/** What the receiver said about one batch; a sink that returns nothing accepted everything. */
export interface SendResult {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
}

export type SendFn = (signals: Signal[]) => Promise<SendResult | void>;

export interface Progress {
  simSeconds: number;
  totalSimSeconds: number;
  sent: number;
  accepted: number;
  duplicates: number;
  rejected: number;
}

export interface RunOptions extends SimulationOptions {
  send: SendFn;
  /** Called once with every station before the first signal (e.g. POST /api/stations). */
  register?: (stations: StationRegistration[]) => Promise<void>;
  /** Signals per second of wall time; 0 sends as fast as the sink accepts. */
  rate: number;
  /** Signals per send call, at most 1000 (the REST batch limit). */
  batchSize?: number;
  onProgress?: (p: Progress) => void;
  /** Stops the run between batches; what was sent so far is reported. */
  abort?: AbortSignal;
  /** Called with the run's simulation before the first signal (the closed loop hands it decisions). */
  onSimulation?: (sim: Simulation) => void;
  /** Wall-clock hooks for pacing only (never for generated data); tests pass fakes. */
  clock?: { now(): number; sleep(ms: number): Promise<void> };
}

export interface RunSummary extends Progress {
  truth: GroundTruth;
  stations: StationRegistration[];
  /** The first few rejections, with the signal they concerned, for the operator to read. */
  sampleRejections: { signalId: string; type: string; error: string }[];
  aborted: boolean;
  wallMs: number;
}

export const MAX_BATCH = 1000;
const realClock = {
  now: () => performance.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve))),
};

/** About ten sends per second at the target rate: smooth pacing without tiny requests. */
export function defaultBatchSize(rate: number): number {
  if (rate <= 0) return MAX_BATCH;
  return Math.max(1, Math.min(MAX_BATCH, Math.ceil(rate / 10)));
}

export async function runSimulation(opts: RunOptions): Promise<RunSummary> {
  if (!(opts.rate >= 0)) throw new Error('rate must be 0 or a positive number of signals per second');
  const batchSize = opts.batchSize ?? defaultBatchSize(opts.rate);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) throw new Error(`batchSize must be 1..${MAX_BATCH}`);
  const clock = opts.clock ?? realClock;
  const sim = createSimulation(opts);
  opts.onSimulation?.(sim);
  if (opts.register) await opts.register(sim.stations);

  const totalSimSeconds = Math.round(opts.durationMin * 60);
  const startTs = Date.parse(sim.truth.start);
  const progress: Progress = { simSeconds: 0, totalSimSeconds, sent: 0, accepted: 0, duplicates: 0, rejected: 0 };
  const sampleRejections: RunSummary['sampleRejections'] = [];
  const t0 = clock.now();
  let aborted = false;

  const flush = async (batch: Signal[]): Promise<void> => {
    const result = await opts.send(batch);
    progress.sent += batch.length;
    if (result) {
      progress.accepted += result.accepted;
      progress.duplicates += result.duplicates;
      progress.rejected += result.rejected.length;
      for (const r of result.rejected) {
        if (sampleRejections.length >= 10) break;
        const s = batch[r.index];
        sampleRejections.push({ signalId: s?.id ?? '?', type: s?.type ?? '?', error: r.error });
      }
    } else {
      progress.accepted += batch.length;
    }
    const last = batch[batch.length - 1];
    if (last) progress.simSeconds = Math.min(totalSimSeconds, Math.round((Date.parse(last.ts) - startTs) / 1000));
    opts.onProgress?.({ ...progress });
    if (opts.rate > 0) {
      // Pace against the schedule, not per batch, so slow sends are caught up rather than accumulated.
      const dueMs = t0 + (progress.sent / opts.rate) * 1000;
      const wait = dueMs - clock.now();
      if (wait > 0) await clock.sleep(wait);
    } else {
      // A sink that answers in microtasks (in-process) would otherwise starve the event loop.
      await clock.sleep(0);
    }
  };

  let batch: Signal[] = [];
  for (const signal of sim.signals()) {
    if (opts.abort?.aborted) {
      aborted = true;
      break;
    }
    batch.push(signal);
    if (batch.length >= batchSize) {
      await flush(batch);
      batch = [];
    }
  }
  if (!aborted && batch.length > 0) await flush(batch);
  if (!aborted) progress.simSeconds = totalSimSeconds;
  opts.onProgress?.({ ...progress });
  return { ...progress, truth: sim.truth, stations: sim.stations, sampleRejections, aborted, wallMs: clock.now() - t0 };
}

export interface FeedOptions {
  /** Registered stations to simulate (e.g. the server's station list), or how many to place. */
  stations: StationRegistration[] | number;
  scenario: string;
  rate: number;
  send: SendFn;
  onError?: (err: unknown) => void;
  seed?: number;
  start?: string;
  /** Simulated minutes per run; the feed then continues with the next run. Default one day. */
  runMin?: number;
  /** Called with each run's simulation as it starts (the closed loop: see attachSimulatorActuator). */
  onSimulation?: (sim: Simulation) => void;
}

/**
 * Feeds a server in-process (SIMULATE=1) until stopped: one simulated day
 * after another, each with the next seed and starting where the last ended.
 * A failing send is reported and counted, never ends the feed. Returns stop(),
 * which resolves once the loop has finished its current batch.
 */
export function feedInProcess(opts: FeedOptions): () => Promise<void> {
  const report = opts.onError ?? (() => undefined);
  if (!isScenarioName(opts.scenario)) {
    report(new Error(`SIMULATE scenario must be one of ${Object.keys(SCENARIOS).join(', ')}, got "${opts.scenario}"`));
    return async () => undefined;
  }
  if (Array.isArray(opts.stations) && opts.stations.length === 0) {
    report(new Error('SIMULATE needs registered stations; none are registered'));
    return async () => undefined;
  }
  const scenario = opts.scenario;
  const abort = new AbortController();
  const runMin = opts.runMin ?? 24 * 60;
  const send: SendFn = async (signals) => {
    try {
      return await opts.send(signals);
    } catch (err) {
      report(err);
      return { accepted: 0, duplicates: 0, rejected: signals.map((_, index) => ({ index, error: String(err) })) };
    }
  };
  const loop = async () => {
    let start = Date.parse(opts.start ?? DEFAULT_START);
    for (let seed = opts.seed ?? 1; !abort.signal.aborted; seed++) {
      await runSimulation({
        stations: opts.stations,
        scenario,
        seed,
        start: new Date(start).toISOString(),
        durationMin: runMin,
        rate: opts.rate,
        send,
        abort: abort.signal,
        onSimulation: opts.onSimulation,
      });
      start += runMin * 60_000;
    }
  };
  const done = loop().catch(report);
  return async () => {
    abort.abort();
    await done;
  };
}
