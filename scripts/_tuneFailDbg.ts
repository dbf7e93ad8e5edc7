// Throwaway: why healthy chargers alarm.
import { DEFAULT_THRESHOLDS } from '../agents/thresholds.js';
import { failureRisk } from '../agents/predictors/failureRisk.js';
import type { StationState } from '../eventBus/types.js';
import { applySignal, initialState } from '../services/pipeline/index.js';
import { createSimulation, type ScenarioName } from '../simulator/index.js';
const mech = DEFAULT_THRESHOLDS.mechanic;
const scenario = (process.argv[2] ?? 'stockout') as ScenarioName;
for (const seed of [1, 2, 3]) {
  const sim = createSimulation({ stations: 20, scenario, seed, durationMin: 180 });
  const states = new Map<string, StationState>(sim.stations.map((r) => [r.id, initialState(r)]));
  const up = new Map<string, boolean>();
  const t0 = Date.parse(sim.truth.start);
  for (const signal of sim.signals()) {
    const state = states.get(signal.stationId)!;
    applySignal(state, signal);
    if (signal.type !== 'charger_temp') continue;
    const c = state.chargers[signal.payload.chargerId]!;
    const r = failureRisk({ charger: c, now: signal.ts, tempLimitC: mech.tempLimitC, faultWindowMin: 60, repeatedFaults: 3, criticalErrorCodes: mech.criticalErrorCodes, peers: Object.values(state.chargers), stationKW: state.power.drawKW });
    const on = r.score >= 0.5;
    if (on && !up.get(c.id)) {
      const truth = sim.truth.chargers.find((x) => x.chargerId === c.id)!;
      if (!truth.poorCooling) {
        const occ = Object.values(state.chargers).filter((x) => x.status === 'occupied').length;
        console.log(seed, c.id, `cf=${truth.coolingFactor} t=${((Date.parse(signal.ts) - t0) / 60000).toFixed(1)} st=${c.status} T=${c.tempC} proj=${r.projectedC?.toFixed(1)} ex=${r.excessCPerKW?.toFixed(3)} kW=${state.power.drawKW} occ=${occ} faults=${r.recentFaults} crit=${r.criticalCode} peers=${Object.values(state.chargers).map((x) => `${x.status[0]}${x.tempC}`).join(',')}`);
      }
    }
    up.set(c.id, on);
  }
}
