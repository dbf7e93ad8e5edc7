// The human side of `npm run evaluate`: report.md and one SVG chart per scenario beside report.json,
// so a person can compare the three policies in a minute without reading JSON.
//
// Charts are Vega-Lite specs drawn to SVG by ../chart.ts; a chart is plain data, so the layout below is
// easy to review.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../chart.js';
import { POLICIES, type PolicyMetrics, type PolicyName } from './closedLoop.js';
import type { PessimisticResult } from './pessimistic.js';
import { targetsSection, type TargetCheck } from './targets.js';

/** The shape `npm run evaluate` writes to report.json (DECISIONS.md, "Evaluation report"). */
export interface EvaluationReport {
  generatedFrom: { stations: number; durationMin: number; scenarios: string[]; wallSeconds: number };
  seeds: { tuning: number[]; heldOut: number[] };
  scenarios: Record<string, { policies: Record<PolicyName, PolicyMetrics> }>;
  predictors: Record<string, unknown>;
  thresholds: unknown;
  /**
   * The closed loop's behavioural parameters, each with where its value comes from, and the copilot's
   * margin over `none` with each at a pessimistic value (one at a time).
   */
  /** Issue 12's targets, met or missed, by how much and why (see targets.ts). */
  targets?: TargetCheck[];
  world?: {
    params: Record<string, number | readonly number[]>;
    sources: Record<string, string>;
    pessimistic?: Record<string, PessimisticResult | undefined>;
  };
}

type Metric = keyof PolicyMetrics;

interface Figure {
  key: Metric;
  /** Table header. */
  header: string;
  format: (x: number) => string;
  /** The "how to read it" line. */
  reading: string;
}

const count = (x: number) => String(x);
const decimals = (digits: number) => (x: number) => x.toFixed(digits);
const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Every figure of PolicyMetrics, in table order. */
const FIGURES: Figure[] = [
  {
    key: 'lostSwaps',
    header: 'lost swaps',
    format: count,
    reading: 'drivers who left without a swap: reneged (gave up waiting) plus turned away. Lower is better.',
  },
  { key: 'swaps', header: 'swaps', format: count, reading: 'swaps served. Higher is better when demand is the same.' },
  {
    key: 'pWaitOver10',
    header: 'wait > 10 min',
    format: percent,
    reading:
      'share of all drivers who waited more than 10 minutes; drivers who reneged after more than 10 minutes and every turned-away driver count as waiting over 10. Lower is better.',
  },
  {
    key: 'energyCostPerSwap',
    header: 'energy cost per swap (EUR)',
    format: decimals(2),
    reading: 'energy bought from the grid divided by swaps served. Lower is better.',
  },
  {
    key: 'limitViolationIntervals',
    header: 'limit intervals',
    format: count,
    reading: 'quarter hours whose average demand passed the grid limit, summed over stations. Lower is better.',
  },
  { key: 'chargerTrips', header: 'charger trips', format: count, reading: 'chargers that tripped on overheating. Lower is better.' },
  { key: 'maintenanceTickets', header: 'tickets', format: count, reading: 'maintenance tickets and escalations the policy opened.' },
  {
    key: 'decisionsPerStationHour',
    header: 'decisions per station-hour',
    format: decimals(2),
    reading:
      'how often the policy decided something at a station; every decision is something an operator may look at, so fewer is calmer for the same results.',
  },
  {
    key: 'planChangeShare',
    header: 'plan changes',
    format: percent,
    reading: 'share of decisions that changed the plan; "-" where the policy made no decisions.',
  },
  {
    key: 'contradictoryPairs',
    header: 'contradictory pairs',
    format: count,
    reading:
      'moments when two actions in force at one station contradict each other (curtail and boost, prioritise and defer). Should be 0.',
  },
  {
    key: 'conflictsRecorded',
    header: 'conflicts recorded',
    format: count,
    reading: 'times two proposed actions wanted the same resource and the supervisor settled it by rule; only the copilot records them.',
  },
  {
    key: 'stationHours',
    header: 'station-hours',
    format: (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1)),
    reading: 'stations times simulated hours times seeds: what the rates are per.',
  },
];

interface Panel {
  key: Metric;
  title: string;
  /** Y axis title, with the unit. */
  axis: string;
  /** Multiplier from the report's value to the plotted one (shares are plotted as percentages). */
  scale: number;
  /** A count: whole-number ticks only. */
  whole: boolean;
}

/** The figures a reader cares about first; one small panel each, since their units differ. */
const PANELS: Panel[] = [
  { key: 'lostSwaps', title: 'Lost swaps', axis: 'drivers', scale: 1, whole: true },
  { key: 'pWaitOver10', title: 'Waited over 10 min', axis: '% of drivers', scale: 100, whole: false },
  { key: 'energyCostPerSwap', title: 'Energy cost per swap', axis: 'EUR per swap', scale: 1, whole: false },
  { key: 'chargerTrips', title: 'Charger trips', axis: 'overheat trips', scale: 1, whole: true },
  { key: 'decisionsPerStationHour', title: 'Decisions', axis: 'per station-hour', scale: 1, whole: false },
];

/** Okabe-Ito colours, told apart by colour-blind readers: grey for doing nothing, orange naive, blue copilot. */
const POLICY_COLOURS: Record<PolicyName, string> = { none: '#999999', naive: '#E69F00', copilot: '#0072B2' };

const POLICY_MEANING: Record<PolicyName, string> = {
  none: 'the stations left alone',
  naive: 'simple threshold rules',
  copilot: 'agents, supervisor and plan',
};

// report.json writes Infinity as null, so a figure read back from it may not be a number.
const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function cell(figure: Figure, m: PolicyMetrics): string {
  const x: unknown = m[figure.key];
  if (!isNumber(x)) return '-';
  if (figure.key === 'planChangeShare' && m.decisionsPerStationHour === 0) return '-';
  return figure.format(x);
}

// Scenario names become file names and link targets.
function checkScenarioName(name: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`scenario "${name}" cannot be a file name (letters, digits, _ and - only)`);
}

const list = (xs: number[]) => xs.join(', ');
const heldOutSeeds = (xs: number[]) => `held-out seed${xs.length === 1 ? '' : 's'} ${list(xs)}`;

type PanelSpec = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];

function panelSpec(panel: Panel, policies: Record<PolicyName, PolicyMetrics>): PanelSpec {
  const figure = FIGURES.find((f) => f.key === panel.key)!;
  const values = POLICIES.map((policy) => {
    const raw: unknown = policies[policy][panel.key];
    const value = isNumber(raw) ? raw * panel.scale : null;
    // A missing figure gets no bar but keeps its "-" label, at zero.
    return { policy, value, at: value ?? 0, label: cell(figure, policies[policy]) };
  });
  const top = Math.max(0, ...values.map((v) => v.value ?? 0));
  // Headroom keeps the value labels inside the panel and no tick label on its top edge, so the panel
  // titles line up (not niced for that reason); all zeros get a short unit axis.
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    title: panel.axis,
    scale: { domain: [0, top > 0 ? top * 1.2 : 1.1], nice: false },
    axis: panel.whole ? { tickMinStep: 1, format: 'd' } : {},
  };
  return {
    title: panel.title,
    width: 120,
    height: 180,
    data: { values },
    encoding: {
      x: { field: 'policy', type: 'nominal', sort: [...POLICIES], title: 'policy', axis: { labelAngle: 0 } },
    },
    layer: [
      {
        mark: { type: 'bar', width: { band: 0.7 } },
        encoding: {
          y,
          color: {
            field: 'policy',
            type: 'nominal',
            scale: { domain: [...POLICIES], range: POLICIES.map((p) => POLICY_COLOURS[p]) },
            legend: null,
          },
        },
      },
      {
        mark: { type: 'text', baseline: 'bottom', dy: -3, fontSize: 10 },
        encoding: { y: { ...y, field: 'at' }, text: { field: 'label', type: 'nominal' } },
      },
    ],
  };
}

function chartSpec(scenario: string, report: EvaluationReport): TopLevelSpec {
  const { stations, durationMin } = report.generatedFrom;
  return {
    title: {
      text: `${scenario}: none, naive and copilot side by side`,
      subtitle: `${heldOutSeeds(report.seeds.heldOut)}; ${stations} stations, ${durationMin} simulated min per seed; counts summed over seeds`,
      anchor: 'start',
      offset: 14,
    },
    hconcat: PANELS.map((panel) => panelSpec(panel, report.scenarios[scenario]!.policies)),
    spacing: 30,
    background: 'white',
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null }, axis: { titleFontWeight: 'normal' } },
  };
}

function table(policies: Record<PolicyName, PolicyMetrics>): string {
  const header = `| policy | ${FIGURES.map((f) => f.header).join(' | ')} |`;
  const rule = `| --- | ${FIGURES.map(() => '---:').join(' | ')} |`;
  const rows = POLICIES.map((p) => `| ${p} | ${FIGURES.map((f) => cell(f, policies[p])).join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

function markdown(report: EvaluationReport): string {
  const { stations, durationMin, wallSeconds } = report.generatedFrom;
  const heldOut = report.seeds.heldOut;
  const intro =
    `Every scenario ran with ${stations} stations for ${durationMin} simulated minutes on ` +
    `${heldOut.length === 1 ? 'the' : 'each of the'} ${heldOutSeeds(heldOut)}, once under each policy: ${POLICIES.map((p) => `${p} (${POLICY_MEANING[p]})`).join(', ')}. ` +
    'The simulator carries out what each policy decides, in the same world for all three. ' +
    'Counts are summed over the seeds; shares and rates are over all of them. ' +
    `The thresholds were tuned on other seeds (${list(report.seeds.tuning)}), which are never reported here. ` +
    `The run took ${wallSeconds} s. All figures, and the predictor scores, are in report.json.`;
  const reading = FIGURES.map((f) => `- **${f.header}**: ${f.reading}`);
  const sections = Object.entries(report.scenarios).flatMap(([scenario, { policies }]) => [
    `## ${scenario}`,
    '',
    `![${scenario}: ${PANELS.map((p) => p.title.toLowerCase()).join(', ')} for none, naive and copilot](${scenario}.svg)`,
    '',
    table(policies),
    '',
  ]);
  const world = report.world
    ? [
        '## Behavioural parameters of the simulated world',
        '',
        '| parameter | value | where it comes from |',
        '| --- | ---: | --- |',
        ...Object.keys(report.world.params).map((k) => `| ${k} | ${value(report.world!.params[k])} | ${report.world!.sources[k] ?? '-'} |`),
        '',
        ...pessimisticSection(report.world.pessimistic),
      ]
    : [];
  return [
    '# Closed-loop evaluation: none, naive and copilot',
    '',
    intro,
    '',
    ...targetsSection(report.targets ?? []),
    '## How to read it',
    '',
    ...reading,
    '',
    ...world,
    ...sections,
  ].join('\n');
}

const value = (x: number | readonly number[] | undefined) => (x === undefined ? '-' : Array.isArray(x) ? x.join('-') : String(x));
const marginCell = (m: number | null) => (m === null ? '-' : percent(m));

const METRIC_NAME: Partial<Record<Metric, string>> = {
  lostSwaps: 'lost swaps',
  chargerTrips: 'charger trips',
  energyCostPerSwap: 'energy cost per swap',
};

function pessimisticSection(results: Record<string, PessimisticResult | undefined> | undefined): string[] {
  const rows = Object.entries(results ?? {}).filter((e): e is [string, PessimisticResult] => e[1] !== undefined);
  if (rows.length === 0) return [];
  const headline = (r: PessimisticResult, x: number, same: boolean) => {
    const figure = FIGURES.find((f) => f.key === r.metric);
    return `${figure ? figure.format(x) : String(x)}${same ? '*' : ''}`;
  };
  const took = (r: PessimisticResult) =>
    r.copilotActionsAtDefault === null ? '- (reaches every driver)' : `${r.via.join('/')} x${r.copilotActionsAtDefault}`;
  return [
    "## The copilot's margin at pessimistic settings",
    '',
    'Each parameter above at a pessimistic value, one at a time, in the scenario where it matters most, on the same ' +
      'held-out seeds. The margin is the share of the headline figure (lower is better) the copilot saves over none: ' +
      "above 0 the copilot still does better. A figure marked * is the default run's: a parameter that only an " +
      'action reaches is never read in a run that took no such action, so that run is the same whatever its value. ' +
      'The stations left alone take no action; the copilot is re-run where it took one at the default setting (the count below).',
    '',
    '| parameter | default -> pessimistic | scenario | figure | none | copilot | copilot took at default | margin at default | margin |',
    '| --- | --- | --- | --- | ---: | ---: | --- | ---: | ---: |',
    ...rows.map(
      ([k, r]) =>
        `| ${k} | ${value(r.default)} -> ${value(r.value)} | ${r.scenario} | ${METRIC_NAME[r.metric] ?? r.metric} | ` +
        `${headline(r, r.none, r.noneUnchanged)} | ${headline(r, r.copilot, r.copilotUnchanged)} | ${took(r)} | ` +
        `${marginCell(r.atDefault.margin)} | ${marginCell(r.margin)} |`,
    ),
    '',
    'Why each value is pessimistic:',
    '',
    ...rows.map(([k, r]) => `- **${k}**: ${r.why}.`),
    '',
  ];
}

/** Writes DIR/report.md and DIR/<scenario>.svg for every scenario; returns the files written. */
export async function writeHumanReport(dir: string, report: EvaluationReport): Promise<string[]> {
  const scenarios = Object.keys(report.scenarios);
  scenarios.forEach(checkScenarioName);
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const scenario of scenarios) {
    const file = join(dir, `${scenario}.svg`);
    await writeFile(file, `${await renderSvg(chartSpec(scenario, report))}\n`, 'utf8');
    written.push(file);
  }
  const md = join(dir, 'report.md');
  await writeFile(md, markdown(report), 'utf8');
  written.push(md);
  return written;
}
