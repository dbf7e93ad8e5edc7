// What a plan change asks of the devices: starts, adjusts (new parameters) and stops of device
// actions only; jobs (rebalance, incentive, tickets) are never device commands.
import { expect } from 'chai';
import { activeById, commandsBetween, startedSince } from '../../services/actuation/index.js';
import type { PlanAction, StationPlan } from '../../eventBus/types.js';
import { aPlanAction, aStation, at } from '../builders.js';
import { planView } from '../../services/pipeline/index.js';

const planOf = (...actions: PlanAction[]): StationPlan => ({ actions, declined: [], changedAt: null });

describe('actuation commands', () => {
  const derate = aPlanAction({ action: 'derate_charger', target: 'C1', params: { chargerId: 'C1', maxKW: 30 } });
  const curtail = aPlanAction({ action: 'curtail_charging', target: 'station', params: { targetKW: 100, 'kW:C1': 50, 'kW:C2': 50 } });
  const offer = aPlanAction({ action: 'offer_incentive', target: 'station', params: { targetStationId: 'st-2', amount: 5 } });

  it('starts new device actions, adjusts changed ones, stops those that left, and hands no job as a command', () => {
    const before = activeById(planOf(derate, curtail));
    const now = activeById(planOf({ ...curtail, params: { ...curtail.params, 'kW:C1': 30, 'kW:C2': 70 } }, offer));
    expect(commandsBetween(before, now, 'd9').map((c) => [c.ref, c.kind])).to.deep.equal([
      ['d9/stop/derate_charger:C1', 'stop'],
      ['d9/adjust/curtail_charging:station', 'adjust'],
    ]);
    expect(startedSince(before, now).map((a) => a.id)).to.deep.equal(['offer_incentive:station']);
  });

  it('hands nothing for actions waiting for an operator, and nothing when the parameters are the same', () => {
    const waiting = { ...derate, status: 'pending_approval' as const };
    expect(commandsBetween(new Map(), activeById(planOf(waiting)), 'd1')).to.deep.equal([]);
    const same = activeById(planOf(derate));
    expect(commandsBetween(same, activeById(planOf({ ...derate, params: { maxKW: 30, chargerId: 'C1' } })), 'd2')).to.deep.equal([]);
  });
});

describe('plan view: where each action stands in being carried out', () => {
  const station = (actions: PlanAction[]) => aStation((s) => (s.plan.actions = actions));
  const rebalance = aPlanAction({
    action: 'request_rebalance',
    agent: 'logistics',
    params: { fromStationId: 'st-2', packs: 6, dispatchAt: at(10), etaAt: at(30) },
  });
  const derate = aPlanAction({ action: 'derate_charger', target: 'C1', params: { chargerId: 'C1', maxKW: 30 } });

  it('a rebalance is requested until its packs leave, then dispatched; a device action is recorded only without an actuator', () => {
    const s = station([derate, rebalance]);
    expect(planView(s, null).map((a) => a.execution)).to.deep.equal(['recorded', 'requested']);
    s.updatedAt = at(10);
    expect(planView(s, null).map((a) => a.execution)).to.deep.equal(['recorded', 'dispatched']);
  });

  it('with an actuator a device action is handed until its answer is known, then shows the answer; a waiting action awaits approval', () => {
    const waiting = { ...aPlanAction({ action: 'curtail_charging', params: { targetKW: 50 } }), status: 'pending_approval' as const };
    const s = station([derate, waiting]);
    const answers = new Map([['derate_charger:C1', 'timeout' as const]]);
    expect(planView(s, (_st, id) => answers.get(id)).map((a) => a.execution)).to.deep.equal(['timeout', 'awaiting_approval']);
    expect(planView(s, () => undefined).map((a) => a.execution)).to.deep.equal(['handed', 'awaiting_approval']);
  });
});
