// Fold-and-decide over a seeded stream, timed and hashed: the core of npm run bench:decide.
import { performance } from 'node:perf_hooks';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import type { Signal } from '../../eventBus/types.js';
import { canonicalHash, sha256Hex } from '../../services/audit/canonical.js';
import { OfflinePipeline, nearbyReach, policyVersionOf } from '../../services/pipeline/index.js';
import { checkSignal } from '../../services/pipeline/signalSchemas.js';
import { createSimulation, type ScenarioName } from '../../simulator/index.js';
import { Rng } from '../../simulator/rng.js';
import { SignalGenerator, type BenchStation } from './signals.js';

export type Case = ScenarioName | 'bench';

export interface DecideOptions {
  stations: number;
  minutes: number;
  seed: number;
}

export interface Run {
  signals: number;
  decisions: number;
  decideMs: number;
  digest: string;
}

function pipelineFor(stations: ConstructorParameters<typeof OfflinePipeline>[0]): OfflinePipeline {
  const thresholds = DEFAULT_THRESHOLDS;
  const policy = DEFAULT_POLICY;
  return new OfflinePipeline(
    stations,
    { thresholds, policy, policyVersion: policyVersionOf(thresholds, policy), disabled: [] },
    nearbyReach(thresholds),
  );
}

/** One run: every signal folded and decided, timed, and what it decided hashed. */
export function runOnce(scenario: Case, o: DecideOptions): Run {
  const sim = createSimulation({
    stations: o.stations,
    scenario: scenario === 'bench' ? 'normal' : scenario,
    seed: o.seed,
    durationMin: o.minutes,
  });
  const pipeline = pipelineFor(sim.stations);
  const hashes: string[] = [];
  let signals = 0;
  let decideMs = 0;
  for (const signal of scenario === 'bench' ? benchSignals(sim.stations, o) : sim.signals()) {
    const t0 = performance.now();
    const d = pipeline.ingest(signal);
    decideMs += performance.now() - t0;
    signals += 1;
    if (!d) continue;
    hashes.push(canonicalHash(d));
    if (scenario !== 'bench') sim.act(d.stationId, pipeline.states.get(d.stationId)!.plan, d.changes.started);
  }
  return { signals, decisions: hashes.length, decideMs, digest: sha256Hex(hashes.join('\n')) };
}

/** npm run bench's load generator, seeded: the same signals (ids `b-<n>`) for the same seed. */
export function seededGenerator(stations: readonly BenchStation[], seed: number, hotShare = 0.1): SignalGenerator {
  const rng = new Rng(seed);
  return new SignalGenerator(
    stations,
    hotShare,
    () => rng.next(),
    Date.parse('2026-01-05T08:00:00Z'),
    (n) => `b-${n}`,
  );
}

/** npm run bench's mix, seeded: as many signals as the simulator sends in the same minutes. */
function* benchSignals(stations: ConstructorParameters<typeof OfflinePipeline>[0], o: DecideOptions): Generator<Signal> {
  const gen = seededGenerator(stations, o.seed);
  const count = Math.round(o.minutes * 15 * stations.length);
  for (let n = 0; n < count; n++) {
    const check = checkSignal(gen.make());
    if (!check.ok) throw new Error(`the generator made a signal the copilot refuses: ${check.error.message}`);
    yield check.signal;
  }
}
