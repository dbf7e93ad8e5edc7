// An operator returns an isolated charger to service or releases a quarantined pack: the plan stops
// the action (reason `operator`), the fold records when, and the mechanic does not isolate or
// quarantine again on the evidence from before, only on new evidence.
import { expect } from 'chai';
import { settle } from '../../agents/plan.js';
import { isSticky } from '../../agents/index.js';
import { evaluate } from '../../agents/MechanicAgent.js';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import type { Decision, PlanAction, Signal, StationState } from '../../eventBus/types.js';
import { OfflinePipeline } from '../../services/pipeline/index.js';
import { applySignal } from '../../services/pipeline/stationFold.js';
import { templateExplanation } from '../../services/llm/explanations/template.js';
import { REGISTRATION, T0, aContext, aSignal, aStation, at, aPlanAction } from '../builders.js';
import { decisionIdOf } from '../../agents/common.js';

const ctx = { policyVersion: 'pv-test', nearby: [] };
const inForce = (agent: PlanAction['agent'], action: PlanAction['action'], target: string, params: PlanAction['params'] = {}): PlanAction =>
  // An action in force for a while, as the agents and the supervisor find it.
  aPlanAction({ agent, action, target, params, urgency: 0.9, confidence: 0.9, since: at(-10), updatedAt: at(-10) });
const isolated = () => [
  // C1 isolated: the curtailment's per-charger setpoints give C2 the whole target.
  inForce('energy', 'curtail_charging', 'station', { targetKW: 150, 'kW:C2': 150 }),
  inForce('mechanic', 'escalate_ticket', 'C1', { chargerId: 'C1', level: 3, reason: 'critical_fault' }),
  inForce('mechanic', 'quarantine_battery', 'B7', { batteryId: 'B7' }),
  inForce('mechanic', 'take_charger_offline', 'C1', { chargerId: 'C1', reason: 'critical_fault' }),
];
const release = (actionId: string, min = 0, note: string | null = 'contactor replaced') =>
  aSignal('operator_release', { actionId, by: 'ops@example.com', note }, { id: `op-${actionId}-${min}`, ts: at(min) });
const ids = (actions: { id: string }[]) => actions.map((a) => a.id);
const actions = (ps: { action: string }[]) => ps.map((p) => p.action);

describe('operator release', () => {
  describe('settle', () => {
    it('stops a charger isolation and its level-3 ticket (reason operator, who and their note), executed, and shares the curtailment with it again', () => {
      const s = aStation((x) => (x.plan.actions = isolated()));
      const signal = release('take_charger_offline:C1');
      // The agents' wants on this signal are not taken: the decision is the operator's alone.
      const stillWanted = s.plan.actions.map((a) => ({ ...a, evidence: {} }));
      const { decision, plan } = settle(stillWanted, s, DEFAULT_POLICY, signal, ctx, { sticky: isSticky });
      expect(decision).to.include({ id: `${decisionIdOf(signal)}`, signalType: 'operator_release', status: 'executed', ts: T0 });
      expect(decision!.actions).to.deep.equal([]);
      expect(decision!.changes.started).to.deep.equal([]);
      // Only what the return itself reshapes: the charger back in the curtailment's setpoints.
      expect(decision!.changes.adjusted).to.deep.equal([
        {
          id: 'curtail_charging:station',
          agent: 'energy',
          action: 'curtail_charging',
          target: 'station',
          from: { targetKW: 150, 'kW:C2': 150 },
          to: { targetKW: 150, 'kW:C1': 75, 'kW:C2': 75 },
        },
      ]);
      expect(decision!.changes.stopped).to.deep.equal([
        {
          id: 'take_charger_offline:C1',
          agent: 'mechanic',
          action: 'take_charger_offline',
          target: 'C1',
          reason: 'operator',
          note: 'returned to service by ops@example.com: contactor replaced',
          operator: { by: 'ops@example.com', note: 'contactor replaced' },
        },
        {
          id: 'escalate_ticket:C1',
          agent: 'mechanic',
          action: 'escalate_ticket',
          target: 'C1',
          reason: 'operator',
          note: 'closed with take_charger_offline:C1, returned to service by ops@example.com: contactor replaced',
          operator: { by: 'ops@example.com', note: 'contactor replaced' },
        },
      ]);
      expect(ids(plan.actions)).to.deep.equal(['curtail_charging:station', 'quarantine_battery:B7']);
      expect(plan.changedAt).to.equal(T0);
    });

    it('releases a quarantined pack alone, and a level-3 ticket alone (the charger stays offline)', () => {
      const s = aStation((x) => (x.plan.actions = isolated()));
      const pack = settle([], s, DEFAULT_POLICY, release('quarantine_battery:B7', 0, null), ctx, { sticky: isSticky });
      expect(pack.decision!.changes.stopped.map((x) => [x.id, x.reason, x.note])).to.deep.equal([
        ['quarantine_battery:B7', 'operator', 'released from quarantine by ops@example.com'],
      ]);
      expect(ids(pack.plan.actions)).to.not.include('quarantine_battery:B7');
      const ticket = settle([], s, DEFAULT_POLICY, release('escalate_ticket:C1'), ctx, { sticky: isSticky });
      expect(ids(ticket.decision!.changes.stopped)).to.deep.equal(['escalate_ticket:C1']);
      expect(ids(ticket.plan.actions)).to.include('take_charger_offline:C1');
    });

    it('changes nothing for an action not in the plan, or one that ends by itself', () => {
      const s = aStation((x) => (x.plan.actions = isolated()));
      for (const id of ['take_charger_offline:C9', 'curtail_charging:station']) {
        const out = settle([], s, DEFAULT_POLICY, release(id), ctx, { sticky: isSticky });
        expect(out.decision, id).to.equal(null);
        expect(out.plan, id).to.equal(s.plan);
      }
    });

    it('says plainly in the template who returned the charger to service and who released the pack', () => {
      const s = aStation((x) => (x.plan.actions = isolated()));
      const charger = settle([], s, DEFAULT_POLICY, release('take_charger_offline:C1'), ctx, { sticky: isSticky }).decision!;
      const text = templateExplanation(charger);
      expect(text).to.contain("Station S1, at an operator's request, the plan changes: one action adjusted, two actions stopped.");
      expect(text).to.contain(
        'Adjusted. Energy: reduce charging power to stay under the grid limit, its power shared again among two chargers.',
      );
      expect(text).to.contain('the operator ops@example.com returned charger C1 to service.');
      expect(text).to.contain('Their note: "contactor replaced".');
      expect(text).to.contain('the fault ticket for charger C1');
      const pack = settle([], s, DEFAULT_POLICY, release('quarantine_battery:B7'), ctx, { sticky: isSticky }).decision!;
      expect(templateExplanation(pack)).to.contain('the operator ops@example.com released battery pack B7 from quarantine.');
    });
  });

  describe('the fold', () => {
    it('records the return on the charger (available again) and the release on the pack (no longer quarantined)', () => {
      const s = aStation((x) => {
        x.plan.actions = isolated();
        x.chargers.C1!.status = 'faulted';
        x.batteries.B7 = { id: 'B7', sohPct: 70, cycles: 900, tempC: 30, quarantined: true, updatedAt: at(-20) };
      });
      applySignal(s, release('take_charger_offline:C1', 1));
      applySignal(s, release('quarantine_battery:B7', 2));
      expect(s.chargers.C1).to.include({ returnedAt: at(1), status: 'available' });
      expect(s.batteries.B7).to.include({ releasedAt: at(2), quarantined: false });
      // A later reading keeps the release on record.
      applySignal(s, aSignal('battery_health', { batteryId: 'B7', sohPct: 70, cycles: 901, tempC: 30 }, { ts: at(3) }));
      expect(s.batteries.B7).to.include({ releasedAt: at(2), quarantined: false, updatedAt: at(3) });
    });

    it('ignores a release of an action no longer in the plan', () => {
      const s = aStation((x) => (x.chargers.C1!.status = 'faulted'));
      applySignal(s, release('take_charger_offline:C1', 1));
      expect(s.chargers.C1!.returnedAt).to.equal(undefined);
      expect(s.chargers.C1!.status).to.equal('faulted');
    });
  });

  describe('the mechanic after a release', () => {
    const returned = (mutate: (s: StationState) => void = () => undefined) =>
      aStation((s) => {
        const c = s.chargers.C1!;
        c.faults = [{ ts: at(-5), errorCode: 'GroundFailure' }];
        c.lastErrorCode = 'GroundFailure';
        c.temps = [
          { ts: at(-4), tempC: 78 },
          { ts: at(-3), tempC: 79 },
        ];
        c.tempC = 79;
        c.returnedAt = at(-1);
        mutate(s);
      });

    it('holds no fault or reading from before the return against the charger', () => {
      expect(evaluate(returned(), aSignal('queue_length', { waiting: 0 }), aContext())).to.deep.equal([]);
    });

    it('isolates it again at once on a new critical fault after the return', () => {
      const s = returned((x) => {
        const c = x.chargers.C1!;
        c.status = 'faulted';
        c.faults.push({ ts: at(0), errorCode: 'GroundFailure' });
      });
      const ps = evaluate(s, aSignal('queue_length', { waiting: 0 }), aContext());
      expect(actions(ps)).to.deep.equal(['take_charger_offline', 'escalate_ticket']);
      expect(ps[0]!.evidence).to.include({ recentFaults: 1, critical: true, errorCode: 'GroundFailure' });
    });

    it('stays sticky when isolated again after the return', () => {
      const s = returned((x) => {
        x.chargers.C1!.status = 'offline';
        x.plan.actions = [{ ...inForce('mechanic', 'take_charger_offline', 'C1', { chargerId: 'C1' }), since: at(0) }];
      });
      expect(
        actions(
          evaluate(
            s,
            aSignal('queue_length', { waiting: 0 }, { ts: at(5) }),
            aContext((c) => (c.now = at(5))),
          ),
        ),
      ).to.deep.equal(['take_charger_offline']);
    });

    it('quarantines a released pack again only on a reading after the release that is still below the limit', () => {
      const pack = (updatedAt: string, sohPct: number) =>
        aStation((s) => (s.batteries.B7 = { id: 'B7', sohPct, cycles: 900, tempC: 30, quarantined: false, updatedAt, releasedAt: at(-1) }));
      const wants = (s: StationState) => actions(evaluate(s, aSignal('queue_length', { waiting: 0 }), aContext()));
      expect(wants(pack(at(-2), 60))).to.deep.equal([]);
      expect(wants(pack(at(-1), 60))).to.deep.equal([]);
      expect(wants(pack(at(0), 80))).to.deep.equal([]);
      expect(wants(pack(at(0), 60))).to.deep.equal(['quarantine_battery']);
    });
  });

  describe('through the pipeline (fold, agents, plan)', () => {
    const settings = { thresholds: DEFAULT_THRESHOLDS, policy: DEFAULT_POLICY, policyVersion: 'pv-test', disabled: [] };
    let n = 0;
    const sig = <S extends Signal>(s: S): S => ({ ...s, id: `p${++n}` });
    const planOf = (p: OfflinePipeline) => ids(p.states.get('S1')!.plan.actions);

    it('isolates, returns to service on the operator word, keeps it in service on old evidence, isolates again on a new critical fault', () => {
      const p = new OfflinePipeline([REGISTRATION], settings, { nearbyKm: 10, maxNearby: 10 });
      for (const id of ['C1', 'C2']) feed(p, aSignal('charger_status', { chargerId: id, status: 'available' }, { ts: at(0) }));
      const fault = feed(p, aSignal('charger_status', { chargerId: 'C1', status: 'faulted', errorCode: 'GroundFailure' }, { ts: at(1) }));
      expect(ids(fault!.changes.started)).to.have.members(['take_charger_offline:C1', 'escalate_ticket:C1']);

      const released = feed(p, release('take_charger_offline:C1', 3))!;
      expect(released).to.include({ status: 'executed', signalType: 'operator_release' });
      expect(released.changes.stopped.map((s) => [s.id, s.reason])).to.deep.equal([
        ['take_charger_offline:C1', 'operator'],
        ['escalate_ticket:C1', 'operator'],
      ]);
      expect(planOf(p)).to.deep.equal([]);

      // The fault from before the return is not held against it: signals go by and nothing is isolated.
      for (let min = 4; min < 10; min++) {
        expect(feed(p, aSignal('charger_temp', { chargerId: 'C1', tempC: 40 }, { ts: at(min) })), `minute ${min}`).to.equal(null);
      }
      expect(planOf(p)).to.deep.equal([]);

      const again = feed(p, aSignal('charger_status', { chargerId: 'C1', status: 'faulted', errorCode: 'GroundFailure' }, { ts: at(10) }));
      expect(ids(again!.changes.started)).to.have.members(['take_charger_offline:C1', 'escalate_ticket:C1']);
      expect(again!.status).to.equal('executed');
    });

    it('a pack released from quarantine stays in circulation until a later reading is still too low', () => {
      const p = new OfflinePipeline([REGISTRATION], settings, { nearbyKm: 10, maxNearby: 10 });
      const worn = feed(p, aSignal('battery_health', { batteryId: 'B7', sohPct: 60, cycles: 1500, tempC: 30 }, { ts: at(0) }));
      expect(ids(worn!.changes.started)).to.deep.equal(['quarantine_battery:B7']);
      expect(p.states.get('S1')!.batteries.B7!.quarantined).to.equal(true);
      const released = feed(p, release('quarantine_battery:B7', 1))!;
      expect(ids(released.changes.stopped)).to.deep.equal(['quarantine_battery:B7']);
      expect(p.states.get('S1')!.batteries.B7!.quarantined).to.equal(false);
      expect(feed(p, aSignal('queue_length', { waiting: 1 }, { ts: at(2) }))).to.equal(null);
      expect(feed(p, aSignal('battery_health', { batteryId: 'B7', sohPct: 80, cycles: 1501, tempC: 30 }, { ts: at(3) }))).to.equal(null);
      // A quarantine is round work: it goes out with the station's next round (30 min after the last change).
      const again = feed(p, aSignal('battery_health', { batteryId: 'B7', sohPct: 60, cycles: 1502, tempC: 30 }, { ts: at(35) }));
      expect(ids(again!.changes.started)).to.deep.equal(['quarantine_battery:B7']);
    });

    function feed(p: OfflinePipeline, s: Signal): Decision | null {
      return p.ingest(sig(s));
    }
  });
});
