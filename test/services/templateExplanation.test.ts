// Every figure a template explanation states must be in the decision's evidence:
// checked over every decision the simulator's scenarios provoke.
import { expect } from 'chai';
import { createSimulation } from '../../simulator/index.js';
import { OfflinePipeline } from '../../services/pipeline/offline.js';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import { templateExplanation, formatEntry } from '../../services/llm/explanations/template.js';
import type { Decision } from '../../eventBus/types.js';

function decisionsOf(scenario: 'heatwave' | 'rush_hour' | 'stockout' | 'price_spike', durationMin: number): Decision[] {
  const sim = createSimulation({ stations: 4, scenario, seed: 7, durationMin });
  const pipeline = new OfflinePipeline(
    sim.stations,
    { thresholds: DEFAULT_THRESHOLDS, policy: DEFAULT_POLICY, policyVersion: 'pv-test', disabled: [] },
    { nearbyKm: 15, maxNearby: 10 },
  );
  const out: Decision[] = [];
  for (const signal of sim.signals()) {
    const decision = pipeline.ingest(signal);
    if (decision) out.push(JSON.parse(JSON.stringify(decision)) as Decision);
  }
  return out;
}

/** Numbers in the text once every identifier the decision carries is taken out. */
function statedNumbers(text: string, d: Decision): number[] {
  const ids = new Set<string>([d.stationId]);
  for (const p of [...d.actions, ...d.rejected.map((r) => r.proposal)]) {
    for (const v of [...Object.values(p.evidence), ...Object.values(p.params)]) if (typeof v === 'string') ids.add(v);
  }
  let rest = text;
  for (const id of [...ids].sort((a, b) => b.length - a.length)) rest = rest.split(id).join(' ');
  return (rest.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
}

describe('template explanations', function () {
  // Four simulated scenarios through the whole pipeline: CPU-bound, about 15 s on an idle machine.
  this.timeout(90_000);
  let decisions: Decision[] = [];
  before(() => {
    decisions = [
      ...decisionsOf('heatwave', 240),
      ...decisionsOf('rush_hour', 180),
      ...decisionsOf('stockout', 180),
      ...decisionsOf('price_spike', 240),
    ];
  });

  it('are produced for a broad set of actions', () => {
    const actions = new Set(decisions.flatMap((d) => d.actions.map((a) => a.action)));
    expect(actions.size).to.be.greaterThanOrEqual(5);
  });

  it('state only numbers present in the evidence', () => {
    let checked = 0;
    for (const d of decisions) {
      const evidence = new Set<number>();
      for (const p of [...d.actions, ...d.rejected.map((r) => r.proposal)])
        for (const v of Object.values(p.evidence)) if (typeof v === 'number') evidence.add(v);
      for (const n of statedNumbers(templateExplanation(d), d)) {
        expect(evidence.has(n), `${n} in "${templateExplanation(d)}"`).to.equal(true);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(50);
  });

  it('say when an operator must approve', () => {
    const executed = decisions.find((d) => d.status === 'executed')!;
    expect(templateExplanation(executed)).to.not.include('operator must approve');
    expect(templateExplanation({ ...executed, status: 'pending_approval' })).to.include('operator must approve');
  });

  it('put units on figures by their key', () => {
    expect(formatEntry('drawKW', 48.5)).to.equal('draw 48.5 kW');
    expect(formatEntry('predictedWaitMin', 14)).to.equal('predicted wait 14 min');
    expect(formatEntry('curtailPct', 90)).to.equal('curtail 90%');
    expect(formatEntry('tempTrendCPerMin', 2.03)).to.equal('temp trend 2.03 C per min');
    expect(formatEntry('swapRatePerMin', 0.5)).to.equal('swap rate 0.5 per min');
    expect(formatEntry('pricePerKWh', 0.31)).to.equal('price 0.31 per kWh');
    expect(formatEntry('overLimit', false)).to.equal('over limit: no');
    expect(formatEntry('targetStationId', 'st-002')).to.equal('target station id st-002');
  });
});
