// Logistics: charged-pack stock. Predicts the stockout and asks for packs
// (request_rebalance) and charging priority, or offers a surplus to the network.
import type { AgentContext, Evidence, NearbyStation, Proposal, Signal, StationState } from '../eventBus/types.js';
import { capacityOf } from './claims.js';
import { round } from './common.js';
import { heldClaims, inForce, isDispatched } from './plan.js';
import { DEFAULT_PACK_CHARGE_MINUTES, minutesToStockout, stockView, surplusPacks } from './predictors/stockout.js';

/** Judged on the whole state on every signal, with hysteresis against the actions in force. */
export function evaluate(state: StationState, _signal: Signal, ctx: AgentContext): Proposal[] {
  const t = ctx.thresholds.logistics;
  const view = stockView(state, t.packChargeMinutes ?? DEFAULT_PACK_CHARGE_MINUTES, true);
  if (!view) return [];
  const inv = state.inventory;
  // Packs on their way (a rebalance dispatched) count once they can arrive before the stock runs out.
  const job = inForce(state, 'request_rebalance');
  const inbound = job && isDispatched(job, ctx.now) ? Number(job.params.packs) || 0 : 0;
  const etaLeftMin = job ? Math.max(0, (Date.parse(String(job.params.etaAt)) - Date.parse(ctx.now)) / 60_000) : 0;
  const withInbound =
    inbound > 0 && etaLeftMin <= view.minutesToStockout
      ? minutesToStockout({
          charged: inv.charged + inbound,
          swapRatePerMin: view.drainRatePerMin,
          rechargeRatePerMin: view.rechargeRatePerMin,
        })
      : view.minutesToStockout;
  const mts = withInbound;

  const stocking = job ?? inForce(state, 'prioritize_charging');
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
    if (inbound > 0) base.packsOnTheWay = inbound;
    // Sooner stockout, higher urgency: 0.5 at the threshold, 1 when already out.
    const urgency = round(0.5 + 0.5 * Math.max(0, 1 - mts / t.stockoutMinutes));
    const out: Proposal[] = [];

    const net = Math.max(0, view.drainRatePerMin - view.rechargeRatePerMin);
    const rebalance = (params: Proposal['params'], claims: Proposal['claims'], extra: Evidence): Proposal => ({
      agent: 'logistics',
      action: 'request_rebalance',
      params,
      urgency,
      confidence: 0.75,
      evidence: { ...base, rebalanceTargetMinutes: t.rebalanceTargetMinutes, ...extra },
      claims,
    });
    if (job) {
      // A requested transport is a job under way: it is kept as asked, not re-planned on every count.
      // Its slots and the donor's packs were granted when it started (see heldClaims).
      out.push(
        rebalance(job.params, heldClaims(job.claims), { packs: Number(job.params.packs), fromStationId: String(job.params.fromStationId) }),
      );
    } else {
      const offer = bestDonor(ctx, state, net);
      if (offer) {
        const { donor, packs, needed, etaMin, available, keeps } = offer;
        const at = (min: number) => new Date(Date.parse(ctx.now) + Math.round(min * 60) * 1000).toISOString();
        const extra: Evidence = {
          packsNeeded: needed,
          packs,
          fromStationId: donor.id,
          donorAvailable: available,
          donorKeeps: keeps,
          donorPledged: donor.pledgedPacks,
          distanceKm: round(donor.distanceKm, 1),
          etaMin: round(etaMin, 1),
        };
        out.push(
          rebalance(
            { fromStationId: donor.id, packs, dispatchAt: at(t.loadMinutes), etaAt: at(etaMin) },
            { slots: packs, [`packs@${donor.id}`]: packs },
            extra,
          ),
        );
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

/**
 * The donor that can bring the most useful packs soonest. A donor keeps what it needs itself (its surplus
 * floor, or its own net drain over the rebalance horizon, whichever is more) and what other stations have
 * already claimed (two stations never count on the same packs). The packs must last the horizon from
 * their arrival: what the station still has when they come (if anything) is counted against them.
 */
function bestDonor(
  ctx: AgentContext,
  state: StationState,
  netDrainPerMin: number,
): { donor: NearbyStation; packs: number; needed: number; etaMin: number; available: number; keeps: number } | null {
  const t = ctx.thresholds.logistics;
  const freeSlots = capacityOf('slots', state);
  for (const donor of ctx.nearby) {
    if (donor.distanceKm > t.nearbyKm || t.transportSpeedKmh <= 0) continue;
    const keeps = Math.max(Math.floor(t.surplusFraction * donor.batterySlots), Math.ceil(donor.netDrainPerMin * t.rebalanceTargetMinutes));
    const available = Math.max(0, donor.charged - keeps - donor.pledgedPacks);
    if (available <= 0) continue;
    const etaMin = t.loadMinutes + (60 * donor.distanceKm) / t.transportSpeedKmh;
    const leftOnArrival = Math.max(0, state.inventory.charged - netDrainPerMin * etaMin);
    const needed = Math.max(1, Math.ceil(netDrainPerMin * t.rebalanceTargetMinutes - leftOnArrival));
    const packs = Math.min(needed, available, freeSlots ?? needed);
    // ctx.nearby is nearest first, and the nearest donor with packs to give is also the soonest.
    if (packs > 0) return { donor, packs, needed, etaMin, available, keeps };
  }
  return null;
}
