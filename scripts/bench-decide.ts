// npm run bench:decide: what deciding costs per signal, without a server. Runs the simulator's
// scenarios through the offline pipeline (the same fold, agents, supervisor and plan the server runs)
// as a closed loop, and the load generator's mix of `npm run bench` (seeded: readings that keep
// crossing the agents' thresholds), times each signal's fold-and-decide, and prints a digest of every
// decision made: a change that only makes deciding faster must leave every digest as it was.
// Nothing is asserted.
import { isScenarioName } from '../simulator/index.js';
import { runOnce, type Case, type DecideOptions } from './bench/decide.js';
import { UsageError, numberFlag, parseFlags, runMain } from './cli.js';

const USAGE = `usage: npm run bench:decide -- [options]
  --scenarios <list>   simulator scenarios, and "bench" for npm run bench's signal mix
                       (default normal,rush_hour,heatwave,stockout,price_spike,bench)
  --stations <n>       stations in the simulated city (default 12)
  --minutes <n>        simulated minutes per scenario (default 240)
  --seed <n>           the world's seed (default 1)
  --repeat <n>         runs per scenario; the fastest is reported (default 3)
  --help`;

interface Options extends DecideOptions {
  scenarios: Case[];
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
  const scenarios = (v.scenarios ?? 'normal,rush_hour,heatwave,stockout,price_spike,bench').split(',').map((s): Case => {
    const name = s.trim();
    if (name !== 'bench' && !isScenarioName(name)) throw new UsageError(`--scenarios: unknown scenario "${name}"`);
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
