// Logistics: charged-pack stock. Predicts the stockout and asks for packs
// (request_rebalance) and charging priority, or offers a surplus to the network.
import type { AgentContext, Evidence, Proposal, Signal, StationState } from '../eventBus/types.js';
import { capacityOf } from './claims.js';
import { round } from './common.js';
import { inForce } from './plan.js';
import { DEFAULT_PACK_CHARGE_MINUTES, stockView, surplusPacks } from './predictors/stockout.js';

/** Judged on the whole state on every signal, with hysteresis against the actions in force. */
export function evaluate(state: StationState, _signal: Signal, ctx: AgentContext): Proposal[] {
  const t = ctx.thresholds.logistics;
  const view = stockView(state, t.packChargeMinutes ?? DEFAULT_PACK_CHARGE_MINUTES, true);
  if (!view) return [];
  const inv = state.inventory;
  const mts = view.minutesToStockout;

  const stocking = inForce(state, 'request_rebalance') ?? inForce(state, 'prioritize_charging');
  if (mts < (stocking ? t.stockoutOffMinutes : t.stockoutMinutes)) {
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
    const urgency = round(0.5 + 0.5 * Math.max(0, 1 - mts / t.stockoutMinutes));
    const out: Proposal[] = [];

    // Enough packs to last rebalanceTargetMinutes at the current net drain.
    const net = Math.max(0, view.drainRatePerMin - view.rechargeRatePerMin);
    const packsNeeded = Math.max(1, Math.ceil(net * t.rebalanceTargetMinutes - inv.charged));
    const rebalance = (params: Proposal['params'], claims: Proposal['claims'], extra: Evidence): Proposal => ({
      agent: 'logistics',
      action: 'request_rebalance',
      params,
      urgency,
      confidence: 0.75,
      evidence: { ...base, rebalanceTargetMinutes: t.rebalanceTargetMinutes, packsNeeded, ...extra },
      claims,
    });
    const job = inForce(state, 'request_rebalance');
    const donor = ctx.nearby.find((n) => n.distanceKm <= t.nearbyKm && surplusPacks(n.charged, n.batterySlots, t.surplusFraction) > 0);
    if (job) {
      // A requested transport is a job under way: it is kept as asked, not re-planned on every count.
      // Its slots were reserved when it started: only the donor's packs stay claimed.
      const claims = Object.fromEntries(Object.entries(job.claims).filter(([r]) => r !== 'slots'));
      out.push(rebalance(job.params, claims, { packs: Number(job.params.packs), fromStationId: String(job.params.fromStationId) }));
    } else if (donor) {
      const donorSurplus = surplusPacks(donor.charged, donor.batterySlots, t.surplusFraction);
      const freeSlots = capacityOf('slots', state);
      const packs = Math.min(packsNeeded, donorSurplus, freeSlots ?? packsNeeded);
      if (packs > 0) {
        const extra = { packs, fromStationId: donor.id, donorSurplus, distanceKm: round(donor.distanceKm, 1) };
        out.push(rebalance({ fromStationId: donor.id, packs }, { slots: packs, [`packs@${donor.id}`]: packs }, extra));
      }
    }
    // Charging priority only helps if there is a pack to charge; once in force it stays while the stock is short.
    if (inv.charging + inv.depleted > 0 || inForce(state, 'prioritize_charging')) {
      out.push({
        agent: 'logistics',
        action: 'prioritize_charging',
        params: {},
        urgency,
        confidence: 0.75,
        evidence: { ...base, packs: inv.charging + inv.depleted },
        claims: { 'charging.rate': 1 },
      });
    }
    return out;
  }

  {
    const offering = inForce(state, 'offer_surplus');
    const packs = surplusPacks(inv.charged, state.capacity.batterySlots, offering ? t.surplusOffFraction : t.surplusFraction);
    if (inv.updatedAt !== null && packs > 0) {
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
