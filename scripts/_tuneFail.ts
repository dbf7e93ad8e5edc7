// Throwaway: per charger_temp reading features and the chargers' truth, tuning seeds.
import { writeFileSync } from 'node:fs';
import type { ChargerState, StationState } from '../eventBus/types.js';
import { applySignal, initialState } from '../services/pipeline/index.js';
import { createSimulation, SCENARIOS, type ScenarioName } from '../simulator/index.js';
import { tempTrendCPerMin } from '../agents/predictors/failureRisk.js';

const W = new Set(['available', 'occupied']);
const med = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const rows: string[] = [];
const truthOut: unknown[] = [];
for (const scenario of Object.keys(SCENARIOS) as ScenarioName[]) {
  for (const seed of [1, 2, 3]) {
    const sim = createSimulation({ stations: 20, scenario, seed, durationMin: 180 });
    const states = new Map<string, StationState>(sim.stations.map((r) => [r.id, initialState(r)]));
    const t0 = Date.parse(sim.truth.start);
    for (const signal of sim.signals()) {
      const state = states.get(signal.stationId)!;
      applySignal(state, signal);
      if (signal.type !== 'charger_temp') continue;
      const c = state.chargers[signal.payload.chargerId]!;
      const now = signal.ts;
      const asym = (x: ChargerState) => (x.tempC ?? 0) + 15 * tempTrendCPerMin(x.temps, now);
      const peers = Object.values(state.chargers).filter((x) => x.id !== c.id && W.has(x.status) && x.tempC !== null);
      const occ = peers.filter((x) => x.status === 'occupied');
      const allT = Object.values(state.chargers).flatMap((x) => x.temps.map((r) => r.tempC));
      const q = (xs: number[], f: number) => { if (!xs.length) return null; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(f * s.length))]!; };
      // time-aligned excess over working peers across the window
      const nowMs = Date.parse(now);
      const ex: number[] = [];
      for (const r of c.temps) {
        const ms = Date.parse(r.ts);
        if (nowMs - ms > 15 * 60_000) continue;
        const at: number[] = [];
        for (const p of peers) {
          let best: { d: number; v: number } | null = null;
          for (const pr of p.temps) { const d = Math.abs(Date.parse(pr.ts) - ms); if (d <= 30_000 && (!best || d < best.d)) best = { d, v: pr.tempC }; }
          if (best) at.push(best.v);
        }
        const m = med(at);
        if (m !== null && at.length >= 2) ex.push(r.tempC - m);
      }
      const exq = (f: number) => q(ex, f);
      rows.push(
        JSON.stringify({
          sc: scenario, seed, st: signal.stationId, id: c.id, t: (Date.parse(now) - t0) / 60000, T: c.tempC, s: c.status,
          sl: tempTrendCPerMin(c.temps, now), sl5: tempTrendCPerMin(c.temps, now, 5), n: c.temps.length, first: c.temps[0]?.tempC,
          pm: med(peers.map((x) => x.tempC!)), pmo: med(occ.map((x) => x.tempC!)), pa: med(peers.map(asym)), pao: med(occ.map(asym)),
          mn: allT.length ? Math.min(...allT) : null, np: peers.length, no: occ.length,
          kW: state.power.drawKW, q75o: q(occ.map((x) => x.tempC!), 0.75), q75ao: q(occ.map(asym), 0.75), exMed: exq(0.5), exQ25: exq(0.25), exN: ex.length, selfA: asym(c), recentKW: (state.recent['power_draw.kW'] ?? []).slice(-15), chg: state.inventory.charging, nf: c.faults.length,
        }),
      );
    }
    for (const ch of sim.truth.chargers) truthOut.push({ sc: scenario, seed, ...ch, trips: sim.truth.failures.filter((f) => f.chargerId === ch.chargerId).map((f) => ({ t: (Date.parse(f.ts) - t0) / 60000, cause: f.cause })) });
  }
  console.error(scenario, rows.length);
}
writeFileSync('/tmp/fail.jsonl', rows.join('\n'));
writeFileSync('/tmp/failTruth.json', JSON.stringify(truthOut));
