// What other stations' plans claim of a station, as the nearby figures show it to agents: packs pledged
// to rebalances until they leave, drivers sent by incentives.
import { expect } from 'chai';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import type { PlanAction, StationRegistration } from '../../eventBus/types.js';
import { OfflinePipeline, nearbyReach, policyVersionOf } from '../../services/pipeline/index.js';
import { aPlanAction, at } from '../builders.js';

const reg = (id: string, lng: number): StationRegistration => ({
  id,
  name: id,
  location: { lat: 52.52, lng },
  capacity: { bays: 4, chargers: 4, batterySlots: 40 },
});
const action = (over: Partial<PlanAction> & Pick<PlanAction, 'action' | 'params'>): PlanAction =>
  aPlanAction({ agent: 'logistics', ...over });

describe('nearby figures: what other stations claim', () => {
  // B in the middle, A and C about 1.4 km either side of it (A and C 2.7 km apart).
  const p = new OfflinePipeline(
    [reg('A', 13.38), reg('B', 13.4), reg('C', 13.42)],
    {
      thresholds: DEFAULT_THRESHOLDS,
      policy: DEFAULT_POLICY,
      policyVersion: policyVersionOf(DEFAULT_THRESHOLDS, DEFAULT_POLICY),
      disabled: [],
    },
    { nearbyKm: 15, maxNearby: 10 },
  );
  p.states.get('A')!.plan.actions = [
    action({ action: 'request_rebalance', params: { fromStationId: 'B', packs: 5, dispatchAt: at(15), etaAt: at(20) } }),
    action({ action: 'offer_incentive', agent: 'traffic', params: { targetStationId: 'B', amount: 4 }, claims: { 'drivers@B': 0.6 } }),
  ];
  p.states.get('C')!.plan.actions = [
    action({ action: 'offer_incentive', agent: 'traffic', params: { targetStationId: 'B', amount: 3 }, claims: { 'drivers@B': 0.3 } }),
  ];
  const bSeenFromC = (now: string) => p.nearby('C', now).find((n) => n.id === 'B')!;

  it("counts another station's rebalance against its donor until the packs leave", () => {
    expect(bSeenFromC(at(0))).to.include({ pledgedPacks: 5 });
    expect(bSeenFromC(at(15))).to.include({ pledgedPacks: 0 });
  });

  it('adds up the drivers every offer in force sends to it', () => {
    expect(bSeenFromC(at(0)).redirectedInPerMin).to.be.closeTo(0.9, 1e-9);
    expect(p.nearby('B', at(0)).map((n) => [n.id, n.pledgedPacks, n.redirectedInPerMin])).to.deep.equal([
      ['A', 0, 0],
      ['C', 0, 0],
    ]);
  });

  it("shows a neighbour's swap capacity: staffed bays over the swap time", () => {
    // 4 open bays, no staff count known, default 180 s a swap: 4 / 3 min.
    expect(bSeenFromC(at(0)).servicePerMin).to.be.closeTo(1.333, 1e-9);
  });
});

describe('nearby reach', () => {
  it('looks as far as the farther of traffic and logistics, for at most 10 stations', () => {
    const t = (traffic: number, logistics: number) => ({
      ...DEFAULT_THRESHOLDS,
      traffic: { ...DEFAULT_THRESHOLDS.traffic, nearbyKm: traffic },
      logistics: { ...DEFAULT_THRESHOLDS.logistics, nearbyKm: logistics },
    });
    expect(nearbyReach(t(3, 12))).to.deep.equal({ nearbyKm: 12, maxNearby: 10 });
    expect(nearbyReach(t(15, 5))).to.deep.equal({ nearbyKm: 15, maxNearby: 10 });
  });
});
