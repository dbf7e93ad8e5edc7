// Per-charger setpoints of a curtailment: they add up under the target, a derated charger keeps its
// cap and leaves the rest to the others, an isolated charger gets none, and the supervisor brings
// them up to date in the decision that changes the plan, never as a decision of their own.
import { expect } from 'chai';
import { settle } from '../../agents/plan.js';
import { chargerSetpoints, deriveSetpoints } from '../../agents/setpoints.js';
import { DEFAULT_POLICY } from '../../agents/thresholds.js';
import type { ChargerState, PlanAction, Proposal, StationState } from '../../eventBus/types.js';
import { aPlanAction, aProposal, aSignal, aStation, at, T0 } from '../builders.js';

const charger = (id: string, status: ChargerState['status'] = 'occupied'): ChargerState => ({
  id,
  status,
  tempC: 50,
  temps: [],
  faults: [],
  updatedAt: T0,
});
const chargers = (...ids: string[]) => Object.fromEntries(ids.map((id) => [id, charger(id)]));
const inForce = (id: string, params: PlanAction['params']): PlanAction => {
  const [action, target] = id.split(':') as [PlanAction['action'], string];
  return aPlanAction({ action, target, params });
};
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

describe('per-charger setpoints (peak shaving)', () => {
  it('shares the target equally and never adds up to more than it', () => {
    for (const target of [0, 1, 100, 180, 199.9, 250.7]) {
      const sp = chargerSetpoints(chargers('C1', 'C2', 'C3'), [], target);
      expect(Object.keys(sp)).to.have.members(['C1', 'C2', 'C3']);
      expect(sum(sp)).to.be.at.most(target + 1e-9);
      expect(sum(sp)).to.be.above(target - 0.31);
    }
    expect(chargerSetpoints(chargers('C1', 'C2', 'C3', 'C4'), [], 180)).to.deep.equal({ C1: 45, C2: 45, C3: 45, C4: 45 });
  });

  it('keeps a derated charger at its cap and gives what it leaves to the others', () => {
    const sp = chargerSetpoints(chargers('C1', 'C2', 'C3'), [inForce('derate_charger:C2', { chargerId: 'C2', maxKW: 11 })], 120);
    expect(sp).to.deep.equal({ C1: 54.5, C2: 11, C3: 54.5 });
  });

  it('gives nothing to an isolated or offline charger', () => {
    const cs = chargers('C1', 'C2', 'C3');
    cs.C3!.status = 'offline';
    const sp = chargerSetpoints(cs, [inForce('take_charger_offline:C1', { chargerId: 'C1' })], 90);
    expect(sp).to.deep.equal({ C2: 90 });
  });

  it('derives nothing without a curtailment in force', () => {
    expect(deriveSetpoints([inForce('derate_charger:C1', { chargerId: 'C1', maxKW: 11 })], chargers('C1')).size).to.equal(0);
  });
});

describe('setpoints in the plan', () => {
  const ctx = { policyVersion: 'pv-test', nearby: [] };
  const curtail = (targetKW = 180): Proposal =>
    aProposal({
      agent: 'energy',
      action: 'curtail_charging',
      params: { targetKW },
      urgency: 0.8,
      confidence: 0.9,
      claims: { 'power.kW': -10 },
    });
  const derate = (id: string): Proposal =>
    aProposal({
      agent: 'mechanic',
      action: 'derate_charger',
      params: { chargerId: id, maxKW: 11 },
      urgency: 0.7,
      confidence: 0.85,
      claims: {},
    });
  function run(state: StationState, wants: Proposal[], min: number) {
    const out = settle(wants, state, DEFAULT_POLICY, aSignal('power_draw', { kW: 190 }, { id: `s${min}`, ts: at(min) }), ctx);
    state.plan = out.plan;
    return out.decision;
  }

  it('starts a curtailment with setpoints that add up under its target', () => {
    const s = aStation((x) => (x.chargers = chargers('C1', 'C2', 'C3', 'C4')));
    const d = run(s, [curtail(180)], 0)!;
    expect(d.changes.started[0]!.params).to.deep.equal({ targetKW: 180, 'kW:C1': 45, 'kW:C2': 45, 'kW:C3': 45, 'kW:C4': 45 });
    expect(s.plan.actions[0]!.params).to.deep.equal(d.changes.started[0]!.params);
  });

  it('reshapes the setpoints in the decision that derates a charger, and makes no decision of its own after', () => {
    const s = aStation((x) => (x.chargers = chargers('C1', 'C2', 'C3', 'C4')));
    run(s, [curtail(180)], 0);
    const d = run(s, [curtail(180), derate('C2')], 1)!;
    expect(d.changes.started.map((a) => a.id)).to.deep.equal(['derate_charger:C2']);
    expect(d.changes.adjusted).to.have.length(1);
    expect(d.changes.adjusted[0]).to.deep.include({
      id: 'curtail_charging:station',
      to: { targetKW: 180, 'kW:C1': 56.3, 'kW:C2': 11, 'kW:C3': 56.3, 'kW:C4': 56.4 },
    });
    // The curtailment keeps the decision that started it (an operator's answer to it still applies).
    expect(s.plan.actions.find((a) => a.id === 'curtail_charging:station')!.decisionId).to.equal('dec-S1~s0');
    // The energy agent still wants only its target: the derived setpoints do not make it differ.
    for (let m = 2; m < 10; m++) expect(run(s, [curtail(180), derate('C2')], m)).to.equal(null);
  });

  it("gives a charger an operator returns to service its share in the release's decision", () => {
    const s = aStation((x) => (x.chargers = chargers('C1', 'C2')));
    s.plan.actions = [inForce('take_charger_offline:C2', { chargerId: 'C2', reason: 'critical_fault' })];
    run(
      s,
      [
        curtail(100),
        aProposal({ agent: 'mechanic', action: 'take_charger_offline', params: { chargerId: 'C2', reason: 'critical_fault' } }),
      ],
      0,
    );
    expect(s.plan.actions.find((a) => a.id === 'curtail_charging:station')!.params).to.deep.equal({ targetKW: 100, 'kW:C1': 100 });
    const signal = aSignal(
      'operator_release',
      { actionId: 'take_charger_offline:C2', by: 'op@example.com', note: null },
      { id: 'r1', ts: at(1) },
    );
    const d = settle([], s, DEFAULT_POLICY, signal, ctx, { sticky: (a) => a.action === 'take_charger_offline' }).decision!;
    expect(d.changes.stopped.map((x) => x.reason)).to.deep.equal(['operator']);
    expect(d.changes.adjusted).to.deep.equal([
      {
        id: 'curtail_charging:station',
        agent: 'energy',
        action: 'curtail_charging',
        target: 'station',
        from: { targetKW: 100, 'kW:C1': 100 },
        to: { targetKW: 100, 'kW:C1': 50, 'kW:C2': 50 },
      },
    ]);
  });
});
