// An operator's answer to a pending_approval decision arrives as an `operator_answer` signal: settle
// puts the waiting actions in force or takes them out (held back for declineHoldS from the signal's
// time) and makes no decision; the runner hands the plan on as 'approval.settled', and the offline
// pipeline puts it in force the same way, so a replay remakes what the live pipeline did.
import { expect } from 'chai';
import { settle } from '../../agents/plan.js';
import { attachAgents, decide } from '../../agents/index.js';
import { assess } from '../../agents/AuditorAgent.js';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import { createEventBus, type ApprovalSettled } from '../../eventBus/index.js';
import type { PlanAction, Signal, StationState } from '../../eventBus/types.js';
import { OfflinePipeline, policyVersionOf } from '../../services/pipeline/index.js';
import { applySignal, cloneState } from '../../services/pipeline/stationFold.js';
import { REGISTRATION, aContext, aProposal, aSignal, aStation, at } from '../builders.js';

const ctx = { policyVersion: 'pv-test', nearby: [] };
const incentive = () =>
  aProposal({
    agent: 'traffic',
    action: 'offer_incentive',
    params: { targetStationId: 'S2', amount: 8 },
    evidence: { budgetRemaining: 5 },
    claims: { 'budget.incentive': 8 },
  });
const answer = (decisionId: string, outcome: 'approved' | 'rejected', min: number, id = `op-${outcome}-${min}`) =>
  aSignal('operator_answer', { decisionId, outcome, by: 'ops@example.com', note: null }, { id, ts: at(min) });

/** A station whose plan holds an incentive waiting for an operator (decision `dec-s0`). */
function pending(): StationState {
  const s = aStation();
  const out = settle([incentive()], s, DEFAULT_POLICY, aSignal('power_draw', { kW: 100 }, { id: 's0', ts: at(0) }), ctx);
  expect(out.decision).to.include({ id: 'dec-S1~s0', status: 'pending_approval' });
  s.plan = out.plan;
  return s;
}
const statuses = (actions: PlanAction[]) => actions.map((a) => [a.id, a.status]);

describe('operator answer', () => {
  describe('settle', () => {
    it('approved: the waiting action becomes active, no decision, and the answered decision is named', () => {
      const s = pending();
      const out = settle([], s, DEFAULT_POLICY, answer('dec-S1~s0', 'approved', 1), ctx);
      expect(out.decision).to.equal(null);
      expect(out.answered).to.equal('dec-S1~s0');
      expect(statuses(out.plan.actions)).to.deep.equal([['offer_incentive:station', 'active']]);
      // An answer is no change of course: the plan's last change (the release round) stays the decision's.
      expect(out.plan.changedAt).to.equal(at(0));
      expect(out.plan.actions[0]!.decisionId).to.equal('dec-S1~s0');
    });

    it("rejected: the action leaves the plan, held back for declineHoldS from the signal's time, and is not proposed again before", () => {
      const s = pending();
      const out = settle([incentive()], s, DEFAULT_POLICY, answer('dec-S1~s0', 'rejected', 5), ctx);
      expect(out.decision).to.equal(null);
      expect(out.answered).to.equal('dec-S1~s0');
      expect(out.plan.actions).to.deep.equal([]);
      const until = at(5 + DEFAULT_POLICY.declineHoldS / 60);
      expect(out.plan.declined).to.deep.equal([{ id: 'offer_incentive:station', decisionId: 'dec-S1~s0', until }]);
      s.plan = out.plan;
      const signal = (min: number) => aSignal('power_draw', { kW: 100 }, { id: `s${min}`, ts: at(min) });
      expect(settle([incentive()], s, DEFAULT_POLICY, signal(34), ctx).decision).to.equal(null);
      expect(settle([incentive()], s, DEFAULT_POLICY, signal(35), ctx).decision!.changes.started.map((a) => a.id)).to.deep.equal([
        'offer_incentive:station',
      ]);
    });

    it("takes no agent's want on the answer's signal: only the answer changes the plan", () => {
      const s = pending();
      const curtail = aProposal({ agent: 'energy', action: 'curtail_charging', params: { targetKW: 150 }, claims: { 'power.kW': -10 } });
      const out = settle([incentive(), curtail], s, DEFAULT_POLICY, answer('dec-S1~s0', 'approved', 1), ctx);
      expect(out.decision).to.equal(null);
      expect(statuses(out.plan.actions)).to.deep.equal([['offer_incentive:station', 'active']]);
    });

    it('changes nothing (the same plan, nothing answered) when the actions left the plan or were answered already', () => {
      const s = pending();
      for (const signal of [answer('dec-other', 'approved', 1), answer('dec-S1~s0', 'rejected', 1)]) {
        const before = aStation((x) => (x.plan = { ...s.plan, actions: [] }));
        const out = settle([], before, DEFAULT_POLICY, signal, ctx);
        expect(out).to.deep.equal({ decision: null, plan: before.plan });
        expect(out.plan).to.equal(before.plan);
      }
      const approved = settle([], s, DEFAULT_POLICY, answer('dec-S1~s0', 'approved', 1), ctx).plan;
      s.plan = approved;
      // A second answer finds nothing waiting any more.
      const again = settle([], s, DEFAULT_POLICY, answer('dec-S1~s0', 'rejected', 2), ctx);
      expect(again.answered).to.equal(undefined);
      expect(again.plan).to.equal(approved);
    });
  });

  describe('decide and the runner', () => {
    const withAnswer = (outcome: 'approved' | 'rejected') => {
      const s = pending();
      const signal = answer('dec-S1~s0', outcome, 1);
      return { signal, state: applySignal(cloneState(s), signal) };
    };

    it('decide: no decision, the new plan and the answered decision, the state left as it was', () => {
      const { signal, state } = withAnswer('rejected');
      const before = structuredClone(state);
      const out = decide(
        state,
        signal,
        aContext((c) => (c.assessment = assess(state, signal, c.thresholds))),
        DEFAULT_POLICY,
      );
      expect(out.decision).to.equal(null);
      expect(out.answered).to.equal('dec-S1~s0');
      expect(out.plan.actions).to.deep.equal([]);
      expect(state).to.deep.equal(before);
    });

    it("the runner emits 'approval.settled' with the plan to put in force, never 'decision.made'", () => {
      const bus = createEventBus();
      const settled: ApprovalSettled[] = [];
      let made = 0;
      bus.on('approval.settled', (e) => settled.push(e));
      bus.on('decision.made', () => made++);
      const errors: unknown[] = [];
      attachAgents(bus, {
        contextFor: (signal: Signal, state: StationState) => aContext((c) => (c.assessment = assess(state, signal, DEFAULT_THRESHOLDS))),
        policy: () => DEFAULT_POLICY,
        onError: (err) => errors.push(err),
      });
      const { signal, state } = withAnswer('approved');
      bus.emit('signal.received', { signal, state, receivedAt: 1 });
      expect(errors).to.deep.equal([]);
      expect(made).to.equal(0);
      expect(settled).to.have.length(1);
      expect(settled[0]).to.include({ stationId: 'S1', decisionId: 'dec-S1~s0', signalId: signal.id });
      expect(statuses(settled[0]!.plan.actions)).to.deep.equal([['offer_incentive:station', 'active']]);

      // An answer that finds nothing waiting emits nothing.
      state.plan = settled[0]!.plan;
      const late = answer('dec-S1~s0', 'rejected', 2);
      bus.emit('signal.received', { signal: late, state: applySignal(state, late), receivedAt: 2 });
      expect(settled).to.have.length(1);
    });
  });

  describe('the offline pipeline (replay, evaluation)', () => {
    const pipeline = () =>
      new OfflinePipeline(
        [REGISTRATION],
        {
          thresholds: DEFAULT_THRESHOLDS,
          policy: DEFAULT_POLICY,
          policyVersion: policyVersionOf(DEFAULT_THRESHOLDS, DEFAULT_POLICY),
          disabled: [],
        },
        { nearbyKm: 10, maxNearby: 10 },
      );
    /** A grid limit and a draw far above it: the energy agent's curtailment waits for an operator. */
    const overload = (p: OfflinePipeline, min: number) => {
      p.ingest(aSignal('grid_limit', { kW: 100 }, { id: `lim-${min}`, ts: at(min) }));
      return p.ingest(aSignal('power_draw', { kW: 400 }, { id: `draw-${min}`, ts: at(min) }));
    };

    it('puts the answer in force without a decision, and later signals are settled against it', () => {
      const approving = pipeline();
      const d = overload(approving, 0)!;
      expect(d.status).to.equal('pending_approval');
      expect(approving.ingest(answer(d.id, 'approved', 1))).to.equal(null);
      expect(statuses(approving.states.get('S1')!.plan.actions)).to.deep.equal([['curtail_charging:station', 'active']]);

      const rejecting = pipeline();
      const r = overload(rejecting, 0)!;
      expect(rejecting.ingest(answer(r.id, 'rejected', 1))).to.equal(null);
      const state = rejecting.states.get('S1')!;
      expect(state.plan.actions).to.deep.equal([]);
      expect(state.plan.declined.map((x) => x.id)).to.deep.equal(['curtail_charging:station']);
      // The answer is a signal like any other in the fold: it counts in the state's version.
      expect(state.lastSignalId).to.equal(`op-rejected-1`);
      // Still overloaded: held back until the hold lapses, then asked again.
      expect(rejecting.ingest(aSignal('power_draw', { kW: 420 }, { id: 'draw-10', ts: at(10) }))).to.equal(null);
      const again = rejecting.ingest(aSignal('power_draw', { kW: 420 }, { id: 'draw-32', ts: at(32) }));
      expect(again!.changes.started.map((a) => a.id)).to.deep.equal(['curtail_charging:station']);
    });
  });
});
