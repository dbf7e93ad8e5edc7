// The closed-loop part of `npm run evaluate`: every scenario under the three policies, run in child
// processes (one scenario each, as many at once as there are cores) since the copilot's runs are the
// long pole. A child runs `runPolicy` and sends its figures back; the parent only collects them.
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { ScenarioName } from '../../simulator/index.js';
import { POLICIES, runPolicy, type PolicyMetrics, type PolicyName } from './closedLoop.js';

export interface ScenarioJob {
  scenario: ScenarioName;
  seeds: number[];
  stations: number;
  durationMin: number;
}

export type PolicyFigures = Record<PolicyName, PolicyMetrics>;

export function runScenario(job: ScenarioJob): PolicyFigures {
  return Object.fromEntries(POLICIES.map((p) => [p, runPolicy(p, job)])) as PolicyFigures;
}

/** Runs the scenarios in child processes, `parallel` at a time; figures by scenario, in the order given. */
export async function runScenarios(jobs: ScenarioJob[], parallel = availableParallelism()): Promise<Record<string, PolicyFigures>> {
  const out: Record<string, PolicyFigures> = {};
  const queue = jobs.slice();
  const one = (job: ScenarioJob) =>
    new Promise<void>((resolve, reject) => {
      const child = fork(__filename, ['--child'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.once('message', (m: PolicyFigures) => {
        out[job.scenario] = m;
        child.disconnect();
      });
      child.once('exit', (code) =>
        out[job.scenario] ? resolve() : reject(new Error(`scenario ${job.scenario}: child exited with ${code}`)),
      );
      child.send(job);
    });
  const lanes = Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await one(job);
  });
  await Promise.all(lanes);
  return Object.fromEntries(jobs.map((j) => [j.scenario, out[j.scenario]!]));
}

if (require.main === module && process.argv.includes('--child')) {
  process.once('message', (job: ScenarioJob) => {
    process.send!(runScenario(job));
  });
}
