// Throwaway: dumps per-arrival features and truth on the tuning seeds (JSON lines).
import { writeFileSync } from 'node:fs';
import type { StationState } from '../eventBus/types.js';
import { applySignal, initialState } from '../services/pipeline/index.js';
import { createSimulation, SCENARIOS, type ScenarioName } from '../simulator/index.js';
import { activeBays } from '../agents/predictors/wait.js';
import { stationWaitMin } from '../agents/predictors/wait.js';
import { observedRechargeRatePerMin } from '../agents/predictors/stockout.js';
import { lastServedWaits, queueTimesServiceOverBays, type ArrivalPoint } from './evaluate/baselines.js';

const rows: Record<string, unknown>[] = [];
for (const scenario of Object.keys(SCENARIOS) as ScenarioName[]) {
  for (const seed of [1, 2, 3]) {
    const sim = createSimulation({ stations: 20, scenario, seed, durationMin: 180 });
    const states = new Map<string, StationState>(sim.stations.map((r) => [r.id, initialState(r)]));
    const feats = new Map<string, Record<string, unknown>>();
    const arrivals: ArrivalPoint[] = [];
    for (const signal of sim.signals()) {
      const state = states.get(signal.stationId)!;
      const ms = Date.parse(signal.ts);
      if (signal.type === 'arrival' && signal.payload.vehicleId) {
        const q = state.queue;
        const key = signal.payload.vehicleId;
        arrivals.push({ key, stationId: signal.stationId, vehicleId: key, ms });
        feats.set(key, {
          scenario, seed, st: signal.stationId, ms,
          N: q.waiting, c: activeBays(state), open: state.bays.open, staff: state.staff.count, total: state.bays.total,
          svc: q.serviceTimeS, lam: q.arrivalRatePerMin, mu: q.swapRatePerMin,
          dA: q.lastArrivalTs ? (ms - Date.parse(q.lastArrivalTs)) / 60000 : null,
          dS: q.lastSwapTs ? (ms - Date.parse(q.lastSwapTs)) / 60000 : null,
          charged: state.inventory.charged, charging: state.inventory.charging, depleted: state.inventory.depleted,
          model: stationWaitMin(state), qb: queueTimesServiceOverBays(state),
          recentQ: (state.recent['queue_length.waiting'] ?? []).slice(-10),
          prodRate: state.stockFlow && state.stockFlow.minutesEwma > 0 ? state.stockFlow.producedEwma / state.stockFlow.minutesEwma : null,
          swapFlow: state.stockFlow && state.stockFlow.minutesEwma > 0 ? state.stockFlow.swapsEwma / state.stockFlow.minutesEwma : null,
          arrFlow: state.stockFlow && state.stockFlow.minutesEwma > 0 ? state.stockFlow.arrivalsEwma / state.stockFlow.minutesEwma : null,
          sfW: state.stockFlow?.weight ?? 0,
          recharge: observedRechargeRatePerMin(state, 60),
          chargers: Object.values(state.chargers).filter((c) => c.status === 'occupied').length,
        });
      }
      applySignal(state, signal);
    }
    const last = lastServedWaits(sim.truth.waits, arrivals);
    for (const w of sim.truth.waits) {
      const f = feats.get(w.vehicleId);
      if (!f) continue;
      rows.push({ ...f, last: last.get(w.vehicleId), out: w.outcome, wait: w.waitMin });
    }
  }
  console.error(scenario, rows.length);
}
writeFileSync('/tmp/waits.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
