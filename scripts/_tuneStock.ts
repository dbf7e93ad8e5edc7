// Throwaway: dumps stockout prediction points (features) and the stockouts on the tuning seeds.
import { writeFileSync } from 'node:fs';
import type { StationState } from '../eventBus/types.js';
import { applySignal, initialState } from '../services/pipeline/index.js';
import { createSimulation, SCENARIOS, type ScenarioName } from '../simulator/index.js';
import { activeBays } from '../agents/predictors/wait.js';
import { drainRatePerMin, observedRechargeRatePerMin, rechargeRatePerMin, stockView } from '../agents/predictors/stockout.js';

const out: unknown[] = [];
for (const scenario of Object.keys(SCENARIOS) as ScenarioName[]) {
  for (const seed of [1, 2, 3]) {
    const sim = createSimulation({ stations: 20, scenario, seed, durationMin: 180 });
    const states = new Map<string, StationState>(sim.stations.map((r) => [r.id, initialState(r)]));
    const last = new Map<string, number>();
    const pts: unknown[] = [];
    for (const signal of sim.signals()) {
      const state = states.get(signal.stationId)!;
      applySignal(state, signal);
      if (signal.type !== 'battery_stock') continue;
      const ms = Date.parse(signal.ts);
      const l = last.get(signal.stationId);
      if (l !== undefined && ms - l < 300_000) continue;
      last.set(signal.stationId, ms);
      const v = stockView(state, 60);
      if (!v) continue;
      const inv = state.inventory;
      const f = state.stockFlow;
      pts.push({
        st: signal.stationId, ms, eta: v.minutesToStockout, charged: inv.charged, charging: inv.charging, depleted: inv.depleted, faulty: inv.faulty,
        slots: state.capacity.batterySlots, chargers: state.capacity.chargers, c: activeBays(state), N: state.queue.waiting,
        drain: v.drainRatePerMin, drainSteady: drainRatePerMin(state, rechargeRatePerMin(inv.charging, 60), true), recharge: v.rechargeRatePerMin,
        nominal: rechargeRatePerMin(inv.charging, 60), obsRecharge: observedRechargeRatePerMin(state, 60),
        lam: state.queue.arrivalRatePerMin, mu: state.queue.swapRatePerMin, svc: state.queue.serviceTimeS,
        sfW: f?.weight ?? 0, prod: f && f.minutesEwma > 0 ? f.producedEwma / f.minutesEwma : null,
        swapsF: f && f.minutesEwma > 0 ? f.swapsEwma / f.minutesEwma : null, arrF: f && f.minutesEwma > 0 ? f.arrivalsEwma / f.minutesEwma : null,
        hist: (state.recent['battery_stock.charged'] ?? []).slice(-30),
        drawKW: state.power.drawKW, limitKW: state.power.limitKW,
        occupied: Object.values(state.chargers).filter((c) => c.status === 'occupied').length,
        working: Object.values(state.chargers).filter((c) => c.status === 'occupied' || c.status === 'available').length,
      });
    }
    out.push({ scenario, seed, start: sim.truth.start, durationMin: 180, stockouts: sim.truth.stockouts, pts });
  }
  console.error(scenario);
}
writeFileSync('/tmp/stock.json', JSON.stringify(out));
