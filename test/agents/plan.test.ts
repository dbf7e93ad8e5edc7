// The station plan: a decision only when the plan changes; dwell, deadband, supersession, expiry,
// stickiness and operators' answers.
import { expect } from 'chai';
import { planKey, settle } from '../../agents/plan.js';
import { answerPlan } from '../../agents/operatorSignals.js';
import { DEFAULT_POLICY } from '../../agents/thresholds.js';
import type { Proposal, StationPlan, StationState } from '../../eventBus/types.js';
import { aProposal, aSignal, aStation, at } from '../builders.js';

const ctx = { policyVersion: 'pv-test', nearby: [] };
const curtail = (targetKW = 180) =>
  aProposal({
    agent: 'energy',
    action: 'curtail_charging',
    params: { targetKW },
    urgency: 0.8,
    confidence: 0.9,
    claims: { 'power.kW': -10, 'charging.rate': -1 },
  });
const prioritize = () =>
  aProposal({
    agent: 'logistics',
    action: 'prioritize_charging',
    params: {},
    urgency: 0.7,
    confidence: 0.75,
    claims: { 'charging.rate': 1 },
  });
const offline = () =>
  aProposal({
    agent: 'mechanic',
    action: 'take_charger_offline',
    params: { chargerId: 'C1' },
    urgency: 0.95,
    confidence: 0.9,
    claims: { 'charger:C1': 1, 'service.capacity': -1 },
  });

/** Runs one signal at minute `min` through settle and carries the plan forward, like the pipeline does. */
function run(state: StationState, wants: Proposal[], min: number, id = `s${min}`) {
  const signal = aSignal('power_draw', { kW: 100 }, { id, ts: at(min) });
  const out = settle(wants, state, DEFAULT_POLICY, signal, ctx, { sticky: (a) => a.action === 'take_charger_offline' });
  state.plan = out.plan;
  return out.decision;
}

const ids = (plan: StationPlan) => plan.actions.map((a) => a.id);

describe('the station plan (settle)', () => {
  it('decides once when an action starts, and not again while it is wanted unchanged', () => {
    const s = aStation();
    const first = run(s, [curtail()], 0)!;
    expect(first.changes.started.map((a) => a.id)).to.deep.equal(['curtail_charging:station']);
    expect(first.changes.started[0]).to.include({
      agent: 'energy',
      target: 'station',
      since: at(0),
      status: 'active',
      decisionId: first.id,
    });
    expect(first).to.include({ policyVersion: 'pv-test' });
    for (let m = 1; m <= 30; m++) expect(run(s, [curtail()], m)).to.equal(null);
    expect(ids(s.plan)).to.deep.equal(['curtail_charging:station']);
  });

  it('adjusts a setpoint only beyond the deadband (15 %), keeping since', () => {
    const s = aStation();
    run(s, [curtail(180)], 0);
    expect(run(s, [curtail(170)], 1)).to.equal(null);
    const d = run(s, [curtail(140)], 2)!;
    expect(d.changes.adjusted).to.deep.equal([
      {
        id: 'curtail_charging:station',
        agent: 'energy',
        action: 'curtail_charging',
        target: 'station',
        // The supervisor's per-charger setpoints (agents/setpoints.ts) follow the target.
        from: { targetKW: 180, 'kW:C1': 90, 'kW:C2': 90 },
        to: { targetKW: 140, 'kW:C1': 70, 'kW:C2': 70 },
      },
    ]);
    expect(d.changes.started).to.deep.equal([]);
    expect(s.plan.actions[0]).to.include({ since: at(0), updatedAt: at(2) });
  });

  it('holds an action nobody wants any more until its minimum dwell (5 min), and sends releases alone at most every 30 min', () => {
    const s = aStation();
    run(s, [curtail()], 0);
    expect(run(s, [], 1)).to.equal(null);
    expect(run(s, [], 4.9)).to.equal(null);
    expect(ids(s.plan)).to.deep.equal(['curtail_charging:station']);
    // Past its dwell, but a release alone waits for the plan's 30-minute release round.
    expect(run(s, [], 5)).to.equal(null);
    expect(run(s, [], 29.9)).to.equal(null);
    const d = run(s, [], 30)!;
    expect(d.changes.stopped).to.deep.equal([
      {
        id: 'curtail_charging:station',
        agent: 'energy',
        action: 'curtail_charging',
        target: 'station',
        reason: 'released',
        note: 'no longer wanted by energy',
      },
    ]);
    expect(d.actions).to.deep.equal([]);
    expect(s.plan.actions).to.deep.equal([]);
  });

  it('a release rides along with the next change instead of waiting', () => {
    const s = aStation();
    run(s, [curtail()], 0);
    const d = run(s, [offline()], 6)!;
    expect(d.changes.started.map((a) => a.id)).to.deep.equal(['take_charger_offline:C1']);
    expect(d.changes.stopped.map((a) => [a.id, a.reason])).to.deep.equal([['curtail_charging:station', 'released']]);
  });

  it('a job (scheduled maintenance) stays until it lapses, not until the risk eases', () => {
    const s = aStation();
    const maintenance = aProposal({
      agent: 'mechanic',
      action: 'schedule_maintenance',
      params: { chargerId: 'C2', level: 2 },
      claims: { 'charger:C2': 1 },
    });
    const d = run(s, [maintenance], 0)!;
    expect(d.changes.started[0]!.until).to.equal(at(8 * 60));
    expect(run(s, [], 60)).to.equal(null);
    expect(run(s, [], 8 * 60)!.changes.stopped.map((a) => [a.id, a.reason])).to.deep.equal([['schedule_maintenance:C2', 'expired']]);
  });

  it('never keeps contradictory actions in force: a new want that wins a conflict supersedes the standing one in the same decision', () => {
    const s = aStation();
    run(s, [curtail()], 0);
    // Service continuity beats cost: prioritising charging wins over a curtailment below the hard limit.
    const d = run(s, [curtail(), prioritize()], 1)!;
    expect(d.changes.started.map((a) => a.id)).to.deep.equal(['prioritize_charging:station']);
    expect(d.changes.stopped.map((x) => [x.id, x.reason])).to.deep.equal([['curtail_charging:station', 'superseded']]);
    expect(d.changes.stopped[0]!.note).to.match(/^service_continuity: conflicts with logistics\/prioritize_charging on charging.rate/);
    expect(d.conflicts).to.deep.equal([
      {
        resource: 'charging.rate',
        between: ['prioritize_charging', 'curtail_charging'],
        winner: 'prioritize_charging',
        rule: 'service_continuity',
      },
    ]);
    expect(d.rejected.map((r) => [r.proposal.action, r.rule])).to.deep.equal([['curtail_charging', 'service_continuity']]);
    expect(ids(s.plan)).to.deep.equal(['prioritize_charging:station']);
    // The energy agent keeps asking; it keeps losing; nothing changes, so nothing is decided.
    expect(run(s, [curtail(), prioritize()], 2)).to.equal(null);
  });

  it('a standing action within its dwell still defends its resource against a weaker new want', () => {
    const s = aStation();
    run(s, [prioritize()], 0);
    // prioritize is no longer wanted but held (dwell); a curtailment below the limit loses to it.
    expect(run(s, [curtail()], 1)).to.equal(null);
    expect(ids(s.plan)).to.deep.equal(['prioritize_charging:station']);
    // Once released, the curtailment starts.
    const d = run(s, [curtail()], 6)!;
    expect(d.changes.stopped.map((x) => x.id)).to.deep.equal(['prioritize_charging:station']);
    expect(d.changes.started.map((x) => x.id)).to.deep.equal(['curtail_charging:station']);
  });

  it('a rebalance job: cancelled if no longer needed before its packs leave, held once they have, done when they are due', () => {
    const rebalance = (min: number) =>
      aProposal({
        agent: 'logistics',
        action: 'request_rebalance',
        params: { fromStationId: 'S3', packs: 6, dispatchAt: at(min + 15), etaAt: at(min + 25) },
        urgency: 0.7,
        confidence: 0.75,
        claims: { slots: 6, 'packs@S3': 6 },
      });
    const s = aStation();
    const started = run(s, [rebalance(0)], 0)!;
    expect(started.changes.started[0]).to.include({ id: 'request_rebalance:station', until: at(25) });
    const cancelled = run(s, [], 10)!;
    expect(cancelled.changes.stopped).to.deep.include({
      id: 'request_rebalance:station',
      agent: 'logistics',
      action: 'request_rebalance',
      target: 'station',
      reason: 'cancelled',
      note: `no longer needed before dispatch at ${at(15)}`,
    });

    const t = aStation();
    run(t, [rebalance(0)], 0);
    // Dispatched at 15: nobody wants it any more, but it is on the road.
    for (const m of [16, 20, 24]) expect(run(t, [], m)).to.equal(null);
    const done = run(t, [], 25)!;
    expect(done.changes.stopped.map((x) => [x.id, x.reason])).to.deep.equal([['request_rebalance:station', 'done']]);
    expect(t.plan.actions).to.deep.equal([]);
  });

  it('a derate foreseen (projected heat, or with its peers) waits for the round; one at the threshold does not', () => {
    const derate = (id: string, reason: string) =>
      aProposal({
        agent: 'mechanic',
        action: 'derate_charger',
        params: { chargerId: id, maxKW: 30 },
        evidence: { reason },
        urgency: 0.7,
        confidence: 0.7,
      });
    const s = aStation();
    run(s, [curtail()], 0);
    // Five minutes after the last change: a foreseen derate waits (the round is every 30 min).
    expect(run(s, [curtail(), derate('C1', 'projected')], 5)).to.equal(null);
    expect(run(s, [curtail(), derate('C1', 'projected'), derate('C2', 'with_peers')], 10)).to.equal(null);
    expect(run(s, [curtail(), derate('C1', 'projected'), derate('C2', 'with_peers')], 29)).to.equal(null);
    const round = run(s, [curtail(), derate('C1', 'projected'), derate('C2', 'with_peers')], 30)!;
    expect(round.changes.started.map((a) => a.id)).to.deep.equal(['derate_charger:C1', 'derate_charger:C2']);
    const t = aStation();
    run(t, [curtail()], 0);
    expect(run(t, [curtail(), derate('C1', 'temperature')], 1)!.changes.started.map((a) => a.id)).to.deep.equal(['derate_charger:C1']);
  });

  it('stops an action whose time ran out', () => {
    const s = aStation();
    run(s, [curtail()], 0);
    s.plan.actions[0]!.until = at(10);
    expect(run(s, [curtail()], 9)).to.equal(null);
    expect(run(s, [], 10)!.changes.stopped.map((x) => x.reason)).to.deep.equal(['expired']);
  });

  it('sticky actions stay in force though nobody asks for them', () => {
    const s = aStation();
    run(s, [offline()], 0);
    expect(run(s, [], 60)).to.equal(null);
    expect(ids(s.plan)).to.deep.equal(['take_charger_offline:C1']);
  });

  it('an operator approves (pending -> active) or rejects (removed and held back); a rejected kind is not proposed again for 30 min', () => {
    const s = aStation();
    const incentive = aProposal({
      agent: 'traffic',
      action: 'offer_incentive',
      params: { targetStationId: 'S2', amount: 8 },
      evidence: { budgetRemaining: 5 },
      claims: { 'budget.incentive': 8 },
    });
    const d = run(s, [incentive], 0)!;
    expect(d.status).to.equal('pending_approval');
    expect(s.plan.actions[0]!.status).to.equal('pending_approval');
    const approved = answerPlan(s.plan, d.id, 'approved', at(1), DEFAULT_POLICY.declineHoldS);
    expect(approved.affected).to.deep.equal(['offer_incentive:station']);
    expect(approved.plan.actions[0]!.status).to.equal('active');
    const rejected = answerPlan(s.plan, d.id, 'rejected', at(1), DEFAULT_POLICY.declineHoldS);
    expect(rejected.plan.actions).to.deep.equal([]);
    expect(rejected.plan.declined).to.deep.equal([{ id: 'offer_incentive:station', decisionId: d.id, until: at(31) }]);
    s.plan = rejected.plan;
    expect(run(s, [incentive], 2)).to.equal(null);
    expect(run(s, [incentive], 31)!.changes.started.map((a) => a.id)).to.deep.equal(['offer_incentive:station']);
    // Nothing pending from that decision any more: nothing to answer.
    expect(answerPlan(s.plan, d.id, 'approved', at(32), 1800).affected).to.deep.equal([]);
  });

  it('is deterministic and order-independent', () => {
    const wants = [curtail(), prioritize(), offline()];
    const a = settle(wants, aStation(), DEFAULT_POLICY, aSignal('power_draw', { kW: 1 }, { id: 'x', ts: at(0) }), ctx);
    const b = settle([...wants].reverse(), aStation(), DEFAULT_POLICY, aSignal('power_draw', { kW: 1 }, { id: 'x', ts: at(0) }), ctx);
    expect(a).to.deep.equal(b);
    expect(planKey(offline())).to.equal('take_charger_offline:C1');
  });

  it('records the nearby figures it was given', () => {
    const near = {
      id: 'S2',
      name: 'North',
      distanceKm: 2,
      predictedWaitMin: 3,
      charged: 10,
      batterySlots: 20,
      staff: 2,
      openBays: 2,
      queueWaiting: 1,
      netDrainPerMin: 0.2,
      pledgedPacks: 3,
      redirectedInPerMin: 0.3,
      servicePerMin: 1.33,
    };
    const d = settle([curtail()], aStation(), DEFAULT_POLICY, aSignal('power_draw', { kW: 1 }, { ts: at(0) }), {
      policyVersion: 'pv',
      nearby: [near],
    }).decision!;
    expect(d.nearby).to.deep.equal([near]);
  });
});
