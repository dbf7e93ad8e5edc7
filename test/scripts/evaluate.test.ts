// `npm run evaluate`: the report's shape (DECISIONS.md) on a quick run, and the flags it refuses.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const evaluate = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/evaluate-predictors.ts', ...args], { timeout: 240_000 });

describe('npm run evaluate', function () {
  this.timeout(300_000);

  it('--quick writes report.json as DECISIONS.md specifies: three policies per scenario, held-out seeds, predictors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eval-'));
    try {
      await evaluate(['--quick', '--scenarios', 'rush_hour,heatwave', '--out', dir]);
      const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
      expect(report.seeds).to.deep.equal({ tuning: [1, 2, 3], heldOut: [101] });
      expect(Object.keys(report.scenarios)).to.deep.equal(['rush_hour', 'heatwave']);
      for (const s of Object.values(report.scenarios) as { policies: Record<string, Record<string, number>> }[]) {
        expect(Object.keys(s.policies)).to.deep.equal(['none', 'naive', 'copilot']);
        for (const m of Object.values(s.policies)) {
          expect(Object.keys(m)).to.have.members([
            'lostSwaps',
            'swaps',
            'pWaitOver10',
            'energyCostPerSwap',
            'limitViolationIntervals',
            'chargerTrips',
            'maintenanceTickets',
            'decisionsPerStationHour',
            'planChangeShare',
            'contradictoryPairs',
            'conflictsRecorded',
            'stationHours',
          ]);
          expect(m.stationHours).to.equal(6);
        }
        expect(s.policies.none!.decisionsPerStationHour).to.equal(0);
        expect(s.policies.copilot!.decisionsPerStationHour).to.be.greaterThan(0);
      }
      expect(report.predictors).to.have.keys(['rush_hour', 'heatwave']);
      // The world's behavioural parameters, each with where it comes from, in both reports.
      expect(Object.keys(report.world.params)).to.have.members(Object.keys(report.world.sources));
      expect(report.world.params.incentiveAcceptance).to.equal(0.3);
      expect(report.world.params).to.include({ derateCooling: 1 });
      expect(report.world.params.patienceMin).to.deep.equal([20, 45]);
      // Each parameter at a pessimistic value in the scenario where it matters most (those of the scenarios run).
      const stress = report.world.pessimistic as Record<string, Record<string, unknown>>;
      expect(Object.keys(stress)).to.have.members(['incentiveAcceptance', 'driveSpeedKmh', 'patienceMin', 'derateCooling']);
      for (const [param, r] of Object.entries(stress)) {
        expect(r, param).to.have.keys([
          'default',
          'value',
          'why',
          'scenario',
          'metric',
          'via',
          'copilotActionsAtDefault',
          'noneUnchanged',
          'copilotUnchanged',
          'none',
          'copilot',
          'margin',
          'atDefault',
          'policies',
        ]);
        const at = report.scenarios[r.scenario as string].policies as Record<string, Record<string, number>>;
        const metric = r.metric as string;
        expect(r.atDefault).to.include({ none: at.none![metric], copilot: at.copilot![metric] });
        if (r.noneUnchanged) expect(r.none).to.equal(at.none![metric]);
        if (r.copilotUnchanged) expect(r.copilot).to.equal(at.copilot![metric]);
        expect(r.none).to.equal((r.policies as Record<string, Record<string, number>>).none![metric]);
      }
      expect(stress.patienceMin).to.deep.include({ scenario: 'rush_hour', metric: 'lostSwaps', value: [10, 22.5], noneUnchanged: false });
      expect(stress.derateCooling).to.deep.include({ scenario: 'heatwave', metric: 'chargerTrips', noneUnchanged: true });
      // What bounds lost swaps, measured on none, and every target checked against this run's figures.
      expect(Object.keys(report.limits)).to.deep.equal(['rush_hour']);
      expect(report.limits.rush_hour).to.have.keys([
        'lost',
        'lostOnEmptyShelf',
        'cityChargedAtLossMedian',
        'citySlots',
        'chargerBusyShare',
      ]);
      expect(report.limits.rush_hour.lost).to.equal(report.scenarios.rush_hour.policies.none.lostSwaps);
      const targets = report.targets as { target: string; scenario: string; met: boolean | null; measured: string }[];
      const lost = targets.find((t) => t.target.startsWith('lost swaps') && t.scenario === 'rush_hour')!;
      const { none, copilot } = report.scenarios.rush_hour.policies;
      expect(lost.met).to.equal(none.lostSwaps > 0 ? copilot.lostSwaps <= none.lostSwaps * 0.5 : null);
      expect(targets.filter((t) => t.target.startsWith('100 % of 15-minute')).map((t) => t.scenario)).to.deep.equal([
        'rush_hour',
        'heatwave',
      ]);
      const md = await readFile(join(dir, 'report.md'), 'utf8');
      expect(md).to.contain('## Targets');
      expect(md).to.contain('## Behavioural parameters of the simulated world');
      expect(md).to.contain('| incentiveAcceptance | 0.3 |');
      expect(md).to.contain("## The copilot's margin at pessimistic settings");
      expect(md).to.match(/^\| derateCooling \| 1 -> 0\.5 \| heatwave \| charger trips \| \d+\* \|/m);
      // Every predictor against its trivial baselines: { metric: { model, baselines: { name: value } } }.
      for (const p of Object.values(report.predictors) as {
        scores: Record<string, Record<string, { model: number | null; baselines: Record<string, number | null> }>>;
        verdicts: Record<string, { bestBaseline: string | null; beatsBestBaseline: boolean | null }>;
        wait: { outcomes: Record<string, number> };
      }[]) {
        expect(p.scores).to.have.keys(['wait', 'stockout', 'failure']);
        expect(Object.keys(p.scores.wait!.maeMin!.baselines)).to.include.members(['lastServedWait', 'queueTimesServiceOverBays']);
        expect(Object.keys(p.scores.stockout!.brierStockoutWithin60Min!.baselines)).to.have.members(['constant', 'baseRate']);
        expect(Object.keys(p.scores.failure!.precision!.baselines)).to.deep.equal(['temperatureThreshold']);
        expect(p.scores.failure).to.include.keys('poorCoolingPrecision');
        for (const metrics of Object.values(p.scores))
          for (const c of Object.values(metrics)) expect(c).to.have.keys(['model', 'baselines']);
        expect(p.verdicts).to.have.keys(['wait', 'stockout', 'failure']);
        expect(p.wait.outcomes).to.have.keys(['served', 'reneged', 'turned_away', 'waiting']);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const [args, flag] of [
    [['--scenarios', 'blizzard'], '--scenarios'],
    [['--seeds', '2,101'], '--seeds'],
    [['--duration', '30'], '--duration'],
  ] as const) {
    it(`stops with exit code 2 and one line naming ${flag} for ${args.join(' ')}`, async () => {
      const err = await evaluate([...args]).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err, 'should fail').to.not.equal(null);
      expect(err!.code).to.equal(2);
      expect(err!.stderr.split('\n')[0]).to.contain(flag);
    });
  }
});
