// Throwaway: the evaluator's failure-alarm scoring (same code path), optionally passing the station's chargers and draw.
import { DEFAULT_THRESHOLDS } from '../agents/thresholds.js';
import { failureRisk } from '../agents/predictors/failureRisk.js';
import type { StationState } from '../eventBus/types.js';
import { applySignal, initialState } from '../services/pipeline/index.js';
import { createSimulation, SCENARIOS, type GroundTruth, type ScenarioName } from '../simulator/index.js';
import { scoreAlarmDefects, scoreFailures } from '../simulator/score.js';
import { AlarmTracker } from './evaluate/baselines.js';

const withPeers = process.argv[2] !== 'own';
const seeds = (process.argv[3] ?? '1,2,3').split(',').map(Number);
const only = process.argv[4]?.split(',') as ScenarioName[] | undefined;
const mech = DEFAULT_THRESHOLDS.mechanic;
const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? '-' : x.toFixed(d));
for (const scenario of only ?? (Object.keys(SCENARIOS) as ScenarioName[])) {
  const failures: GroundTruth['failures'] = [];
  const chargers: GroundTruth['chargers'] = [];
  const model = new AlarmTracker(15);
  for (const seed of seeds) {
    const sim = createSimulation({ stations: 20, scenario, seed, durationMin: 180 });
    const states = new Map<string, StationState>(sim.stations.map((r) => [r.id, initialState(r)]));
    const failed = new Set<string>();
    for (const signal of sim.signals()) {
      const state = states.get(signal.stationId)!;
      applySignal(state, signal);
      if (signal.type !== 'charger_temp' && signal.type !== 'charger_status') continue;
      const charger = state.chargers[signal.payload.chargerId];
      if (!charger) continue;
      const key = `${seed}/${charger.id}`;
      if (signal.type === 'charger_status') {
        if (signal.payload.status === 'available') failed.delete(key);
        else if (sim.truth.failures.some((x) => x.chargerId === charger.id && x.ts === signal.ts)) failed.add(key);
      }
      const down = charger.status === 'offline' || failed.has(key);
      const risk = down
        ? 0
        : failureRisk({
            charger,
            now: signal.ts,
            tempLimitC: mech.tempLimitC,
            faultWindowMin: mech.faultWindowMin,
            repeatedFaults: mech.repeatedFaults,
            criticalErrorCodes: mech.criticalErrorCodes,
            ...(withPeers ? { peers: Object.values(state.chargers), stationKW: state.power.drawKW } : {}),
          }).score;
      model.update(key, Date.parse(signal.ts), !down && risk >= mech.riskMaintenance);
    }
    for (const c of sim.truth.chargers) chargers.push({ ...c, chargerId: `${seed}/${c.chargerId}` });
    for (const x of sim.truth.failures) failures.push({ ...x, chargerId: `${seed}/${x.chargerId}` });
  }
  const opts = (lead: number) => ({ lookbackMin: 60, horizonMin: 60, minLeadMin: lead });
  const s10 = scoreFailures(failures, model.alarms, opts(10));
  const s15 = scoreFailures(failures, model.alarms, opts(15));
  const d = scoreAlarmDefects(model.alarms, chargers, failures);
  const oh = failures.filter((x) => x.cause === 'overheat').length;
  const poorSet = new Set(chargers.filter((c) => c.poorCooling).map((c) => c.chargerId));
  const alarmedSet = new Set(model.alarms.map((a) => a.chargerId));
  const chP = [...alarmedSet].filter((id) => poorSet.has(id)).length / Math.max(1, alarmedSet.size);
  console.log(
    `${scenario.padEnd(12)} chargersAlarmed ${alarmedSet.size} chargerPrec ${f(chP)} alarms ${d.alarms} poorCooling P ${f(d.poorCoolingPrecision)} R ${f(d.poorCoolingRecall)} (${d.poorCoolingAlarmed}/${d.poorCoolingChargers}) | trips ${s10.failures} (overheat ${oh}) rec ${f(s10.recall)} rec@10 ${f(s10.recallWithLead)} rec@15 ${f(s15.recallWithLead)} medLead ${f(s10.medianLeadMin, 1)} tripPrec ${f(s10.precision)} | overheat@15 ${s15.byCause.overheat ? `${s15.byCause.overheat.detectedWithLead}/${s15.byCause.overheat.failures}` : '-'} wear@15 ${s15.byCause.wear ? `${s15.byCause.wear.detectedWithLead}/${s15.byCause.wear.failures}` : '-'}`,
  );
}
