import { expect } from 'chai';
import { evaluate } from '../../agents/LogisticsAgent.js';
import type { NearbyStation, PlanAction, StationState } from '../../eventBus/types.js';
import { aContext, aNearby, aSignal, aStation, at } from '../builders.js';

// 20 charged, 6 charging (0.1 packs/min back), 0.6 swaps/min: net drain 0.5/min, variance 0.7/min,
// 20^2 / (0.5 * 20 + 0.7) = 37.4 min to stockout.
const draining = (mutate?: (s: StationState) => void) =>
  aStation((s) => {
    s.queue.swapRatePerMin = 0.6;
    mutate?.(s);
  });
const stock = aSignal('battery_stock', { charged: 20, charging: 6, depleted: 4, faulty: 0 });
const swap = aSignal('swap_completed', { durationS: 180 });
const actions = (ps: { action: string }[]) => ps.map((p) => p.action);

describe('LogisticsAgent', () => {
  describe('request_rebalance', () => {
    it('asks the nearest station with surplus for enough packs to last the target time from their arrival', () => {
      const ctx = aContext((c) => {
        c.nearby.push(
          aNearby({ id: 'S2', distanceKm: 2, charged: 30, batterySlots: 40 }),
          aNearby({ id: 'S3', distanceKm: 4, charged: 40, batterySlots: 40 }),
        );
      });
      const p = evaluate(draining(), swap, ctx).find((x) => x.action === 'request_rebalance')!;
      // S2 keeps 32 of 40: no surplus. S3 has 8 spare. Loading 15 min, 4 km at 40 km/h 6 min: due in
      // 21 min, when 20 - 0.5 * 21 = 9.5 packs are left; lasting 120 min needs 0.5 * 120 - 9.5 -> 51.
      expect(p.params).to.deep.equal({ fromStationId: 'S3', packs: 8, dispatchAt: at(15), etaAt: at(21) });
      expect(p.evidence).to.include({
        minutesToStockout: 37.4,
        stockoutMinutes: 60,
        charged: 20,
        swapRatePerMin: 0.6,
        rechargeRatePerMin: 0.1,
        packsNeeded: 51,
        packs: 8,
        donorAvailable: 8,
        donorKeeps: 32,
        donorPledged: 0,
        distanceKm: 4,
        etaMin: 21,
      });
      expect(p.claims).to.deep.equal({ slots: 8, 'packs@S3': 8 });
      expect(p.urgency).to.be.closeTo(0.69, 1e-9);
    });

    it('leaves a donor what it needs itself and what other stations already claimed', () => {
      const want = (n: Partial<NearbyStation>) =>
        evaluate(
          draining(),
          swap,
          aContext((c) => c.nearby.push(aNearby({ id: 'S3', distanceKm: 4, charged: 40, batterySlots: 40, ...n }))),
        ).find((x) => x.action === 'request_rebalance');
      // Its own drain of 0.3 packs/min over 120 min is 36 packs: 4 to spare, not 8.
      expect(want({ netDrainPerMin: 0.3 })!.params.packs).to.equal(4);
      expect(want({ netDrainPerMin: 0.4 })).to.equal(undefined);
      // Another station's rebalance in force has 6 of its 8 spare packs: 2 are left.
      expect(want({ pledgedPacks: 6 })!.params.packs).to.equal(2);
      expect(want({ pledgedPacks: 8 })).to.equal(undefined);
    });

    it('counts packs on their way once dispatched, and not before', () => {
      const job = (dispatchMin: number): PlanAction => ({
        id: 'request_rebalance:station',
        agent: 'logistics',
        action: 'request_rebalance',
        target: 'station',
        params: { fromStationId: 'S3', packs: 30, dispatchAt: at(dispatchMin), etaAt: at(dispatchMin + 5) },
        urgency: 0.7,
        confidence: 0.75,
        claims: { slots: 30, 'packs@S3': 30 },
        since: at(-10),
        updatedAt: at(-10),
        until: at(dispatchMin + 5),
        status: 'active',
        decisionId: 'dec-0',
      });
      const waiting = evaluate(
        draining((s) => (s.plan.actions = [job(5)])),
        swap,
        aContext(),
      );
      expect(waiting.find((p) => p.action === 'prioritize_charging')!.evidence)
        .to.include({ minutesToStockout: 37.4 })
        .and.not.have.property('packsOnTheWay');
      // On the road, due in 5 min, before the stock runs out: 50 packs' worth of stock, past the 90 min off-threshold.
      const onTheWay = evaluate(
        draining((s) => (s.plan.actions = [job(0)])),
        swap,
        aContext(),
      );
      expect(onTheWay).to.deep.equal([]);
    });
    it('never asks for more packs than there is room for: empty slots and depleted packs to exchange', () => {
      // 33 slots hold 20 charged, 6 charging and 4 depleted: 3 empty, 4 depleted to send back, room for 7.
      const s = draining((x) => (x.capacity.batterySlots = 33));
      const ctx = aContext((c) => c.nearby.push(aNearby({ charged: 40 })));
      expect(evaluate(s, swap, ctx).find((x) => x.action === 'request_rebalance')!.params.packs).to.equal(7);
    });

    it('does not fire without a donor in reach', () => {
      const ctx = aContext((c) => c.nearby.push(aNearby({ charged: 40, distanceKm: 50 })));
      expect(actions(evaluate(draining(), swap, ctx))).to.deep.equal(['prioritize_charging']);
    });
  });

  describe('prioritize_charging', () => {
    it('fires under the stockout threshold when there are packs to charge', () => {
      const p = evaluate(draining(), stock, aContext()).find((x) => x.action === 'prioritize_charging')!;
      // Nothing to set: the packs to charge are evidence, so a changing count does not re-plan it.
      expect(p.params).to.deep.equal({});
      expect(p.evidence).to.include({ minutesToStockout: 37.4, charged: 20, packs: 10 });
      expect(p.claims).to.deep.equal({ 'charging.rate': 1 });
    });

    it('does not fire with nothing to charge', () => {
      const s = draining((x) => (x.inventory = { charged: 5, charging: 0, depleted: 0, faulty: 0, updatedAt: x.updatedAt }));
      expect(actions(evaluate(s, stock, aContext()))).to.not.include('prioritize_charging');
    });
  });

  it('proposes nothing while stock lasts or before any stock report; judges the stock on any signal', () => {
    const ctx = aContext((c) => c.nearby.push(aNearby({ charged: 40 })));
    expect(
      evaluate(
        aStation((s) => (s.queue.swapRatePerMin = 0.2)),
        swap,
        ctx,
      ),
    ).to.deep.equal([]);
    expect(
      evaluate(
        draining((s) => (s.inventory.updatedAt = null)),
        swap,
        ctx,
      ),
    ).to.deep.equal([]);
    expect(actions(evaluate(draining(), aSignal('queue_length', { waiting: 1 }), ctx))).to.include('prioritize_charging');
  });

  it('hysteresis: stock actions in force stay until the stockout is 90 min away, and a requested transport keeps its terms', () => {
    const job = {
      id: 'request_rebalance:station',
      agent: 'logistics' as const,
      action: 'request_rebalance' as const,
      target: 'station',
      params: { fromStationId: 'S9', packs: 5 },
      urgency: 0.7,
      confidence: 0.75,
      claims: { slots: 5, 'packs@S9': 5 },
      since: aSignal('arrival', {}).ts,
      updatedAt: aSignal('arrival', {}).ts,
      until: null,
      status: 'active' as const,
      decisionId: 'dec-0',
    };
    // 20 charged at 0.35 swaps/min: 73 min to stockout, past the 60 min on-threshold, inside the 90 min off-threshold.
    const at035 = (mutate?: (s: StationState) => void) =>
      aStation((s) => {
        s.queue.swapRatePerMin = 0.35;
        mutate?.(s);
      });
    const ctx = aContext((c) => c.nearby.push(aNearby({ id: 'S3', charged: 40, batterySlots: 40 })));
    expect(evaluate(at035(), swap, ctx)).to.deep.equal([]);
    const kept = evaluate(
      at035((s) => (s.plan.actions = [job])),
      swap,
      ctx,
    );
    expect(actions(kept)).to.deep.equal(['request_rebalance', 'prioritize_charging']);
    // The job is kept as requested (S9, 5 packs), though S3 is nearer now.
    const held = kept.find((p) => p.action === 'request_rebalance')!;
    expect(held.params).to.deep.equal({ fromStationId: 'S9', packs: 5 });
    // Its slots and the donor's packs were granted when it started: they are not claimed again.
    expect(held.claims).to.deep.equal({});
    // At 0.3 swaps/min (91 min) it is released.
    expect(
      evaluate(
        aStation((s) => {
          s.queue.swapRatePerMin = 0.3;
          s.plan.actions = [job];
        }),
        swap,
        ctx,
      ),
    ).to.deep.equal([]);
  });

  describe('offer_surplus', () => {
    // Recharge (2/60 per min) outpaces the 0.01 swaps/min by more than the noise: no stockout in sight.
    const full = () =>
      aStation((s) => {
        s.inventory = { charged: 36, charging: 2, depleted: 0, faulty: 0, updatedAt: s.updatedAt };
        s.queue.swapRatePerMin = 0.01;
      });

    it('offers charged packs above the kept fraction of slots on a stock report', () => {
      const [p] = evaluate(full(), stock, aContext());
      expect(p!.action).to.equal('offer_surplus');
      expect(p!.params).to.deep.equal({ packs: 4 });
      expect(p!.evidence).to.deep.equal({ charged: 36, batterySlots: 40, surplusPct: 80, keepPacks: 32, packs: 4 });
      expect(p!.claims).to.deep.equal({ packs: 4 });
    });

    it('offers on any signal while the surplus lasts, and not without one', () => {
      expect(actions(evaluate(full(), swap, aContext()))).to.deep.equal(['offer_surplus']);
      expect(evaluate(aStation(), stock, aContext())).to.deep.equal([]);
    });
  });
});
