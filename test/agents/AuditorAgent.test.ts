import { expect } from 'chai';
import { assess, evaluate, review } from '../../agents/AuditorAgent.js';
import { DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import { applySignal, cloneState } from '../../services/pipeline/stationFold.js';
import { T0, aContext, aProposal, aSignal, aStation, at } from '../builders.js';

const boost = (kW: number) =>
  aProposal({ agent: 'energy', action: 'boost_charging', params: { boostKW: kW }, claims: { 'power.kW': kW, 'charging.rate': 1 } });
const incentive = aProposal({
  agent: 'traffic',
  action: 'offer_incentive',
  params: { targetStationId: 'S2', amount: 5 },
  claims: { 'budget.incentive': 5 },
});

describe('AuditorAgent', () => {
  describe('assess', () => {
    const withTemps = () => aStation((s) => (s.recent['charger_temp.tempC'] = [40, 41, 39, 40, 40, 41, 39, 40]));

    it('scores the reading against the station window', () => {
      const a = assess(withTemps(), aSignal('charger_temp', { chargerId: 'C1', tempC: 48 }, { ts: at(1) }), DEFAULT_THRESHOLDS);
      // window mean 40, std 0.707, floored at 1 C: z = 8
      expect(a).to.deep.equal({ anomalous: true, zScore: 8, stale: false, ageS: 60, reasons: ['charger_temp.tempC z-score 8 beyond 3.5'] });
    });

    it('accepts ordinary readings and signals without a metric', () => {
      expect(assess(withTemps(), aSignal('charger_temp', { chargerId: 'C1', tempC: 41 }), DEFAULT_THRESHOLDS)).to.include({
        anomalous: false,
        zScore: 1,
      });
      expect(assess(withTemps(), aSignal('arrival', {}), DEFAULT_THRESHOLDS)).to.include({ anomalous: false, zScore: null });
    });

    it('marks the state stale when its last update is older than 5 minutes', () => {
      const a = assess(aStation(), aSignal('arrival', {}, { ts: at(6) }), DEFAULT_THRESHOLDS);
      expect(a).to.include({ stale: true, ageS: 360, anomalous: false });
      expect(a.reasons).to.deep.equal(['station state 360 s old, beyond 300 s']);
      expect(assess(aStation(), aSignal('arrival', {}, { ts: at(5) }), DEFAULT_THRESHOLDS).stale).to.equal(false);
    });

    it('gives the same answer before and after the signal is folded in', () => {
      const before = withTemps();
      const signal = aSignal('charger_temp', { chargerId: 'C1', tempC: 55 }, { ts: at(7) });
      const after = applySignal(cloneState(before), signal);
      expect(assess(after, signal, DEFAULT_THRESHOLDS)).to.deep.equal(assess(before, signal, DEFAULT_THRESHOLDS));
      expect(assess(after, signal, DEFAULT_THRESHOLDS).stale).to.equal(true);
    });
  });

  describe('evaluate (flag_anomaly)', () => {
    it('flags an anomalous signal with the numbers behind it', () => {
      const ctx = aContext((c) => (c.assessment = { anomalous: true, zScore: 8, stale: false, ageS: 60, reasons: ['z'] }));
      const [p] = evaluate(aStation(), aSignal('charger_temp', { chargerId: 'C1', tempC: 48 }, { id: 'sig-x' }), ctx);
      expect(p!.action).to.equal('flag_anomaly');
      expect(p!.params).to.deep.equal({ signalId: 'sig-x', reason: 'z' });
      expect(p!.evidence).to.deep.equal({
        anomalous: true,
        stale: false,
        zScoreLimit: 3.5,
        staleSeconds: 300,
        metric: 'charger_temp.tempC',
        value: 48,
        zScore: 8,
        ageS: 60,
      });
    });

    it('flags stale state too, and stays silent on clean data', () => {
      const stale = aContext((c) => (c.assessment = { anomalous: false, zScore: null, stale: true, ageS: 400, reasons: ['old'] }));
      expect(evaluate(aStation(), aSignal('arrival', {}), stale)[0]!.evidence).to.include({ stale: true, ageS: 400 });
      expect(evaluate(aStation(), aSignal('arrival', {}), aContext())).to.deep.equal([]);
    });
  });

  describe('review (veto)', () => {
    it('vetoes a power increase while a charger is over its temperature limit', () => {
      const s = aStation((x) => (x.chargers.C2!.tempC = 75));
      const [v] = review([boost(20)], s, aContext());
      expect(v!.action).to.equal('veto');
      expect(v!.params).to.deep.equal({
        target: 'boost_charging',
        targetAgent: 'energy',
        reason: 'no power increase while charger C2 is over its temperature limit',
      });
      expect(v!.evidence).to.deep.equal({ chargerId: 'C2', tempC: 75, limitC: 70, powerIncreaseKW: 20, hotChargers: 1 });
    });

    it('vetoes a power increase beyond the grid limit or with unknown headroom', () => {
      const [v] = review([boost(120)], aStation(), aContext());
      expect(v!.params.reason).to.equal('power increase beyond the grid limit');
      expect(v!.evidence).to.deep.equal({ drawKW: 100, limitKW: 200, powerIncreaseKW: 120, plannedKW: 220 });
      const unknown = aStation((x) => (x.power.limitKW = null));
      expect(review([boost(10)], unknown, aContext())[0]!.params.reason).to.equal('power increase with unknown grid headroom');
    });

    it("vetoes an incentive once this hour's budget is spent, not before", () => {
      const spent = aStation((x) => (x.incentives = { hour: T0.slice(0, 13), spent: 50 }));
      const [v] = review([incentive], spent, aContext());
      expect(v!.params).to.include({ target: 'offer_incentive', targetAgent: 'traffic' });
      expect(v!.evidence).to.deep.equal({ hourlyBudget: 50, budgetSpent: 50, amount: 5 });
      const partly = aStation((x) => (x.incentives = { hour: T0.slice(0, 13), spent: 48 }));
      expect(review([incentive], partly, aContext())).to.deep.equal([]);
    });

    it('lets compliant proposals and power sheds through', () => {
      const shed = aProposal({ agent: 'energy', action: 'curtail_charging', claims: { 'power.kW': -30 } });
      const hot = aStation((x) => (x.chargers.C1!.tempC = 90));
      expect(review([boost(50), incentive], aStation(), aContext())).to.deep.equal([]);
      expect(review([shed], hot, aContext())).to.deep.equal([]);
    });
  });
});
