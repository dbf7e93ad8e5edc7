import { expect } from 'chai';
import { assess } from '../../agents/AuditorAgent.js';
import { attachAgents, decide } from '../../agents/index.js';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import { createEventBus, type AgentProposed, type DecisionMade } from '../../eventBus/index.js';
import type { Signal, StationState } from '../../eventBus/types.js';
import { applySignal, cloneState } from '../../services/pipeline/stationFold.js';
import { T0, aContext, aSignal, aStation, at, priceWindow } from '../builders.js';

/** The last working charger reports a ground fault. */
const groundFault = () => {
  const before = aStation((s) => (s.chargers.C2!.status = 'faulted'));
  const signal = aSignal('charger_status', { chargerId: 'C1', status: 'faulted', errorCode: 'GroundFailure' }, { id: 'gf-1', ts: T0 });
  return { signal, state: applySignal(cloneState(before), signal) };
};

describe('agents pipeline', () => {
  describe('decide', () => {
    it('runs every agent, the auditor review and the supervisor', () => {
      const { signal, state } = groundFault();
      const ctx = aContext((c) => (c.assessment = assess(state, signal, c.thresholds)));
      const { proposals, decision, plan } = decide(state, signal, ctx, DEFAULT_POLICY);
      // C1 goes offline (level 3); C2, faulted with no code, gets a remote reset (level 1).
      expect(proposals.map((p) => [p.action, p.params.chargerId])).to.deep.equal([
        ['take_charger_offline', 'C1'],
        ['escalate_ticket', 'C1'],
        ['reset_charger', 'C2'],
      ]);
      expect(decision!.id).to.equal('dec-S1~gf-1');
      expect(decision!.actions.map((p) => p.action)).to.deep.equal(['escalate_ticket', 'reset_charger', 'take_charger_offline']);
      // C1 was the last working charger: high risk, but isolation never waits for an operator.
      expect(decision!.status).to.equal('executed');
      expect(decision!.risk.level).to.equal('high');
      expect(plan.actions.map((a) => [a.id, a.status])).to.deep.equal([
        ['escalate_ticket:C1', 'active'],
        ['reset_charger:C2', 'active'],
        ['take_charger_offline:C1', 'active'],
      ]);
    });

    it('adds the auditor veto to the proposals and the supervisor honours it', () => {
      const state = aStation((s) => {
        s.price.recent = [...priceWindow(15), 0.1];
        s.price.current = { pricePerKWh: 0.1, currency: 'EUR', validFrom: T0, validTo: T0 };
        s.chargers.C1!.tempC = 71;
      });
      const signal = aSignal('grid_price', { pricePerKWh: 0.1, currency: 'EUR', validFrom: T0, validTo: at(15) });
      state.price.current = signal.payload;
      const { proposals, decision } = decide(state, signal, aContext(), DEFAULT_POLICY);
      // The hot charger is derated; the boost is vetoed while it is hot.
      expect(proposals.map((p) => p.action)).to.deep.equal(['derate_charger', 'boost_charging', 'veto']);
      expect(decision!.actions.map((p) => p.action)).to.deep.equal(['derate_charger']);
      expect(decision!.rejected.map((r) => [r.proposal.action, r.rule])).to.deep.equal([['boost_charging', 'auditor_veto']]);
    });

    it('skips disabled agents, including the auditor review', () => {
      const { signal, state } = groundFault();
      const { proposals, decision } = decide(
        state,
        signal,
        aContext((c) => (c.disabled = ['mechanic'])),
        DEFAULT_POLICY,
      );
      expect(proposals).to.deep.equal([]);
      expect(decision).to.equal(null);
    });

    it('makes no decision on a signal nobody cares about', () => {
      const quiet = aStation();
      expect(decide(quiet, aSignal('arrival', {}), aContext(), DEFAULT_POLICY)).to.deep.equal({
        proposals: [],
        decision: null,
        plan: quiet.plan,
      });
    });

    it('makes no decision on a charging_session: no agent proposes from it, nor from the sessions it keeps', () => {
      const state = aStation();
      for (const [i, event] of (['started', 'updated', 'updated', 'ended'] as const).entries()) {
        const signal = aSignal(
          'charging_session',
          { chargerId: i < 2 ? 'C1' : 'C3', connectorId: 1, transactionId: 'T1', event, energyWh: 1000 * (i + 1), socPct: 20 + i },
          { ts: at(i) },
        );
        applySignal(state, signal);
        const ctx = aContext((c) => {
          c.now = signal.ts;
          c.assessment = assess(state, signal, c.thresholds);
        });
        expect(ctx.assessment).to.deep.include({ anomalous: false, zScore: null, stale: false });
        expect(decide(state, signal, ctx, DEFAULT_POLICY), event).to.deep.equal({ proposals: [], decision: null, plan: state.plan });
      }
      expect(state.chargers.C1!.sessions).to.have.length(1);
      expect(state.chargers.C3!.sessions).to.deep.equal([]);
    });

    it('is deterministic end to end', () => {
      const run = () => {
        const { signal, state } = groundFault();
        return decide(
          state,
          signal,
          aContext((c) => (c.assessment = assess(state, signal, c.thresholds))),
          DEFAULT_POLICY,
        );
      };
      expect(run()).to.deep.equal(run());
    });
  });

  describe('attachAgents', () => {
    const deps = (errors: unknown[] = []) => ({
      contextFor: (signal: Signal, state: StationState) =>
        aContext((c) => ((c.now = signal.ts), (c.assessment = assess(state, signal, DEFAULT_THRESHOLDS)))),
      policy: () => DEFAULT_POLICY,
      onError: (err: unknown) => errors.push(err),
    });

    it('emits proposals and the decision with the receive time passed through', () => {
      const bus = createEventBus();
      const proposed: AgentProposed[] = [];
      const made: DecisionMade[] = [];
      bus.on('agent.proposed', (e) => proposed.push(e));
      bus.on('decision.made', (e) => made.push(e));
      attachAgents(bus, deps());
      const { signal, state } = groundFault();
      bus.emit('signal.received', { signal, state, receivedAt: 123.5 });
      expect(proposed).to.have.length(1);
      expect(proposed[0]).to.include({ signal, receivedAt: 123.5 });
      expect(made).to.have.length(1);
      expect(made[0]!.receivedAt).to.equal(123.5);
      expect(made[0]!.decision.id).to.equal('dec-S1~gf-1');
    });

    it('emits nothing for a signal without proposals, and stops after unsubscribe', () => {
      const bus = createEventBus();
      let events = 0;
      bus.on('agent.proposed', () => events++);
      bus.on('decision.made', () => events++);
      const detach = attachAgents(bus, deps());
      bus.emit('signal.received', { signal: aSignal('arrival', {}), state: aStation(), receivedAt: 1 });
      detach();
      const { signal, state } = groundFault();
      bus.emit('signal.received', { signal, state, receivedAt: 2 });
      expect(events).to.equal(0);
    });

    it('hands errors to onError instead of throwing into the emitter', () => {
      const bus = createEventBus();
      const errors: unknown[] = [];
      attachAgents(bus, {
        ...deps(errors),
        contextFor: () => {
          throw new Error('no context');
        },
      });
      const { signal, state } = groundFault();
      expect(() => bus.emit('signal.received', { signal, state, receivedAt: 0 })).to.not.throw();
      expect(errors.map((e) => (e as Error).message)).to.deep.equal(['no context']);
    });
  });
});
