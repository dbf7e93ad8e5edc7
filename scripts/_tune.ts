// Throwaway: predictor figures on the tuning seeds.
import { evaluateScenario, TUNING_SEEDS } from './evaluate-predictors.js';
import { SCENARIOS, type ScenarioName } from '../simulator/index.js';

const only = process.argv[2]?.split(',') as ScenarioName[] | undefined;
const scen = only ?? (Object.keys(SCENARIOS) as ScenarioName[]);
const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? '-' : x.toFixed(d));
for (const s of scen) {
  const r = evaluateScenario(s, TUNING_SEEDS, 20, 180);
  const w = r.scores.wait!.maeMin!;
  const best = Math.min(...Object.entries(w.baselines).filter(([k]) => k !== 'zero').map(([, v]) => v ?? Infinity));
  const st = r.baselines.stockout;
  const fl = r.scores.failure!;
  console.log(
    `${s.padEnd(12)} wait ${f(w.model)} best ${f(best)} ratio ${f((w.model ?? 0) / best)} | stock skill ${f(st.brierSkill)} base ${f(st.baseRate)} n=${st.points} | ` +
      `fail alarms ${r.baselines.failure.defects.model.alarms} pcP ${f(fl.poorCoolingPrecision!.model)} pcR ${f(fl.poorCoolingRecall!.model)} (${r.baselines.failure.defects.model.poorCoolingChargers}) ` +
      `trip n=${r.failure.failures} rec ${f(r.failure.recall)} rec@10 ${f(r.failure.recallWithLead)} med ${f(r.failure.medianLeadMin, 1)} prec ${f(r.failure.precision)} | temp pcP ${f(fl.poorCoolingPrecision!.baselines.temperatureThreshold)} pcR ${f(fl.poorCoolingRecall!.baselines.temperatureThreshold)}`,
  );
}
