// A device did not carry out a command: the action leaves the plan (reason `failed`) in a decision of
// its own, the curtailment's setpoints are shared again without it, and its kind is held back. An answer
// about an earlier version of the action (other parameters) changes nothing.
import { expect } from 'chai';
import { settle } from '../../agents/plan.js';
import { DEFAULT_POLICY } from '../../agents/thresholds.js';
import type { PlanAction } from '../../eventBus/types.js';
import { aSignal, aStation, at, aPlanAction } from '../builders.js';

const ctx = { policyVersion: 'pv-test', nearby: [] };
const inForce = (agent: PlanAction['agent'], action: PlanAction['action'], target: string, params: PlanAction['params']): PlanAction =>
  // An action in force for a while, as the agents and the supervisor find it.
  aPlanAction({ agent, action, target, params, urgency: 0.9, confidence: 0.9, since: at(-10), updatedAt: at(-10) });
const derate = inForce('mechanic', 'derate_charger', 'C1', { chargerId: 'C1', maxKW: 30 });
const curtail = inForce('energy', 'curtail_charging', 'station', { targetKW: 150, 'kW:C1': 30, 'kW:C2': 120 });
const refused = (params: PlanAction['params']) =>
  aSignal(
    'actuation_outcome',
    { decisionId: 'dec-0', actionId: 'derate_charger:C1', kind: 'start', params, outcome: 'timeout', detail: 'no answer within 10000 ms' },
    { id: 'act-1', ts: at(1) },
  );

describe('actuation outcome', () => {
  it('takes what the device did not carry out out of the plan, reshapes the setpoints, and holds it back', () => {
    const s = aStation((x) => (x.plan.actions = [curtail, derate]));
    const { decision, plan } = settle([], s, DEFAULT_POLICY, refused({ chargerId: 'C1', maxKW: 30 }), ctx);
    expect(decision).to.include({ id: 'dec-S1~act-1', signalType: 'actuation_outcome', status: 'executed' });
    expect(decision!.risk.level).to.equal('medium');
    expect(decision!.changes.stopped).to.deep.equal([
      {
        id: 'derate_charger:C1',
        agent: 'mechanic',
        action: 'derate_charger',
        target: 'C1',
        reason: 'failed',
        note: 'the command was not answered in time: no answer within 10000 ms',
      },
    ]);
    expect(decision!.changes.adjusted.map((a) => [a.id, a.to])).to.deep.equal([
      ['curtail_charging:station', { targetKW: 150, 'kW:C1': 75, 'kW:C2': 75 }],
    ]);
    expect(plan.actions.map((a) => a.id)).to.deep.equal(['curtail_charging:station']);
    expect(plan.declined).to.deep.equal([
      {
        id: 'derate_charger:C1',
        decisionId: 'dec-0',
        until: new Date(Date.parse(at(1)) + DEFAULT_POLICY.declineHoldS * 1000).toISOString(),
      },
    ]);
  });

  it('changes nothing when the action in force is no longer the version the device answered about', () => {
    const s = aStation((x) => (x.plan.actions = [curtail, derate]));
    const { decision, plan } = settle([], s, DEFAULT_POLICY, refused({ chargerId: 'C1', maxKW: 20 }), ctx);
    expect(decision).to.equal(null);
    expect(plan).to.equal(s.plan);
  });
});
