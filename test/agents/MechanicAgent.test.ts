import { expect } from 'chai';
import { evaluate, workingChargers } from '../../agents/MechanicAgent.js';
import { T0, aContext, aSignal, aStation, at } from '../builders.js';

const health = (sohPct: number) => aSignal('battery_health', { batteryId: 'B7', sohPct, cycles: 1400, tempC: 31 });
const temp = (tempC: number) => aSignal('charger_temp', { chargerId: 'C1', tempC });
const actions = (ps: { action: string }[]) => ps.map((p) => p.action);

describe('MechanicAgent', () => {
  describe('quarantine_battery (level 1)', () => {
    it('quarantines a pack below 75% state of health', () => {
      const [p] = evaluate(aStation(), health(72), aContext());
      expect(p!.action).to.equal('quarantine_battery');
      expect(p!.params).to.deep.equal({ batteryId: 'B7' });
      expect(p!.evidence).to.deep.equal({ batteryId: 'B7', level: 1, sohPct: 72, sohQuarantinePct: 75, cycles: 1400 });
      expect(p!.claims).to.deep.equal({ 'battery:B7': 1 });
    });

    it('leaves healthy and already quarantined packs alone', () => {
      expect(evaluate(aStation(), health(80), aContext())).to.deep.equal([]);
      const s = aStation((x) => {
        x.batteries.B7 = { id: 'B7', sohPct: 70, cycles: 1400, tempC: 31, quarantined: true, updatedAt: T0 };
      });
      expect(evaluate(s, health(70), aContext())).to.deep.equal([]);
    });
  });

  describe('schedule_maintenance (level 2)', () => {
    it('fires on a temperature reading that puts the charger at risk >= 0.5', () => {
      const s = aStation((x) => (x.chargers.C1!.tempC = 72));
      const [p] = evaluate(s, temp(72), aContext());
      expect(p!.action).to.equal('schedule_maintenance');
      expect(p!.params).to.deep.equal({ chargerId: 'C1', level: 2 });
      expect(p!.evidence).to.include({ chargerId: 'C1', tempC: 72, limitC: 70, riskScore: 0.5, riskMaintenance: 0.5, level: 2 });
      expect(p!.claims).to.deep.equal({ 'charger:C1': 1 });
    });

    it('combines a rising trend and a recent fault below the limit', () => {
      const s = aStation((x) => {
        const c = x.chargers.C1!;
        c.tempC = 64;
        c.temps = [0, 1, 2, 3].map((i) => ({ ts: at(i - 3), tempC: 61 + i }));
        c.faults = [{ ts: at(-20), errorCode: 'OtherError' }];
      });
      // 0.5 * 9/15 + 0.2 * 1 + 0.4 * 1/3 = 0.633
      const [p] = evaluate(s, aSignal('charger_status', { chargerId: 'C1', status: 'available' }), aContext());
      expect(p!.action).to.equal('schedule_maintenance');
      expect(p!.evidence).to.include({ riskScore: 0.63, tempTrendCPerMin: 1, recentFaults: 1 });
    });

    it('does not fire for a cool charger, an offline one, or an unrelated signal', () => {
      expect(evaluate(aStation(), temp(40), aContext())).to.deep.equal([]);
      const hotOffline = aStation((x) => ((x.chargers.C1!.tempC = 90), (x.chargers.C1!.status = 'offline')));
      expect(evaluate(hotOffline, temp(90), aContext())).to.deep.equal([]);
      const hot = aStation((x) => (x.chargers.C1!.tempC = 90));
      expect(evaluate(hot, aSignal('power_draw', { kW: 10 }), aContext())).to.deep.equal([]);
    });
  });

  describe('take_charger_offline + escalate_ticket (level 3)', () => {
    it('fires on a critical error code', () => {
      const s = aStation((x) => {
        x.chargers.C1!.status = 'faulted';
        x.chargers.C1!.faults = [{ ts: T0, errorCode: 'GroundFailure' }];
        x.chargers.C1!.lastErrorCode = 'GroundFailure';
      });
      const ps = evaluate(s, aSignal('charger_status', { chargerId: 'C1', status: 'faulted', errorCode: 'GroundFailure' }), aContext());
      expect(actions(ps)).to.deep.equal(['take_charger_offline', 'escalate_ticket']);
      expect(ps[0]!.params).to.deep.equal({ chargerId: 'C1', reason: 'critical_fault' });
      expect(ps[0]!.evidence).to.include({ level: 3, critical: true, errorCode: 'GroundFailure', riskScore: 1, otherWorkingChargers: 1 });
      expect(ps[0]!.claims).to.deep.equal({ 'charger:C1': 1, 'service.capacity': -1 });
      expect(ps[1]!.params).to.deep.equal({ chargerId: 'C1', level: 3, reason: 'critical_fault' });
    });

    it('fires on repeated faults within the window, not on old ones', () => {
      const s = aStation((x) => (x.chargers.C1!.faults = [{ ts: at(-50) }, { ts: at(-30) }, { ts: at(-5), errorCode: 'OtherError' }]));
      const ps = evaluate(s, aSignal('charger_status', { chargerId: 'C1', status: 'available' }), aContext());
      expect(actions(ps)).to.deep.equal(['take_charger_offline', 'escalate_ticket']);
      expect(ps[0]!.evidence).to.include({ recentFaults: 3, repeatedFaults: 3, critical: false, errorCode: 'OtherError' });
      const old = aStation((x) => (x.chargers.C1!.faults = [{ ts: at(-150) }, { ts: at(-130) }, { ts: at(-5) }]));
      expect(actions(evaluate(old, aSignal('charger_status', { chargerId: 'C1', status: 'available' }), aContext()))).to.not.include(
        'take_charger_offline',
      );
    });

    it('does not take an already offline charger offline again', () => {
      const s = aStation((x) => {
        x.chargers.C1!.status = 'offline';
        x.chargers.C1!.faults = [{ ts: T0, errorCode: 'GroundFailure' }];
      });
      expect(evaluate(s, aSignal('charger_status', { chargerId: 'C1', status: 'offline' }), aContext())).to.deep.equal([]);
    });
  });

  it('lists working chargers in id order', () => {
    const s = aStation((x) => (x.chargers.C0 = { id: 'C0', status: 'faulted', tempC: null, temps: [], faults: [], updatedAt: T0 }));
    expect(workingChargers(s).map((c) => c.id)).to.deep.equal(['C1', 'C2']);
  });
});
