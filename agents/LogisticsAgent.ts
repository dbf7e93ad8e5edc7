// Logistics: charged-pack stock. Predicts the stockout and asks for packs
// (request_rebalance) and charging priority, or offers a surplus to the network.
import type { AgentContext, Evidence, Proposal, Signal, SignalType, StationState } from '../eventBus/types.js';
import { capacityOf } from './claims.js';
import { round } from './common.js';
import { DEFAULT_PACK_CHARGE_MINUTES, stockView, surplusPacks } from './predictors/stockout.js';

const RELEVANT: readonly SignalType[] = ['battery_stock', 'swap_completed'];

export function evaluate(state: StationState, signal: Signal, ctx: AgentContext): Proposal[] {
  if (!RELEVANT.includes(signal.type)) return [];
  const t = ctx.thresholds.logistics;
  const view = stockView(state, t.packChargeMinutes ?? DEFAULT_PACK_CHARGE_MINUTES);
  if (!view) return [];
  const inv = state.inventory;
  const mts = view.minutesToStockout;

  if (mts < t.stockoutMinutes) {
    const base: Evidence = {
      minutesToStockout: round(mts, 1),
      stockoutMinutes: t.stockoutMinutes,
      charged: inv.charged,
      charging: inv.charging,
      depleted: inv.depleted,
      swapRatePerMin: round(view.swapRatePerMin, 3),
      rechargeRatePerMin: round(view.rechargeRatePerMin, 3),
    };
    // Sooner stockout, higher urgency: 0.5 at the threshold, 1 when already out.
    const urgency = round(0.5 + 0.5 * (1 - mts / t.stockoutMinutes));
    const out: Proposal[] = [];

    // Enough packs to last rebalanceTargetMinutes at the current net drain.
    const net = Math.max(0, view.drainRatePerMin - view.rechargeRatePerMin);
    const packsNeeded = Math.max(1, Math.ceil(net * t.rebalanceTargetMinutes - inv.charged));
    const donor = ctx.nearby.find((n) => n.distanceKm <= t.nearbyKm && surplusPacks(n.charged, n.batterySlots, t.surplusFraction) > 0);
    if (donor) {
      const donorSurplus = surplusPacks(donor.charged, donor.batterySlots, t.surplusFraction);
      const freeSlots = capacityOf('slots', state);
      const packs = Math.min(packsNeeded, donorSurplus, freeSlots ?? packsNeeded);
      if (packs > 0) {
        out.push({
          agent: 'logistics',
          action: 'request_rebalance',
          params: { fromStationId: donor.id, packs },
          urgency,
          confidence: 0.75,
          evidence: {
            ...base,
            rebalanceTargetMinutes: t.rebalanceTargetMinutes,
            packsNeeded,
            packs,
            fromStationId: donor.id,
            donorSurplus,
            distanceKm: round(donor.distanceKm, 1),
          },
          claims: { slots: packs, [`packs@${donor.id}`]: packs },
        });
      }
    }
    // Charging priority only helps if there is a pack to charge.
    if (inv.charging + inv.depleted > 0) {
      out.push({
        agent: 'logistics',
        action: 'prioritize_charging',
        params: { packs: inv.charging + inv.depleted },
        urgency,
        confidence: 0.75,
        evidence: { ...base },
        claims: { 'charging.rate': 1 },
      });
    }
    return out;
  }

  // A surplus is judged on fresh stock counts only, not on every swap.
  if (signal.type === 'battery_stock') {
    const packs = surplusPacks(inv.charged, state.capacity.batterySlots, t.surplusFraction);
    if (packs > 0) {
      const evidence: Evidence = {
        charged: inv.charged,
        batterySlots: state.capacity.batterySlots,
        surplusPct: round(t.surplusFraction * 100, 0),
        keepPacks: Math.floor(t.surplusFraction * state.capacity.batterySlots),
        packs,
      };
      if (Number.isFinite(mts)) evidence.minutesToStockout = round(mts, 1);
      return [
        {
          agent: 'logistics',
          action: 'offer_surplus',
          params: { packs },
          urgency: 0.2,
          confidence: 0.8,
          evidence,
          claims: { packs },
        },
      ];
    }
  }
  return [];
}
