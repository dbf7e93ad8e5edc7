import { expect } from 'chai';
import { evaluate, workingChargers } from '../../agents/MechanicAgent.js';
import type { PlanAction, Proposal, StationState } from '../../eventBus/types.js';
import { T0, aContext, aSignal, aStation, at, aPlanAction } from '../builders.js';

const anySignal = aSignal('queue_length', { waiting: 0 });
const actions = (ps: { action: string }[]) => ps.map((p) => p.action);
const only = (ps: Proposal[], chargerId = 'C1') => ps.filter((p) => p.params.chargerId === chargerId || p.params.batteryId !== undefined);
const inForce = (action: PlanAction['action'], target: string, params: PlanAction['params'] = {}): PlanAction =>
  // An action in force for a while, as the agents and the supervisor find it.
  aPlanAction({ agent: 'mechanic', action, target, params, urgency: 0.9, confidence: 0.9, since: at(-10), updatedAt: at(-10) });
const withC1 = (mutate: (c: StationState['chargers'][string], s: StationState) => void) => aStation((s) => mutate(s.chargers.C1!, s));

describe('MechanicAgent', () => {
  describe('quarantine_battery', () => {
    it('quarantines every pack in the state below 75% state of health, whatever signal arrived', () => {
      const s = aStation((x) => {
        x.batteries.B7 = { id: 'B7', sohPct: 72, cycles: 1400, tempC: 31, quarantined: false, updatedAt: T0 };
        x.batteries.B8 = { id: 'B8', sohPct: 90, cycles: 100, tempC: 31, quarantined: false, updatedAt: T0 };
      });
      const [p, ...rest] = evaluate(s, anySignal, aContext());
      expect(rest).to.deep.equal([]);
      expect(p!.action).to.equal('quarantine_battery');
      expect(p!.params).to.deep.equal({ batteryId: 'B7' });
      expect(p!.evidence).to.deep.equal({ batteryId: 'B7', level: 1, sohPct: 72, sohQuarantinePct: 75, cycles: 1400 });
      expect(p!.claims).to.deep.equal({ 'battery:B7': 1 });
    });

    it('keeps wanting a quarantine in force (a worn pack does not heal), so the plan does not change', () => {
      const s = aStation((x) => {
        x.batteries.B7 = { id: 'B7', sohPct: 76, cycles: 1400, tempC: 31, quarantined: true, updatedAt: T0 };
        x.plan.actions = [inForce('quarantine_battery', 'B7', { batteryId: 'B7' })];
      });
      expect(actions(evaluate(s, anySignal, aContext()))).to.deep.equal(['quarantine_battery']);
      expect(evaluate(aStation(), anySignal, aContext())).to.deep.equal([]);
    });
  });

  describe('heat: derate first, then offline', () => {
    it('derates a charger at 65 C to a kW setpoint, not yet offline', () => {
      const ps = evaluate(
        withC1((c) => (c.tempC = 66)),
        anySignal,
        aContext(),
      );
      expect(actions(ps)).to.deep.equal(['derate_charger']);
      expect(ps[0]!.params).to.deep.equal({ chargerId: 'C1', maxKW: 30 });
      expect(ps[0]!.evidence).to.include({ reason: 'temperature', tempC: 66, tempDerateC: 65, tempDerateOffC: 60 });
    });

    it('derates a charger far hotter than its peers, or one heating fast, before it reaches 65 C', () => {
      const peers = withC1((c, s) => {
        c.tempC = 58;
        s.chargers.C2!.tempC = 40;
        s.chargers.C3 = { id: 'C3', status: 'available', tempC: 41, temps: [], faults: [], updatedAt: T0 };
      });
      expect(evaluate(peers, anySignal, aContext())[0]!.evidence).to.include({ reason: 'hotter_than_peers', peerMedianC: 40.5 });
      const rising = withC1((c, x) => {
        x.chargers.C2!.tempC = 55;
        c.tempC = 61;
        c.temps = [0, 1, 2, 3].map((i) => ({ ts: at(i - 3), tempC: 58 + i }));
      });
      expect(evaluate(rising, anySignal, aContext())[0]!.evidence).to.include({ reason: 'rising', tempTrendCPerMin: 1 });
      // The same 58 C with peers at 50 C is no alarm.
      expect(
        evaluate(
          withC1((c, s) => ((c.tempC = 58), (s.chargers.C2!.tempC = 50))),
          anySignal,
          aContext(),
        ),
      ).to.deep.equal([]);
    });

    it('hysteresis: a derate in force stays at least 60 min, then until the charger cools below 60 C and the heat has passed', () => {
      const derated = (tempC: number, sinceMin = -90, peerC = 42) =>
        withC1((c, s) => {
          c.tempC = tempC;
          s.chargers.C2!.tempC = peerC;
          s.plan.actions = [{ ...inForce('derate_charger', 'C1', { chargerId: 'C1', maxKW: 30 }), since: at(sinceMin) }];
        });
      expect(actions(evaluate(derated(62), anySignal, aContext()))).to.deep.equal(['derate_charger']);
      expect(evaluate(derated(60), anySignal, aContext())).to.deep.equal([]);
      // Cooled already, but derated only 30 min ago: kept.
      expect(actions(evaluate(derated(50, -30), anySignal, aContext()))).to.deep.equal(['derate_charger']);
      // Cooled and long derated, but the charger beside it, at full power, runs at 63 C: the heat has not passed.
      expect(actions(only(evaluate(derated(50, -90, 63), anySignal, aContext())))).to.deep.equal(['derate_charger']);
    });

    it('derates ahead of the heat: a charger whose trend reaches 65 C within 15 min', () => {
      const heating = withC1((c, s) => {
        s.chargers.C2!.tempC = 55;
        c.tempC = 60;
        // 0.4 C a minute over the last 10 minutes: 66 C in 15 min (not yet "rising" at 0.5).
        c.temps = Array.from({ length: 11 }, (_, i) => ({ ts: at(i - 10), tempC: 56 + 0.4 * i }));
      });
      const [p] = only(evaluate(heating, anySignal, aContext()));
      expect(p).to.deep.include({ action: 'derate_charger', params: { chargerId: 'C1', maxKW: 30 } });
      expect(p!.evidence).to.include({ reason: 'projected' });
      const steady = withC1((c, s) => {
        s.chargers.C2!.tempC = 55;
        c.tempC = 60;
        c.temps = Array.from({ length: 11 }, (_, i) => ({ ts: at(i - 10), tempC: 60 }));
      });
      expect(only(evaluate(steady, anySignal, aContext()))).to.deep.equal([]);
    });

    it('derates the peers near the threshold in the same decision as a charger that reached it', () => {
      const s = aStation((x) => {
        x.chargers.C1!.tempC = 66;
        x.chargers.C2!.tempC = 62;
        x.chargers.C3 = { id: 'C3', status: 'occupied', tempC: 55, temps: [], faults: [], updatedAt: T0 };
      });
      const ps = evaluate(s, anySignal, aContext()).filter((p) => p.action === 'derate_charger');
      expect(ps.map((p) => [p.params.chargerId, p.evidence.reason])).to.deep.equal([
        ['C1', 'temperature'],
        ['C2', 'with_peers'],
      ]);
    });

    it('takes it offline only when it reaches the limit while derated, or runs 5 C beyond it', () => {
      const derated = withC1(
        (c, s) => ((c.tempC = 70), (s.plan.actions = [inForce('derate_charger', 'C1', { chargerId: 'C1', maxKW: 30 })])),
      );
      const ps = evaluate(derated, anySignal, aContext());
      expect(actions(ps)).to.deep.equal(['take_charger_offline', 'escalate_ticket']);
      expect(ps[0]!.params).to.deep.equal({ chargerId: 'C1', reason: 'overheating' });
      expect(
        actions(
          evaluate(
            withC1((c) => (c.tempC = 70)),
            anySignal,
            aContext(),
          ),
        ),
      ).to.deep.equal(['derate_charger']);
      expect(
        actions(
          evaluate(
            withC1((c) => (c.tempC = 75)),
            anySignal,
            aContext(),
          ),
        ),
      ).to.deep.equal(['take_charger_offline', 'escalate_ticket']);
    });
  });

  describe('faults in three levels', () => {
    it('level 1: a faulted charger with an ordinary code gets a remote reset', () => {
      const ps = evaluate(
        withC1((c) => ((c.status = 'faulted'), (c.faults = [{ ts: at(-2), errorCode: 'OtherError' }]))),
        anySignal,
        aContext(),
      );
      expect(actions(ps)).to.deep.equal(['reset_charger']);
      expect(ps[0]!.params).to.deep.equal({ chargerId: 'C1', level: 1 });
      expect(ps[0]!.evidence).to.include({ level: 1, faultedMin: 2, errorCode: 'OtherError' });
    });

    it('level 2: a fault that recurs, or persists 15 min, opens a technician ticket', () => {
      const recurring = evaluate(
        withC1((c) => (c.faults = [{ ts: at(-30) }, { ts: at(-5), errorCode: 'OtherError' }])),
        anySignal,
        aContext(),
      );
      expect(actions(recurring)).to.include('escalate_ticket');
      expect(recurring.find((p) => p.action === 'escalate_ticket')!.params).to.deep.equal({
        chargerId: 'C1',
        level: 2,
        reason: 'recurring_fault',
      });
      const persistent = evaluate(
        withC1((c) => ((c.status = 'faulted'), (c.faults = [{ ts: at(-16) }]))),
        anySignal,
        aContext(),
      );
      expect(actions(persistent)).to.deep.equal(['escalate_ticket', 'reset_charger']);
      expect(persistent[0]!.params).to.deep.equal({ chargerId: 'C1', level: 2, reason: 'persistent_fault' });
    });

    it('level 2: a failure risk of 0.5 schedules maintenance, kept until the risk falls below 0.35', () => {
      // Rising 1 C a minute with a recent fault: 0.5 * (tempC + 15 - 70) / 15 + 0.4 * 1/3.
      const risky = (tempC: number, maintaining: boolean) =>
        withC1((c, x) => {
          c.tempC = tempC;
          c.temps = [0, 1, 2, 3, 4].map((i) => ({ ts: at(i - 4), tempC: tempC - 4 + i }));
          c.faults = [{ ts: at(-20), errorCode: 'OtherError' }];
          if (maintaining) x.plan.actions = [inForce('schedule_maintenance', 'C1', { chargerId: 'C1', level: 2 })];
        });
      // Heading for 82 C: 0.4 + 0.133 = 0.53. The fault makes it a defect, not heat a derate answers.
      const p = evaluate(risky(67, false), anySignal, aContext()).find((x) => x.action === 'schedule_maintenance')!;
      expect(p.evidence).to.include({ riskScore: 0.53, tempTrendCPerMin: 1, projectedC: 82, recentFaults: 1, riskMaintenanceOff: 0.35 });
      // Heading for 77 C: 0.233 + 0.133 = 0.37, not enough to start, enough to keep.
      expect(actions(evaluate(risky(62, false), anySignal, aContext()))).to.not.include('schedule_maintenance');
      expect(actions(evaluate(risky(62, true), anySignal, aContext()))).to.include('schedule_maintenance');
      // 0.33 releases it.
      expect(actions(evaluate(risky(61, true), anySignal, aContext()))).to.not.include('schedule_maintenance');
    });

    it('level 2: a charger that runs hotter than its peers per kW of load needs maintenance, derated or not', () => {
      const minute = (end: number) => Array.from({ length: 15 }, (_, i) => ({ ts: at(i - 14), tempC: end }));
      // Four chargers sharing 240 kW, each steady at its temperature unless given its readings.
      const charging = (chargers: [string, number, ReturnType<typeof minute>?][]) =>
        aStation((x) => {
          x.power.drawKW = 240;
          for (const [id, t, temps] of chargers)
            x.chargers[id] = { id, status: 'occupied', tempC: t, temps: temps ?? minute(t), faults: [], updatedAt: T0 };
        });
      const s = charging([
        ['C1', 62],
        ['C2', 46],
        ['C3', 45],
        ['C4', 46],
      ]);
      const ps = only(evaluate(s, anySignal, aContext()));
      const p = ps.find((x) => x.action === 'schedule_maintenance')!;
      // 62 C against 46 C at 60 kW each: 16 / 60 = 0.267 C per kW.
      expect(p.evidence).to.include({ chargerId: 'C1', excessCPerKW: 0.267, riskScore: 0.5 });
      expect(actions(only(evaluate(s, anySignal, aContext()), 'C2'))).to.not.include('schedule_maintenance');

      // Rising 0.1 C a minute to 62 C: now it heads for 63.5 C (0.292 C/kW over its peers), over the window it ran
      // 15.3 C above them (0.255). The lower of the two is the figure, not the quick bound the mechanic judges calm chargers on.
      const temps = minute(0).map((r, i) => ({ ...r, tempC: 60.6 + 0.1 * i }));
      const rising = charging([
        ['C1', temps[14]!.tempC, temps],
        ['C2', 46],
        ['C3', 45],
        ['C4', 46],
      ]);
      const m = only(evaluate(rising, anySignal, aContext())).find((x) => x.action === 'schedule_maintenance')!;
      expect(m.evidence).to.include({ chargerId: 'C1', excessCPerKW: 0.255, riskScore: 0.5 });
    });

    it('level 3: a critical code takes the charger offline with a level-3 ticket, without waiting', () => {
      const s = withC1((c) => {
        c.status = 'faulted';
        c.faults = [{ ts: T0, errorCode: 'GroundFailure' }];
        c.lastErrorCode = 'GroundFailure';
      });
      const ps = evaluate(s, anySignal, aContext());
      expect(actions(ps)).to.deep.equal(['take_charger_offline', 'escalate_ticket']);
      expect(ps[0]!.params).to.deep.equal({ chargerId: 'C1', reason: 'critical_fault' });
      expect(ps[0]!.evidence).to.include({ level: 3, critical: true, errorCode: 'GroundFailure', riskScore: 1, otherWorkingChargers: 1 });
      expect(ps[0]!.claims).to.deep.equal({ 'charger:C1': 1, 'service.capacity': -1 });
      expect(ps[1]!.params).to.deep.equal({ chargerId: 'C1', level: 3, reason: 'critical_fault' });
    });

    it('a critical code that cleared by itself is not critical unless it repeats', () => {
      const cleared = withC1((c) => ((c.status = 'available'), (c.faults = [{ ts: at(-3), errorCode: 'OverCurrent' }])));
      expect(actions(evaluate(cleared, anySignal, aContext()))).to.not.include('take_charger_offline');
      const repeats = withC1(
        (c) => (
          (c.status = 'available'),
          (c.faults = [
            { ts: at(-20), errorCode: 'OverCurrent' },
            { ts: at(-3), errorCode: 'OverCurrent' },
          ])
        ),
      );
      expect(actions(evaluate(repeats, anySignal, aContext()))).to.include('take_charger_offline');
    });

    it('level 3 on repeated faults within the window, not on old ones', () => {
      const s = withC1((c) => (c.faults = [{ ts: at(-50) }, { ts: at(-30) }, { ts: at(-5), errorCode: 'OtherError' }]));
      const ps = evaluate(s, anySignal, aContext());
      expect(actions(ps)).to.deep.equal(['take_charger_offline', 'escalate_ticket']);
      expect(ps[0]!.evidence).to.include({ recentFaults: 3, repeatedFaults: 3, critical: false, errorCode: 'OtherError' });
      const old = withC1((c) => (c.faults = [{ ts: at(-150) }, { ts: at(-130) }, { ts: at(-5) }]));
      expect(actions(evaluate(old, anySignal, aContext()))).to.not.include('take_charger_offline');
    });

    it('isolation is sticky: a charger this copilot took offline stays wanted offline when it looks fine again', () => {
      const s = withC1((c, x) => {
        c.status = 'offline';
        x.plan.actions = [
          inForce('escalate_ticket', 'C1', { chargerId: 'C1', level: 3, reason: 'critical_fault' }),
          inForce('take_charger_offline', 'C1', { chargerId: 'C1', reason: 'critical_fault' }),
        ];
      });
      expect(actions(evaluate(s, anySignal, aContext()))).to.deep.equal(['take_charger_offline', 'escalate_ticket']);
      // Taken out by the station itself: nothing to do.
      expect(
        evaluate(
          withC1((c) => ((c.status = 'offline'), (c.faults = [{ ts: T0, errorCode: 'GroundFailure' }]))),
          anySignal,
          aContext(),
        ),
      ).to.deep.equal([]);
    });
  });

  it('lists working chargers in id order', () => {
    const s = aStation((x) => (x.chargers.C0 = { id: 'C0', status: 'faulted', tempC: null, temps: [], faults: [], updatedAt: T0 }));
    expect(workingChargers(s).map((c) => c.id)).to.deep.equal(['C1', 'C2']);
    expect(only([])).to.deep.equal([]);
  });
});
