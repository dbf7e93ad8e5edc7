import { expect } from 'chai';
import { evaluate } from '../../agents/LogisticsAgent.js';
import type { StationState } from '../../eventBus/types.js';
import { aContext, aNearby, aSignal, aStation } from '../builders.js';

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
    it('asks the nearest station with surplus for enough packs to last the target time', () => {
      const ctx = aContext((c) => {
        c.nearby.push(
          aNearby({ id: 'S2', distanceKm: 2, charged: 30, batterySlots: 40 }),
          aNearby({ id: 'S3', distanceKm: 4, charged: 40, batterySlots: 40 }),
        );
      });
      const p = evaluate(draining(), swap, ctx).find((x) => x.action === 'request_rebalance')!;
      // S2 keeps 32 of 40: no surplus. S3 has 8 spare; we need 0.5 * 120 - 20 = 40, so 8.
      expect(p.params).to.deep.equal({ fromStationId: 'S3', packs: 8 });
      expect(p.evidence).to.include({
        minutesToStockout: 37.4,
        stockoutMinutes: 60,
        charged: 20,
        swapRatePerMin: 0.6,
        rechargeRatePerMin: 0.1,
        packsNeeded: 40,
        packs: 8,
        donorSurplus: 8,
        distanceKm: 4,
      });
      expect(p.claims).to.deep.equal({ slots: 8, 'packs@S3': 8 });
      expect(p.urgency).to.be.closeTo(0.69, 1e-9);
    });

    it('never asks for more packs than free slots', () => {
      const s = draining((x) => (x.capacity.batterySlots = 33));
      const ctx = aContext((c) => c.nearby.push(aNearby({ charged: 40 })));
      expect(evaluate(s, swap, ctx).find((x) => x.action === 'request_rebalance')!.params.packs).to.equal(3);
    });

    it('does not fire without a donor in reach', () => {
      const ctx = aContext((c) => c.nearby.push(aNearby({ charged: 40, distanceKm: 50 })));
      expect(actions(evaluate(draining(), swap, ctx))).to.deep.equal(['prioritize_charging']);
    });
  });

  describe('prioritize_charging', () => {
    it('fires under the stockout threshold when there are packs to charge', () => {
      const p = evaluate(draining(), stock, aContext()).find((x) => x.action === 'prioritize_charging')!;
      expect(p.params).to.deep.equal({ packs: 10 });
      expect(p.evidence).to.include({ minutesToStockout: 37.4, charged: 20 });
      expect(p.claims).to.deep.equal({ 'charging.rate': 1 });
    });

    it('does not fire with nothing to charge', () => {
      const s = draining((x) => (x.inventory = { charged: 5, charging: 0, depleted: 0, faulty: 0, updatedAt: x.updatedAt }));
      expect(actions(evaluate(s, stock, aContext()))).to.not.include('prioritize_charging');
    });
  });

  it('proposes nothing while stock lasts, on unrelated signals, or before any stock report', () => {
    const ctx = aContext((c) => c.nearby.push(aNearby({ charged: 40 })));
    expect(
      evaluate(
        aStation((s) => (s.queue.swapRatePerMin = 0.2)),
        swap,
        ctx,
      ),
    ).to.deep.equal([]);
    expect(evaluate(draining(), aSignal('queue_length', { waiting: 1 }), ctx)).to.deep.equal([]);
    expect(
      evaluate(
        draining((s) => (s.inventory.updatedAt = null)),
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

    it('does not offer on a swap, or without surplus', () => {
      expect(evaluate(full(), swap, aContext())).to.deep.equal([]);
      expect(evaluate(aStation(), stock, aContext())).to.deep.equal([]);
    });
  });
});
