// The simulated world's behavioural parameters (issue 12): each has a source and a pessimistic value, the
// two lifted from the code (how much a derate cools, drivers' patience) do what they say, and the report's
// stress runs re-run `none` only where the parameter reaches the stations left alone.
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Charger, type ChargerHost, type Pack } from '../../simulator/charger.js';
import { DEFAULT_WORLD, PESSIMISTIC_WORLD, WORLD_SOURCES, type WorldParams } from '../../simulator/controls.js';
import { Rng } from '../../simulator/rng.js';
import { createSimulation } from '../../simulator/index.js';
import { runPolicy, runPolicyActions, type PolicyMetrics } from '../../scripts/evaluate/closedLoop.js';
import { margin, runClosedLoop, runPessimistic, STRESS, stressedParams, type WorldParam } from '../../scripts/evaluate/pessimistic.js';
import type { JobResult, PolicyJob } from '../../scripts/evaluate/policies.js';
import { writeHumanReport, type EvaluationReport } from '../../scripts/evaluate/markdown.js';

const PARAMS = Object.keys(DEFAULT_WORLD) as WorldParam[];

/** One charger alone, charging a nearly empty pack for 40 minutes at 20 degC ambient; its temperature at the end. */
function tempAfter40Min(capKW: number | null, derateCooling: number): number {
  const host: ChargerHost = {
    rng: new Rng(1),
    statusChanged: () => undefined,
    failed: () => undefined,
    transient: () => undefined,
    takeDepleted: () => null,
    releasePack: () => undefined,
  };
  const spec = { id: 'C1', coolingFactor: 1, tripC: 500, wearFailAtS: null, precursorsS: [] };
  const ch = new Charger(spec, 20, 60, 0, host.rng, derateCooling);
  const pack: Pack = { id: 'p1', soc: 0.05, sohPct: 95, cycles: 100, state: 'depleted' };
  ch.load(pack);
  ch.capKW = capKW;
  for (let t = 0; t < 2400; t++) {
    ch.update(t, host);
    ch.advance(t, ch.requestKW, 20, host);
  }
  return ch.tempC;
}

function renegedWaits(world: Partial<WorldParams>): number[] {
  const sim = createSimulation({ stations: 4, scenario: 'stockout', seed: 11, durationMin: 120, world });
  Array.from(sim.signals());
  return sim.truth.waits.filter((w) => w.outcome === 'reneged').map((w) => w.waitMin);
}

describe('the world parameters of the closed loop', () => {
  it('has a source and a pessimistic value, different from the default, for every parameter', () => {
    expect(Object.keys(WORLD_SOURCES)).to.have.members(PARAMS);
    expect(Object.keys(PESSIMISTIC_WORLD)).to.have.members(PARAMS);
    expect(Object.keys(STRESS)).to.have.members(PARAMS);
    for (const k of PARAMS) {
      expect(WORLD_SOURCES[k]).to.match(/^assumption: /);
      expect(PESSIMISTIC_WORLD[k].why.length, k).to.be.greaterThan(20);
      expect(PESSIMISTIC_WORLD[k].value, k).to.not.deep.equal(DEFAULT_WORLD[k]);
    }
  });

  it('a derate cools a charger by derateCooling of what its power cut implies', () => {
    const free = tempAfter40Min(null, 1);
    const full = tempAfter40Min(30, 1);
    const half = tempAfter40Min(30, 0.5);
    // Heading for 20 + 3 + 30 degC at 60 kW (there after a few time constants of 15 min); half the power, half the rise.
    expect(free).to.be.within(49, 53);
    expect(full).to.be.within(35, 39);
    expect((free - half) / (free - full)).to.be.closeTo(0.5, 1e-9);
    // Without a cap the setting changes nothing.
    expect(tempAfter40Min(null, 0.5)).to.equal(free);
  });

  it('drivers give up in line after patienceMin: between 20 and 45 minutes by default, sooner when set', () => {
    const byDefault = renegedWaits({});
    const impatient = renegedWaits({ patienceMin: [10, 22.5] });
    expect(byDefault.length).to.be.greaterThan(0);
    expect(impatient.length).to.be.greaterThan(byDefault.length);
    for (const w of byDefault) expect(w).to.be.within(20, 45);
    for (const w of impatient) expect(w).to.be.within(10, 22.5);
  });

  it('a run in which no action reaches a parameter is the same whatever its value (none, and the copilot without transports)', function () {
    this.timeout(90_000);
    const o = { seeds: [7], stations: 4, durationMin: 60 };
    const at = new Map<string, PolicyMetrics>();
    for (const k of PARAMS.filter((p) => STRESS[p].via.length > 0)) {
      const { scenario } = STRESS[k];
      if (!at.has(scenario)) at.set(scenario, runPolicy('none', { ...o, scenario }));
      expect(runPolicy('none', { ...o, scenario, world: { [k]: PESSIMISTIC_WORLD[k].value } }), k).to.deep.equal(at.get(scenario));
    }
    // Where packs are short everywhere no station lends any: the copilot sends no transport, and the transport's
    // parameters change nothing.
    const copilot = runPolicyActions('copilot', { ...o, scenario: 'stockout' });
    expect(copilot.started.request_rebalance ?? 0).to.equal(0);
    const slow = { transportSpeedKmh: 5, transportCapacity: 1, loadMinutes: 120 };
    expect(runPolicy('copilot', { ...o, scenario: 'stockout', world: slow })).to.deep.equal(copilot.metrics);
  });
});

describe('evaluate: the stress runs at pessimistic settings', () => {
  const base = { seeds: [101], stations: 6, durationMin: 60 };
  const m = (lostSwaps: number, chargerTrips = 0): PolicyMetrics => ({
    lostSwaps,
    swaps: 100,
    pWaitOver10: 0,
    energyCostPerSwap: 3,
    limitViolationIntervals: 0,
    chargerTrips,
    maintenanceTickets: 0,
    decisionsPerStationHour: 0,
    planChangeShare: 1,
    contradictoryPairs: 0,
    conflictsRecorded: 0,
    stationHours: 6,
  });

  /** A pool that answers at once, recording what it was asked to run. */
  function fakePool(answer: (job: PolicyJob) => JobResult) {
    const jobs: PolicyJob[] = [];
    return {
      jobs,
      run: (job: PolicyJob) => {
        jobs.push(job);
        return Promise.resolve(answer(job));
      },
    };
  }
  const atDefault: Record<string, JobResult> = {
    rush_hour: { figures: { none: m(40), naive: m(35), copilot: m(10) }, copilotStarted: { offer_incentive: 6, derate_charger: 3 } },
    heatwave: { figures: { none: m(0, 8), naive: m(0, 4), copilot: m(0, 0) }, copilotStarted: {} },
  };

  it('stresses only the evaluated scenarios; re-runs none only where the parameter reaches it, the copilot only where it acted', async () => {
    expect(stressedParams(['rush_hour', 'heatwave'])).to.have.members([
      'incentiveAcceptance',
      'driveSpeedKmh',
      'patienceMin',
      'derateCooling',
    ]);
    expect(stressedParams(['normal', 'price_spike'])).to.deep.equal([]);
    const pool = fakePool((job) =>
      job.policies!.includes('none')
        ? { figures: { none: m(80), copilot: m(30) }, copilotStarted: {} }
        : { figures: { copilot: m(20) }, copilotStarted: {} },
    );
    const r = await runPessimistic(pool, base, {
      rush_hour: Promise.resolve(atDefault.rush_hour!),
      heatwave: Promise.resolve(atDefault.heatwave!),
    });
    expect(pool.jobs.map((j) => [j.scenario, j.policies, j.world])).to.have.deep.members([
      ['rush_hour', ['none', 'copilot'], { patienceMin: [10, 22.5] }],
      ['rush_hour', ['copilot'], { incentiveAcceptance: 0.15 }],
      ['rush_hour', ['copilot'], { driveSpeedKmh: 15 }],
    ]);
    for (const job of pool.jobs) expect(job).to.include(base);
    expect(r.incentiveAcceptance).to.deep.include({
      default: 0.3,
      value: 0.15,
      scenario: 'rush_hour',
      metric: 'lostSwaps',
      via: ['offer_incentive'],
      copilotActionsAtDefault: 6,
      noneUnchanged: true,
      copilotUnchanged: false,
      none: 40,
      copilot: 20,
      margin: 0.5,
      atDefault: { none: 40, copilot: 10, margin: 0.75 },
    });
    expect(r.patienceMin).to.deep.include({ copilotActionsAtDefault: null, noneUnchanged: false, none: 80, copilot: 30, margin: 0.625 });
    // The copilot derated nothing in this heatwave: the stress run would be the default run, so it is not repeated.
    expect(r.derateCooling).to.deep.include({
      metric: 'chargerTrips',
      copilotActionsAtDefault: 0,
      copilotUnchanged: true,
      none: 8,
      copilot: 0,
      margin: 1,
    });
    expect(margin(0, 0)).to.equal(null);
    expect(margin(10, 12)).to.equal(-0.2);
  });

  it('runs each scenario once in the same pool, first those that stress runs wait for, and keeps the order given', async () => {
    const pool = fakePool((job) =>
      job.policies
        ? { figures: { copilot: m(20) }, copilotStarted: {} }
        : { ...atDefault.rush_hour!, figures: { none: m(1), naive: m(2), copilot: m(3) } },
    );
    const run = runClosedLoop(['normal', 'rush_hour'], base, pool);
    const policies = await run.policies;
    expect(Object.keys(policies)).to.deep.equal(['normal', 'rush_hour']);
    expect(policies.normal!.copilot.lostSwaps).to.equal(3);
    expect(Object.keys(await run.pessimistic)).to.have.members(['incentiveAcceptance', 'driveSpeedKmh', 'patienceMin']);
    expect(pool.jobs.slice(0, 2).map((j) => [j.scenario, j.policies])).to.deep.equal([
      ['rush_hour', undefined],
      ['normal', undefined],
    ]);
    expect(pool.jobs).to.have.length(5);
  });

  it('report.md lists each stress run: default -> pessimistic, scenario, none and copilot, both margins', async () => {
    const heatwave: JobResult = { figures: { none: m(0, 8), naive: m(0, 4), copilot: m(0, 0) }, copilotStarted: { derate_charger: 40 } };
    const pool = fakePool(() => ({ figures: { copilot: m(0, 3) }, copilotStarted: {} }));
    const pessimistic = await runPessimistic(pool, base, { heatwave: Promise.resolve(heatwave) });
    const report: EvaluationReport = {
      generatedFrom: { stations: 6, durationMin: 60, scenarios: [], wallSeconds: 1 },
      seeds: { tuning: [1, 2, 3], heldOut: [101] },
      scenarios: {},
      predictors: {},
      thresholds: {},
      world: { params: { ...DEFAULT_WORLD }, sources: WORLD_SOURCES, pessimistic },
    };
    const dir = await mkdtemp(join(tmpdir(), 'eval-stress-'));
    try {
      await writeHumanReport(dir, report);
      const md = await readFile(join(dir, 'report.md'), 'utf8');
      expect(md).to.contain('| patienceMin | 20-45 |');
      expect(md).to.contain("## The copilot's margin at pessimistic settings");
      expect(md).to.contain(
        '| derateCooling | 1 -> 0.5 | heatwave | charger trips | 8* | 3 | derate_charger/curtail_charging x40 | 100.0% | 62.5% |',
      );
      expect(md).to.contain(`- **derateCooling**: ${PESSIMISTIC_WORLD.derateCooling.why}.`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
