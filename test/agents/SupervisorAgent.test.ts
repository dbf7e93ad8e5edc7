import { expect } from 'chai';
import { settle } from '../../agents/plan.js';
import { arbitrate } from '../../agents/SupervisorAgent.js';
import { DEFAULT_POLICY } from '../../agents/thresholds.js';
import type { Proposal, Signal, StationState, SupervisorPolicy } from '../../eventBus/types.js';

/** One signal's arbitration on a station with nothing in force: the decision, or null when the plan does not change. */
const resolve = (proposals: Proposal[], st: StationState, policy: SupervisorPolicy, sig: Signal) =>
  settle(proposals, st, policy, sig, { policyVersion: 'pv-test', nearby: [] }).decision;
import { T0, aProposal, aSignal, aStation } from '../builders.js';

const signal = aSignal('power_draw', { kW: 100 }, { id: 'sig-42', ts: T0 });
const state = aStation();

const boost = (over: Partial<Proposal> = {}) =>
  aProposal({
    agent: 'energy',
    action: 'boost_charging',
    params: { boostKW: 20 },
    claims: { 'power.kW': 20, 'charging.rate': 1 },
    ...over,
  });
const curtail = (over: Partial<Proposal> = {}) =>
  aProposal({
    agent: 'energy',
    action: 'curtail_charging',
    params: { shedKW: 10 },
    claims: { 'power.kW': -10, 'charging.rate': -1 },
    ...over,
  });
const defer = (over: Partial<Proposal> = {}) =>
  aProposal({ agent: 'energy', action: 'defer_charging', claims: { 'charging.rate': -1 }, ...over });
const prioritize = (over: Partial<Proposal> = {}) =>
  aProposal({ agent: 'logistics', action: 'prioritize_charging', claims: { 'charging.rate': 1 }, ...over });
const openBay = (over: Partial<Proposal> = {}) =>
  aProposal({ agent: 'traffic', action: 'open_bay', params: { count: 1 }, claims: { bays: 1, staff: 1, 'service.capacity': 1 }, ...over });
const offline = (chargerId = 'C1') =>
  aProposal({
    agent: 'mechanic',
    action: 'take_charger_offline',
    params: { chargerId },
    urgency: 0.95,
    confidence: 0.9,
    claims: { [`charger:${chargerId}`]: 1, 'service.capacity': -1 },
  });
const quarantine = aProposal({ agent: 'mechanic', action: 'quarantine_battery', params: { batteryId: 'B1' }, claims: { 'battery:B1': 1 } });
const veto = (target: string, targetAgent: string) =>
  aProposal({ agent: 'auditor', action: 'veto', params: { target, targetAgent, reason: 'policy' }, urgency: 1, confidence: 1 });
const flag = (evidence: Proposal['evidence']) => aProposal({ agent: 'auditor', action: 'flag_anomaly', evidence });

const actionsOf = (d: ReturnType<typeof resolve>) => d!.actions.map((p) => p.action);
const rejectedOf = (d: ReturnType<typeof resolve>) => d!.rejected.map((r) => [r.proposal.action, r.rule]);

describe('SupervisorAgent.resolve', () => {
  it('makes no decision without proposals, or with vetoes only', () => {
    expect(resolve([], state, DEFAULT_POLICY, signal)).to.equal(null);
    expect(resolve([veto('boost_charging', 'energy')], state, DEFAULT_POLICY, signal)).to.equal(null);
  });

  it('stamps the decision from the signal and the state', () => {
    const d = resolve([quarantine], state, DEFAULT_POLICY, signal)!;
    expect(d).to.include({ id: 'dec-S1~sig-42', stationId: 'S1', signalId: 'sig-42', signalType: 'power_draw', ts: T0, stateVersion: 10 });
    expect(d.trail.map((t) => t.rule)).to.deep.equal([
      'auditor_veto',
      'safety_first',
      'grid_limit',
      'service_continuity',
      'priority',
      'capacity',
      'merge',
    ]);
  });

  it('rule 1: an auditor veto removes its target', () => {
    const d = resolve([boost(), quarantine, veto('boost_charging', 'energy')], state, DEFAULT_POLICY, signal)!;
    expect(actionsOf(d)).to.deep.equal(['quarantine_battery']);
    expect(d.rejected).to.deep.equal([{ proposal: boost(), rule: 'auditor_veto', reason: 'policy' }]);
    expect(d.trail[0]).to.deep.equal({ rule: 'auditor_veto', note: '1 veto(es), 1 proposal(s) removed' });
  });

  it('rule 1: a vetoed want changes nothing, so there is no decision; the arbitration keeps the loser', () => {
    expect(resolve([boost(), veto('boost_charging', 'energy')], state, DEFAULT_POLICY, signal)).to.equal(null);
    const a = arbitrate([boost(), veto('boost_charging', 'energy')], state);
    expect(a.winners).to.deep.equal([]);
    expect(a.rejected.map((r) => [r.proposal.action, r.rule])).to.deep.equal([['boost_charging', 'auditor_veto']]);
  });

  it('rule 2: safety wins open_bay vs take_charger_offline, even against a higher score', () => {
    const d = resolve([openBay({ urgency: 1, confidence: 1 }), offline('C1')], state, DEFAULT_POLICY, signal)!;
    expect(actionsOf(d)).to.deep.equal(['take_charger_offline']);
    expect(d.conflicts).to.deep.equal([
      { resource: 'service.capacity', between: ['open_bay', 'take_charger_offline'], winner: 'take_charger_offline', rule: 'safety_first' },
    ]);
    expect(rejectedOf(d)).to.deep.equal([['open_bay', 'safety_first']]);
  });

  it('rule 3: a power increase that would pass the grid limit is rejected', () => {
    const wants = [boost({ params: { boostKW: 120 }, claims: { 'power.kW': 120, 'charging.rate': 1 } })];
    expect(resolve(wants, state, DEFAULT_POLICY, signal)).to.equal(null);
    const d = arbitrate(wants, state);
    expect(d.winners).to.deep.equal([]);
    expect(d.rejected[0]!.rule).to.equal('grid_limit');
    expect(d.rejected[0]!.reason).to.equal('adds 120 kW to a planned 100 kW, above the 200 kW limit');
  });

  it('rule 3: increases are admitted together only while the sum fits', () => {
    const a = boost({ urgency: 0.9, confidence: 1, claims: { 'power.kW': 60 } });
    const b = aProposal({ agent: 'logistics', action: 'offer_surplus', urgency: 0.1, claims: { 'power.kW': 60 } });
    const d = resolve([b, a], state, DEFAULT_POLICY, signal)!;
    expect(actionsOf(d)).to.deep.equal(['boost_charging']);
    expect(rejectedOf(d)).to.deep.equal([['offer_surplus', 'grid_limit']]);
    expect(d.trail[2]!.note).to.equal('0 conflict(s) won by grid protection, 1 power increase(s) blocked; planned draw 160 of 200 kW');
  });

  it('rule 3: over the hard limit, curtailment beats prioritize_charging', () => {
    const over = aStation((s) => (s.power.drawKW = 220));
    const d = resolve([prioritize({ urgency: 1, confidence: 1 }), curtail()], over, DEFAULT_POLICY, signal)!;
    expect(actionsOf(d)).to.deep.equal(['curtail_charging']);
    expect(d.conflicts).to.deep.equal([
      { resource: 'charging.rate', between: ['prioritize_charging', 'curtail_charging'], winner: 'curtail_charging', rule: 'grid_limit' },
    ]);
  });

  it('rule 4: below the limit, prioritize_charging (service) beats curtail_charging (cost)', () => {
    const d = resolve([prioritize({ urgency: 0.1 }), curtail({ urgency: 1, confidence: 1 })], state, DEFAULT_POLICY, signal)!;
    expect(actionsOf(d)).to.deep.equal(['prioritize_charging']);
    expect(d.conflicts[0]).to.deep.equal({
      resource: 'charging.rate',
      between: ['prioritize_charging', 'curtail_charging'],
      winner: 'prioritize_charging',
      rule: 'service_continuity',
    });
  });

  it('rule 5: boost vs curtail goes to the higher urgency x confidence', () => {
    const d = resolve(
      [boost({ urgency: 0.3, confidence: 0.7 }), curtail({ urgency: 0.8, confidence: 0.9 })],
      state,
      DEFAULT_POLICY,
      signal,
    )!;
    expect(actionsOf(d)).to.deep.equal(['curtail_charging']);
    expect(d.conflicts).to.deep.equal([
      { resource: 'charging.rate', between: ['boost_charging', 'curtail_charging'], winner: 'curtail_charging', rule: 'priority' },
    ]);
    expect(rejectedOf(d)).to.deep.equal([['boost_charging', 'priority']]);
  });

  it('rule 5: boost vs defer goes to the higher score, and an exact tie to the canonical order', () => {
    const d = resolve([defer({ urgency: 0.3 }), boost({ urgency: 0.6 })], state, DEFAULT_POLICY, signal)!;
    expect(actionsOf(d)).to.deep.equal(['boost_charging']);
    expect(d.conflicts[0]).to.include({ resource: 'charging.rate', winner: 'boost_charging', rule: 'priority' });
    const tie = resolve([defer(), boost()], state, DEFAULT_POLICY, signal)!;
    expect(actionsOf(tie)).to.deep.equal(['boost_charging']);
  });

  it('capacity: two claims that fit alone but not together conflict, settled by priority', () => {
    const oneClosed = aStation((s) => (s.bays.open = 3));
    const other = aProposal({ agent: 'logistics', action: 'offer_surplus', urgency: 0.9, confidence: 0.9, claims: { bays: 1 } });
    const d = resolve([openBay(), other], oneClosed, DEFAULT_POLICY, signal)!;
    expect(actionsOf(d)).to.deep.equal(['offer_surplus']);
    expect(d.conflicts).to.deep.equal([
      { resource: 'bays', between: ['open_bay', 'offer_surplus'], winner: 'offer_surplus', rule: 'priority' },
    ]);
  });

  it('capacity: a claim beyond what the station has is rejected on its own', () => {
    const d = resolve(
      [aProposal({ agent: 'logistics', action: 'offer_surplus', claims: { packs: 25 } }), quarantine],
      state,
      DEFAULT_POLICY,
      signal,
    )!;
    expect(actionsOf(d)).to.deep.equal(['quarantine_battery']);
    expect(d.rejected[0]).to.deep.include({ rule: 'capacity', reason: 'needs 25 packs, 20 free' });
  });

  it('rule 6: compatible proposals merge into one decision', () => {
    const incentive = aProposal({
      agent: 'traffic',
      action: 'offer_incentive',
      params: { amount: 5 },
      evidence: { budgetRemaining: 50 },
      claims: { 'budget.incentive': 5 },
    });
    const d = resolve([quarantine, incentive, prioritize()], state, DEFAULT_POLICY, signal)!;
    expect(actionsOf(d)).to.deep.equal(['offer_incentive', 'prioritize_charging', 'quarantine_battery']);
    expect(d.rejected).to.deep.equal([]);
    expect(d.conflicts).to.deep.equal([]);
    expect(d.trail[6]).to.deep.equal({ rule: 'merge', note: 'plan: 3 started, 0 adjusted, 0 stopped; 3 in force' });
    expect(d.changes.started.map((a) => a.id)).to.deep.equal([
      'offer_incentive:station',
      'prioritize_charging:station',
      'quarantine_battery:B1',
    ]);
    expect(d.status).to.equal('executed');
    expect(d.risk).to.deep.equal({ level: 'low', score: 0.15, reasons: [] });
  });

  describe('approval', () => {
    it('taking the last working charger offline is high risk but never waits: safety acts first', () => {
      const lastOne = aStation((s) => (s.chargers.C2!.status = 'faulted'));
      const d = resolve([offline('C1')], lastOne, DEFAULT_POLICY, signal)!;
      expect(d.status).to.equal('executed');
      expect(d.changes.started[0]).to.include({ id: 'take_charger_offline:C1', status: 'active' });
      expect(d.risk).to.deep.equal({ level: 'high', score: 0.7, reasons: ['takes the last charger offline: no other charger is working'] });
      expect(resolve([offline('C1')], state, DEFAULT_POLICY, signal)!.risk.level).to.equal('medium');
    });

    it('an incentive above the remaining budget needs an operator', () => {
      const incentive = aProposal({
        agent: 'traffic',
        action: 'offer_incentive',
        params: { amount: 8 },
        evidence: { budgetRemaining: 5 },
        claims: { 'budget.incentive': 8 },
      });
      const d = resolve([incentive], state, DEFAULT_POLICY, signal)!;
      expect(d.status).to.equal('pending_approval');
      expect(d.risk.reasons).to.deep.equal(['incentive 8 above the remaining budget 5']);
    });

    it('curtailing more than half the draw needs an operator', () => {
      const d = resolve(
        [curtail({ params: { shedKW: 60 }, claims: { 'power.kW': -60, 'charging.rate': -1 } })],
        state,
        DEFAULT_POLICY,
        signal,
      )!;
      expect(d.status).to.equal('pending_approval');
      expect(d.risk.reasons).to.deep.equal(['curtails 60% of the draw, above 50%']);
      expect(resolve([curtail({ params: { shedKW: 40 } })], state, DEFAULT_POLICY, signal)!.status).to.equal('executed');
    });

    it('acting on anomalous or stale data raises the risk to the approval score', () => {
      const d = resolve([flag({ anomalous: true, stale: true }), prioritize()], state, DEFAULT_POLICY, signal)!;
      expect(d.status).to.equal('pending_approval');
      expect(d.risk).to.deep.equal({
        level: 'medium',
        score: 0.6,
        reasons: ['acting on anomalous and stale data', 'risk score 0.6 reaches the approval score 0.6'],
      });
      expect(d.changes.started[0]).to.include({ id: 'prioritize_charging:station', status: 'pending_approval' });
      // A flag alone puts nothing in force: no decision.
      expect(resolve([flag({ anomalous: true, stale: false })], state, DEFAULT_POLICY, signal)).to.equal(null);
      expect(
        resolve([flag({ anomalous: true }), prioritize()], state, { ...DEFAULT_POLICY, approvalRiskScore: 0.9 }, signal)!.status,
      ).to.equal('executed');
      // The mechanic's safety actions are in force at once even in a decision that waits for an operator.
      const mixed = resolve([flag({ anomalous: true }), prioritize(), quarantine], state, DEFAULT_POLICY, signal)!;
      expect(mixed.status).to.equal('pending_approval');
      expect(mixed.changes.started.map((a) => [a.id, a.status])).to.deep.equal([
        ['prioritize_charging:station', 'pending_approval'],
        ['quarantine_battery:B1', 'active'],
      ]);
    });
  });

  it('is deterministic: same input twice, or in another order, gives a deep-equal decision', () => {
    const over = aStation((s) => (s.power.drawKW = 220));
    const input = [
      boost(),
      curtail({ urgency: 0.9 }),
      defer(),
      prioritize(),
      openBay(),
      offline('C2'),
      quarantine,
      flag({ anomalous: true }),
    ];
    const a = resolve(input, over, DEFAULT_POLICY, signal);
    const b = resolve(structuredClone(input), structuredClone(over), DEFAULT_POLICY, signal);
    const c = resolve([...input].reverse(), over, DEFAULT_POLICY, signal);
    expect(a).to.deep.equal(b);
    expect(a).to.deep.equal(c);
    expect(actionsOf(a)).to.deep.equal(['quarantine_battery', 'take_charger_offline', 'curtail_charging', 'defer_charging']);
    expect(rejectedOf(a)).to.deep.equal([
      ['open_bay', 'safety_first'],
      ['prioritize_charging', 'grid_limit'],
      ['boost_charging', 'grid_limit'],
    ]);
  });
});
