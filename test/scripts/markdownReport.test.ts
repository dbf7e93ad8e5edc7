// The human report beside report.json: report.md with a table per scenario and one SVG chart each.
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyMetrics } from '../../scripts/evaluate/closedLoop.js';
import { writeHumanReport, type EvaluationReport } from '../../scripts/evaluate/markdown.js';

function metrics(edit: (m: PolicyMetrics) => void): PolicyMetrics {
  const m: PolicyMetrics = {
    lostSwaps: 0,
    swaps: 0,
    pWaitOver10: 0,
    energyCostPerSwap: 0,
    limitViolationIntervals: 0,
    chargerTrips: 0,
    maintenanceTickets: 0,
    decisionsPerStationHour: 0,
    planChangeShare: 1,
    contradictoryPairs: 0,
    conflictsRecorded: 0,
    stationHours: 9,
  };
  edit(m);
  return m;
}

function aReport(): EvaluationReport {
  return {
    generatedFrom: { stations: 3, durationMin: 90, scenarios: ['rush_hour', 'heatwave'], wallSeconds: 4 },
    seeds: { tuning: [1, 2, 3], heldOut: [101, 102] },
    scenarios: {
      rush_hour: {
        policies: {
          none: metrics((m) => Object.assign(m, { lostSwaps: 41, swaps: 310, pWaitOver10: 0.2375, energyCostPerSwap: 3.14 })),
          naive: metrics((m) =>
            Object.assign(m, { lostSwaps: 33, swaps: 318, pWaitOver10: 0.181, energyCostPerSwap: 3.02, decisionsPerStationHour: 5.5 }),
          ),
          copilot: metrics((m) =>
            Object.assign(m, {
              lostSwaps: 17,
              swaps: 334,
              pWaitOver10: 0.0912,
              energyCostPerSwap: 2.87,
              decisionsPerStationHour: 1.25,
              planChangeShare: 0.615,
              conflictsRecorded: 6,
            }),
          ),
        },
      },
      heatwave: {
        policies: {
          none: metrics((m) => Object.assign(m, { chargerTrips: 7, limitViolationIntervals: 12, swaps: 250 })),
          naive: metrics((m) =>
            Object.assign(m, { chargerTrips: 4, maintenanceTickets: 3, contradictoryPairs: 2, decisionsPerStationHour: 8.75 }),
          ),
          copilot: metrics((m) =>
            Object.assign(m, { chargerTrips: 1, maintenanceTickets: 1, decisionsPerStationHour: 2.5, planChangeShare: 0.4 }),
          ),
        },
      },
    },
    predictors: {},
    thresholds: {},
  };
}

describe('evaluate: human report (report.md and one SVG per scenario)', () => {
  let dir: string;
  let files: string[];
  let md: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eval-md-'));
    files = await writeHumanReport(dir, aReport());
    md = await readFile(join(dir, 'report.md'), 'utf8');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('returns the files it wrote: one SVG per scenario and report.md', () => {
    expect(files).to.have.members([join(dir, 'rush_hour.svg'), join(dir, 'heatwave.svg'), join(dir, 'report.md')]);
  });

  it('report.md says what ran, on held-out seeds, and that the tuning seeds are not reported', () => {
    expect(md).to.match(/^# /);
    expect(md).to.include('3 stations');
    expect(md).to.include('90 simulated minutes');
    expect(md).to.include('on each of the held-out seeds 101, 102,');
    expect(md).to.match(/tuned on other seeds \(1, 2, 3\), which are never reported/);
  });

  it('report.md has a heading, the chart and a table row per policy for both scenarios', () => {
    for (const scenario of ['rush_hour', 'heatwave']) {
      expect(md).to.include(`## ${scenario}\n`);
      expect(md).to.match(new RegExp(`!\\[[^\\]]+\\]\\(${scenario}\\.svg\\)`));
    }
    const rows = md.split('\n').filter((l) => /^\| (none|naive|copilot) \|/.test(l));
    expect(rows).to.have.length(6);
    const cells = (l: string) => l.split('|').map((c) => c.trim());
    // rush_hour: lost swaps, swaps, wait > 10 min, energy cost per swap, then decisions per station-hour and plan changes.
    expect(cells(rows[0]!).slice(1, 6)).to.deep.equal(['none', '41', '310', '23.8%', '3.14']);
    expect(cells(rows[2]!).slice(1, 6)).to.deep.equal(['copilot', '17', '334', '9.1%', '2.87']);
    expect(rows[2]).to.include('| 1.25 | 61.5% |');
    // A policy that made no decisions has no share of plan changes.
    expect(rows[0]).to.include('| 0.00 | - |');
    // heatwave: limit intervals, charger trips, tickets.
    expect(rows[3]).to.include('| 12 | 7 | 0 |');
    expect(rows[4]).to.include('| 0 | 4 | 3 | 8.75 | 100.0% | 2 |');
  });

  it('report.md has a "how to read it" line for every figure', () => {
    for (const figure of [
      'lost swaps',
      'wait > 10 min',
      'energy cost per swap',
      'limit intervals',
      'charger trips',
      'decisions per station-hour',
    ])
      expect(md).to.match(new RegExp(`^- \\*\\*${figure.replace(/[()>]/g, '\\$&')}[^*]*\\*\\*: `, 'm'));
    for (const figure of ['plan changes', 'contradictory pairs', 'conflicts recorded']) expect(md).to.include(`- **${figure}**: `);
    expect(md).to.include('reneged (gave up waiting) plus turned away');
    expect(md).to.include('quarter hours whose average demand passed the grid limit');
  });

  for (const scenario of ['rush_hour', 'heatwave']) {
    it(`${scenario}.svg is an SVG naming the scenario, the seeds and the three policies`, async () => {
      const svg = await readFile(join(dir, `${scenario}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).to.equal(true);
      expect(svg.trimEnd().endsWith('</svg>')).to.equal(true);
      for (const text of [scenario, '101, 102', '>none<', '>naive<', '>copilot<', 'EUR per swap', '% of drivers'])
        expect(svg).to.include(text);
      expect(svg).not.to.match(/https?:\/\/(?!www\.w3\.org\/)/);
    });
  }
});
