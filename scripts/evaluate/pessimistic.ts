// The report's stress test (issue 12): each behavioural parameter of the simulated world at a pessimistic
// value, one at a time, in the scenario where it matters most and on the same held-out seeds, so that no
// margin of the copilot over `none` rests on a kind assumption; run in one pool with the scenarios' runs.
import { DEFAULT_WORLD, PESSIMISTIC_WORLD, type WorldParams } from '../../simulator/controls.js';
import type { ScenarioName } from '../../simulator/index.js';
import type { PolicyMetrics } from './closedLoop.js';
import type { JobPool, JobResult, PolicyFigures, PolicyJob } from './policies.js';
import { fmt, pct, table } from './table.js';

export type WorldParam = keyof WorldParams;
export type WorldValue = WorldParams[WorldParam];

/** The figure a scenario is judged on: what the scenario puts at stake. All of them: lower is better. */
export const HEADLINE: Record<ScenarioName, 'lostSwaps' | 'chargerTrips' | 'energyCostPerSwap'> = {
  normal: 'lostSwaps',
  rush_hour: 'lostSwaps',
  stockout: 'lostSwaps',
  heatwave: 'chargerTrips',
  price_spike: 'energyCostPerSwap',
};

interface Stress {
  /** The scenario where the parameter matters most. */
  scenario: ScenarioName;
  /**
   * The actions through which the parameter reaches the world; none: it reaches the world itself. `none`
   * takes no action, so it is re-run only for the latter; and in a scenario where the copilot never
   * started any of these actions at the default setting, the parameter is never read and its run there
   * is the default run (common random numbers), so it is not repeated either.
   */
  via: readonly string[];
}

export const STRESS: Record<WorldParam, Stress> = {
  incentiveAcceptance: { scenario: 'rush_hour', via: ['offer_incentive'] },
  driveSpeedKmh: { scenario: 'rush_hour', via: ['offer_incentive'] },
  patienceMin: { scenario: 'rush_hour', via: [] },
  // Transient faults come at the same rate in every scenario; a charger down costs most where packs are short.
  resetSuccess: { scenario: 'stockout', via: ['reset_charger'] },
  // Where packs are short, a transport is what would save swaps.
  transportSpeedKmh: { scenario: 'stockout', via: ['request_rebalance'] },
  transportCapacity: { scenario: 'stockout', via: ['request_rebalance'] },
  loadMinutes: { scenario: 'stockout', via: ['request_rebalance'] },
  derateCooling: { scenario: 'heatwave', via: ['derate_charger', 'curtail_charging'] },
};

/** One parameter's stress run, as report.json lists it under world.pessimistic. */
export interface PessimisticResult {
  default: WorldValue;
  value: WorldValue;
  /** Why the value is pessimistic. */
  why: string;
  scenario: ScenarioName;
  metric: keyof PolicyMetrics;
  /** The actions through which the parameter reaches the world (empty: the world itself, `none` included). */
  via: readonly string[];
  /** How often the copilot started those actions at the default setting (summed over the seeds); null for `via` empty. */
  copilotActionsAtDefault: number | null;
  /** true: `none` does not meet the parameter, and its figures are the default run's. */
  noneUnchanged: boolean;
  /** true: the copilot never started an action the parameter reaches, so its run is the default run. */
  copilotUnchanged: boolean;
  none: number;
  copilot: number;
  /** (none - copilot) / none: the share of the headline figure the copilot saves; null when none is 0. */
  margin: number | null;
  /** The same at the default setting, for comparison. */
  atDefault: { none: number; copilot: number; margin: number | null };
  /** All figures at the pessimistic setting. */
  policies: { none: PolicyMetrics; copilot: PolicyMetrics };
}

export type PessimisticResults = Partial<Record<WorldParam, PessimisticResult>>;

export function margin(none: number, copilot: number): number | null {
  return none === 0 ? null : Math.round(((none - copilot) / none) * 1e4) / 1e4;
}

/** The parameters stressed when these scenarios are evaluated: those whose scenario is among them. */
export function stressedParams(scenarios: readonly ScenarioName[]): WorldParam[] {
  return (Object.keys(STRESS) as WorldParam[]).filter((param) => scenarios.includes(STRESS[param].scenario));
}

/**
 * Runs the stress runs in `pool` beside the default runs of their scenarios (`defaults`, already in the
 * pool): at once where `none` meets the parameter, otherwise once the scenario's default run shows
 * whether the copilot took an action the parameter reaches.
 */
export async function runPessimistic(
  pool: Pick<JobPool, 'run'>,
  base: Omit<PolicyJob, 'scenario'>,
  defaults: Readonly<Partial<Record<ScenarioName, Promise<JobResult>>>>,
): Promise<PessimisticResults> {
  const scenarios = Object.keys(defaults) as ScenarioName[];
  const results = await Promise.all(
    stressedParams(scenarios).map(async (param) => {
      const { scenario, via } = STRESS[param];
      const job: PolicyJob = { ...base, scenario, world: { [param]: PESSIMISTIC_WORLD[param].value } };
      const direct = via.length === 0 ? pool.run({ ...job, policies: ['none', 'copilot'] }) : null;
      const at = await defaults[scenario]!;
      const taken = via.length === 0 ? null : via.reduce((n, a) => n + (at.copilotStarted[a] ?? 0), 0);
      const stressed = direct ? await direct : taken ? await pool.run({ ...job, policies: ['copilot'] }) : null;
      return [param, result(param, at.figures as PolicyFigures, stressed?.figures ?? {}, taken)] as const;
    }),
  );
  return Object.fromEntries(results);
}

function result(param: WorldParam, at: PolicyFigures, stressed: Partial<PolicyFigures>, taken: number | null): PessimisticResult {
  const { scenario, via } = STRESS[param];
  const metric = HEADLINE[scenario];
  const none = stressed.none ?? at.none;
  const copilot = stressed.copilot ?? at.copilot;
  return {
    default: DEFAULT_WORLD[param],
    value: PESSIMISTIC_WORLD[param].value,
    why: PESSIMISTIC_WORLD[param].why,
    scenario,
    metric,
    via,
    copilotActionsAtDefault: taken,
    noneUnchanged: !stressed.none,
    copilotUnchanged: !stressed.copilot,
    none: none[metric],
    copilot: copilot[metric],
    margin: margin(none[metric], copilot[metric]),
    atDefault: { none: at.none[metric], copilot: at.copilot[metric], margin: margin(at.none[metric], at.copilot[metric]) },
    policies: { none, copilot },
  };
}

/**
 * Every closed-loop run of the report in one pool of child processes: each scenario under the three
 * policies and the stress runs beside them, the scenarios that stress runs wait for first.
 */
export function runClosedLoop(
  scenarios: readonly ScenarioName[],
  base: Omit<PolicyJob, 'scenario'>,
  pool: Pick<JobPool, 'run'>,
): { policies: Promise<Record<string, PolicyFigures>>; pessimistic: Promise<PessimisticResults> } {
  const first = new Set(stressedParams(scenarios).map((p) => STRESS[p].scenario));
  const order = [...scenarios.filter((s) => first.has(s)), ...scenarios.filter((s) => !first.has(s))];
  const runs = Object.fromEntries(order.map((scenario) => [scenario, pool.run({ ...base, scenario })]));
  const policies = Promise.all(scenarios.map((s) => runs[s]!)).then((done) =>
    Object.fromEntries(scenarios.map((s, i) => [s, done[i]!.figures as PolicyFigures])),
  );
  const pessimistic = runPessimistic(pool, base, runs);
  // The caller awaits both; handled here too so that a failing child is not an unhandled rejection meanwhile.
  void policies.catch(() => undefined);
  void pessimistic.catch(() => undefined);
  return { policies, pessimistic };
}

/** The console's view of world.pessimistic. */
export function renderPessimistic(results: PessimisticResults): string {
  const show = (x: WorldValue) => (typeof x === 'number' ? String(x) : x.join('-'));
  const figure = (r: PessimisticResult, x: number) => (r.metric === 'energyCostPerSwap' ? fmt(x) : String(x));
  const rows = Object.entries(results).map(([param, r]) => [
    param,
    `${show(r.default)} -> ${show(r.value)}`,
    r.scenario,
    r.metric,
    `${figure(r, r.none)}${r.noneUnchanged ? '*' : ''}`,
    `${figure(r, r.copilot)}${r.copilotUnchanged ? '*' : ''}`,
    r.copilotActionsAtDefault === null ? '-' : `${r.via.join('/')} x${r.copilotActionsAtDefault}`,
    pct(r.atDefault.margin),
    pct(r.margin),
  ]);
  return [
    "The copilot's margin over none with each world parameter at a pessimistic value (* the run is the default run: the policy took no action the parameter reaches)",
    table(
      [
        'parameter',
        'default -> pessimistic',
        'scenario',
        'figure',
        'none',
        'copilot',
        'copilot took at default',
        'margin at default',
        'margin',
      ],
      rows,
    ),
  ].join('\n');
}
