// The closed-loop part of `npm run evaluate`: every scenario under the three policies, and the stress runs
// at pessimistic world parameters, in child processes (as many at once as there are cores) since the
// copilot's runs are the long pole. A child runs `runPolicy` and sends its figures back; the parent only
// collects them.
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { WorldParams } from '../../simulator/controls.js';
import type { ScenarioName } from '../../simulator/index.js';
import { POLICIES, runPolicyActions, type PolicyMetrics, type PolicyName } from './closedLoop.js';

export interface PolicyJob {
  scenario: ScenarioName;
  seeds: number[];
  stations: number;
  durationMin: number;
  /** The policies to run; all three unless given. */
  policies?: PolicyName[];
  /** The world's behavioural parameters where they differ from DEFAULT_WORLD. */
  world?: Partial<WorldParams>;
}

export type PolicyFigures = Record<PolicyName, PolicyMetrics>;

export interface JobResult {
  figures: Partial<PolicyFigures>;
  /** How often the copilot started each action, summed over the seeds (empty when it did not run). */
  copilotStarted: Record<string, number>;
}

/** Rough cost of a policy's run: the copilot's pipeline takes some twenty times what the world alone does. */
const COST: Record<PolicyName, number> = { none: 1, naive: 2, copilot: 20 };
const policiesOf = (job: PolicyJob): readonly PolicyName[] => job.policies ?? POLICIES;
const cost = (job: PolicyJob) => policiesOf(job).reduce((sum, p) => sum + COST[p], 0);

export function runJob(job: PolicyJob): JobResult {
  const out: JobResult = { figures: {}, copilotStarted: {} };
  for (const p of policiesOf(job)) {
    const { metrics, started } = runPolicyActions(p, job);
    out.figures[p] = metrics;
    if (p === 'copilot') out.copilotStarted = started;
  }
  return out;
}

function inChild(job: PolicyJob): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    let result: JobResult | undefined;
    const child = fork(__filename, ['--child'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m: JobResult) => {
      result = m;
      child.disconnect();
    });
    child.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`${job.scenario} (${policiesOf(job).join(', ')}): child exited with ${code}`)),
    );
    child.send(job);
  });
}

/**
 * Runs policy jobs in child processes, at most `parallel` at once. Jobs may be added while others run
 * (a stress run is decided once its scenario's default run is in); the costliest waiting job starts
 * first, so a long run does not start last on an otherwise idle machine.
 */
export class JobPool {
  private running = 0;
  private readonly waiting: { job: PolicyJob; resolve: (r: JobResult) => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly parallel = availableParallelism()) {}

  run(job: PolicyJob): Promise<JobResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    this.waiting.sort((a, b) => cost(b.job) - cost(a.job));
    while (this.running < Math.max(1, this.parallel) && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      this.running += 1;
      void inChild(next.job)
        .then(next.resolve, next.reject)
        .finally(() => {
          this.running -= 1;
          this.pump();
        });
    }
  }
}

if (require.main === module && process.argv.includes('--child')) {
  process.once('message', (job: PolicyJob) => {
    process.send!(runJob(job));
  });
}
