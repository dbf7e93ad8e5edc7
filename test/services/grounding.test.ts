// The grounding check and the explanation cache, on decisions the real agents make.
import { expect } from 'chai';
import { assess } from '../../agents/AuditorAgent.js';
import { decide } from '../../agents/index.js';
import { DEFAULT_POLICY } from '../../agents/thresholds.js';
import type { Decision } from '../../eventBus/types.js';
import { applySignal, cloneState } from '../../services/pipeline/stationFold.js';
import { checkGrounding, statedNumbers } from '../../services/llm/explanations/grounding.js';
import { ExplanationCache, fill, situationKey, toTemplate } from '../../services/llm/explanations/cache.js';
import { T0, aContext, aSignal, aStation } from '../builders.js';

/** A charger running hot: the mechanic's decision quotes its temperature and trend. */
function hotCharger(tempC: number, id = 'hot-1'): Decision {
  const before = aStation();
  const signal = aSignal('charger_temp', { chargerId: 'C1', tempC }, { id, ts: T0 });
  const state = applySignal(cloneState(before), signal);
  const ctx = aContext((c) => (c.assessment = assess(state, signal, c.thresholds)));
  const { decision } = decide(state, signal, ctx, DEFAULT_POLICY);
  if (!decision) throw new Error('no decision');
  return decision;
}

/** The last working charger reports a ground fault: other actions, high risk. */
function groundFault(): Decision {
  const before = aStation((s) => (s.chargers.C2!.status = 'faulted'));
  const signal = aSignal('charger_status', { chargerId: 'C1', status: 'faulted', errorCode: 'GroundFailure' }, { id: 'gf-1', ts: T0 });
  const state = applySignal(cloneState(before), signal);
  const { decision } = decide(
    state,
    signal,
    aContext((c) => (c.assessment = assess(state, signal, c.thresholds))),
    DEFAULT_POLICY,
  );
  return decision!;
}

describe('explanation grounding', () => {
  const d = hotCharger(91.25);

  it('finds the numbers a text states, not the digits inside ids', () => {
    expect(statedNumbers('Charger C1 at st-12 reached 91.3 C, 80% risk; see dec-9f3.').map((n) => n.text)).to.deep.equal(['91.3', '80']);
  });

  it('accepts a text whose figures are the evidence, as rounded', () => {
    // The evidence holds 91.3 C and a 70 C limit; 91 is 91.3 as rounded to whole degrees.
    const g = checkGrounding(
      `Charger C1 at ${d.stationId} is at 91 C, over its 70 C limit, so the mechanic acts now. Risk is ${d.risk.level}.`,
      d,
      [d.stationId],
    );
    expect(g.reasons).to.deep.equal([]);
    expect(g.ok).to.equal(true);
    expect(g.matched.map((m) => m.figure.path)).to.deep.equal([
      'mechanic/escalate_ticket/evidence/tempC',
      'mechanic/escalate_ticket/evidence/limitC',
    ]);
  });

  it('rejects a number the evidence does not hold, another station, another decision, and a text out of bounds', () => {
    const base = `Charger C1 at ${d.stationId} is at 91.3 C and acts now.`;
    expect(checkGrounding(base.replace('91.3', '97'), d, []).reasons).to.deep.equal(["states 97, which is not in the decision's evidence"]);
    expect(checkGrounding(`${base} Station st-other is fine.`, d, ['st-other']).reasons[0]).to.contain('names st-other');
    expect(checkGrounding(`${base} Like dec-older.`, d, []).reasons[0]).to.contain('dec-older');
    // Its own id, named by station and signal, is fine; another station's decision for the same signal id is not.
    expect(checkGrounding(`${base} See ${d.id}.`, d, []).reasons).to.deep.equal([]);
    expect(checkGrounding(`${base} Like ${d.id.replace(d.stationId, 'st-other')}.`, d, []).reasons[0]).to.contain('not this decision');
    for (const planted of ['See https://evil.example/x.', 'Go to www.evil.example now.', '![x](https://e.example/p.png)', '<img src=x>'])
      expect(checkGrounding(`${base} ${planted}`, d, []).reasons, planted).to.include('holds a link or image');
    expect(checkGrounding('Too short.', d, []).ok).to.equal(false);
    expect(checkGrounding('x'.repeat(800), d, []).ok).to.equal(false);
  });

  it('reuses a cached text with the new decision figures, and only for the same situation', () => {
    const text = `Charger C1 is at 91.3 C and the copilot acts now to protect it.`;
    const g = checkGrounding(text, d, []);
    expect(g.ok).to.equal(true);
    const cache = new ExplanationCache(10);
    cache.set(situationKey(d, 'v1'), toTemplate(text, g, 'm'));
    const similar = hotCharger(91.4, 'hot-2');
    expect(situationKey(similar, 'v1')).to.equal(situationKey(d, 'v1'));
    const hit = cache.get(situationKey(similar, 'v1'));
    const filled = fill(hit!, similar);
    expect(filled).to.equal('Charger C1 is at 91.4 C and the copilot acts now to protect it.');
    expect(checkGrounding(filled!, similar, []).ok).to.equal(true);
    // Same agents, actions and evidence, figures of the same sign and magnitude: the same situation.
    expect(situationKey(hotCharger(80, 'cooler'), 'v1')).to.equal(situationKey(d, 'v1'));
    expect(situationKey(groundFault(), 'v1')).to.not.equal(situationKey(d, 'v1'));
    expect(situationKey(d, 'v2')).to.not.equal(situationKey(d, 'v1'));
    expect([cache.hits, cache.misses]).to.deep.equal([1, 0]);
  });
});
