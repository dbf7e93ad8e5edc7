// npm run bench:decide: what deciding costs per signal, without a server. Runs the simulator's
// scenarios through the offline pipeline (the same fold, agents, supervisor and plan the server runs)
// as a closed loop, times each signal's fold-and-decide, and prints a digest of every decision made:
// a change that only makes deciding faster must leave every digest as it was. Nothing is asserted.
import { performance } from 'node:perf_hooks';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../agents/thresholds.js';
import { canonicalHash, sha256Hex } from '../services/audit/canonical.js';
import { OfflinePipeline, policyVersionOf } from '../services/pipeline/index.js';
import { createSimulation, isScenarioName, type ScenarioName } from '../simulator/index.js';
import { UsageError, numberFlag, parseFlags, runMain } from './cli.js';

const USAGE = `usage: npm run bench:decide -- [options]
  --scenarios <list>   simulator scenarios (default normal,rush_hour,heatwave,stockout,price_spike)
  --stations <n>       stations in the simulated city (default 12)
  --minutes <n>        simulated minutes per scenario (default 240)
  --seed <n>           the world's seed (default 1)
  --repeat <n>         runs per scenario; the fastest is reported (default 3)
  --help`;

interface Options {
  scenarios: ScenarioName[];
  stations: number;
  minutes: number;
  seed: number;
  repeat: number;
}

function parseOptions(argv: string[]): Options | null {
  const v = parseFlags(argv, {
    scenarios: { type: 'string' },
    stations: { type: 'string' },
    minutes: { type: 'string' },
    seed: { type: 'string' },
    repeat: { type: 'string' },
    help: { type: 'boolean' },
  });
  if (v.help) return null;
  const scenarios = (v.scenarios ?? 'normal,rush_hour,heatwave,stockout,price_spike').split(',').map((s) => {
    const name = s.trim();
    if (!isScenarioName(name)) throw new UsageError(`--scenarios: unknown scenario "${name}"`);
    return name;
  });
  return {
    scenarios,
    stations: v.stations === undefined ? 12 : numberFlag('stations', v.stations, 1, 500, true),
    minutes: v.minutes === undefined ? 240 : numberFlag('minutes', v.minutes, 1, 7 * 24 * 60, false),
    seed: v.seed === undefined ? 1 : numberFlag('seed', v.seed, 0, 2 ** 32 - 1, true),
    repeat: v.repeat === undefined ? 3 : numberFlag('repeat', v.repeat, 1, 100, true),
  };
}

interface Run {
  signals: number;
  decisions: number;
  decideMs: number;
  digest: string;
}

function runOnce(scenario: ScenarioName, o: Options): Run {
  const thresholds = DEFAULT_THRESHOLDS;
  const policy = DEFAULT_POLICY;
  const sim = createSimulation({ stations: o.stations, scenario, seed: o.seed, durationMin: o.minutes });
  const pipeline = new OfflinePipeline(
    sim.stations,
    { thresholds, policy, policyVersion: policyVersionOf(thresholds, policy), disabled: [] },
    { nearbyKm: Math.max(thresholds.traffic.nearbyKm, thresholds.logistics.nearbyKm), maxNearby: 10 },
  );
  const hashes: string[] = [];
  let signals = 0;
  let decideMs = 0;
  for (const signal of sim.signals()) {
    const t0 = performance.now();
    const d = pipeline.ingest(signal);
    decideMs += performance.now() - t0;
    signals += 1;
    if (!d) continue;
    hashes.push(canonicalHash(d));
    sim.act(d.stationId, pipeline.states.get(d.stationId)!.plan, d.changes.started);
  }
  return { signals, decisions: hashes.length, decideMs, digest: sha256Hex(hashes.join('\n')) };
}

async function main(o: Options): Promise<void> {
  console.log(`| scenario | signals | decisions | us per signal (best of ${o.repeat}) | decisions digest |`);
  console.log('|---|---:|---:|---:|---|');
  let totalMs = 0;
  let totalSignals = 0;
  for (const scenario of o.scenarios) {
    const runs = Array.from({ length: o.repeat }, () => runOnce(scenario, o));
    if (new Set(runs.map((r) => r.digest)).size !== 1) throw new Error(`${scenario}: the same run gave different decisions`);
    const best = runs.reduce((a, b) => (b.decideMs < a.decideMs ? b : a));
    totalMs += best.decideMs;
    totalSignals += best.signals;
    console.log(
      `| ${scenario} | ${best.signals} | ${best.decisions} | ${((best.decideMs * 1000) / best.signals).toFixed(1)} | ${best.digest.slice(0, 16)} |`,
    );
  }
  console.log(`| all | ${totalSignals} | | ${((totalMs * 1000) / totalSignals).toFixed(1)} | |`);
}

runMain('bench:decide', USAGE, parseOptions, main, async () => undefined);
