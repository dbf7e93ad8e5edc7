// Minutes until the station runs out of charged packs, and how likely that is within a horizon.
import type { StationState } from '../../eventBus/types.js';
import { activeBays, serviceMinutes } from './bays.js';

/** Typical time to recharge a swap pack; overridable through thresholds.logistics.packChargeMinutes. */
export const DEFAULT_PACK_CHARGE_MINUTES = 60;

/**
 * Charged packs produced per minute. Packs on charge are at spread-out points
 * of their cycle, so on average charging / packChargeMinutes finish each minute.
 */
export function rechargeRatePerMin(charging: number, packChargeMinutes: number = DEFAULT_PACK_CHARGE_MINUTES): number {
  if (charging <= 0 || packChargeMinutes <= 0) return 0;
  return charging / packChargeMinutes;
}

/**
 * Charged packs produced per minute, learned from the stock reports where the
 * station has them: the observed rate per pack on charge, blended with the
 * assumed 1 / packChargeMinutes by how much history backs it (the flow
 * weight). Derated or throttled chargers then show up as a slower recharge
 * instead of being assumed away.
 */
export function observedRechargeRatePerMin(state: StationState, packChargeMinutes: number = DEFAULT_PACK_CHARGE_MINUTES): number {
  const charging = state.inventory.charging;
  const assumed = packChargeMinutes > 0 ? 1 / packChargeMinutes : 0;
  const f = state.stockFlow;
  if (charging <= 0) return 0;
  if (!f || f.weight <= 0 || f.chargingMinEwma <= 0) return charging * assumed;
  const observed = Math.max(0, f.producedEwma / f.chargingMinEwma);
  const w = Math.min(1, f.weight);
  return charging * (w * observed + (1 - w) * assumed);
}

export interface StockoutInput {
  charged: number;
  swapRatePerMin: number;
  rechargeRatePerMin: number;
  /** How much wider than a Poisson count the fluctuation is, as an extra multiple (0: the rates are well measured). */
  extraVariance?: number;
}

/**
 * Demand and recharge not yet measured are uncertain, and that uncertainty spreads the time to a
 * stockout as fluctuation does: the fluctuation term grows by this times the share of the stock flow's
 * memory still empty (1 - weight). Calibrated on the tuning seeds (a few packs with rates still
 * guessed run out within the hour far more often than a balanced guess suggests).
 */
export const UNMEASURED_VARIANCE = 6;

/**
 * Packs leave one at a time (Poisson-like swaps) and come back one at a time,
 * so the stock is a random walk, not a smooth drain: with x packs, net drain
 * mu = swapRate - rechargeRate and variance s2 = swapRate + rechargeRate per
 * minute, it reaches 0 on the time scale
 *   minutes = x^2 / (mu * x + s2)
 * which is x / mu when the drift dominates (large stock) and the fluctuation
 * time x^2 / s2 when supply and demand balance (a few packs run out even then).
 * s2 is widened by `extraVariance` while the rates are still guesses.
 * Infinity when recharge outpaces demand by more than the noise; 0 when the
 * station has no charged pack left.
 */
export function minutesToStockout(input: StockoutInput): number {
  if (input.charged <= 0) return 0;
  const x = input.charged;
  const net = input.swapRatePerMin - input.rechargeRatePerMin;
  const variance =
    (Math.max(0, input.swapRatePerMin) + Math.max(0, input.rechargeRatePerMin)) * (1 + Math.max(0, input.extraVariance ?? 0));
  const rate = net * x + variance;
  if (rate <= 0) return Infinity;
  return (x * x) / rate;
}

export interface StockView {
  minutesToStockout: number;
  rechargeRatePerMin: number;
  swapRatePerMin: number;
  /** Charged packs handed out per minute (see drainRatePerMin): what minutesToStockout drains at. */
  drainRatePerMin: number;
}

/** Flow weight (share of the counts' memory filled, about 35 minutes of reports) from which the queue EWMAs are trusted. */
export const EWMA_TRUST_WEIGHT = 0.7;

/**
 * Packs leave at the rate drivers take them. While packs last an arriving
 * driver is served, so demand is the larger of swaps and arrivals per minute,
 * counted over the time between stock reports and blended with a prior by how
 * much history backs the counts (the flow weight). The prior is the gap-based
 * queue EWMAs (the larger of swaps and arrivals), which follow the last few
 * events, once the station has been watched long enough (EWMA_TRUST_WEIGHT);
 * before that, a balanced station (`balancedDemand`, the nominal recharge):
 * from their first few events the EWMAs guess wildly (a swap rate of 20 a
 * minute from two swaps seconds apart), which made the forecast worse on the
 * tuning seeds. The EWMAs stand in alone where nothing was counted yet (no
 * stock flow). No more than the staffed bays can swap. A line waiting is not
 * taken as the drain either: taking the full bay capacity while anyone waits
 * made the forecast worse too (a driver or two waiting is gone within minutes).
 */
export function drainRatePerMin(state: StationState, balancedDemand = 0): number {
  const q = state.queue;
  const capacity = activeBays(state) / serviceMinutes(q.serviceTimeS);
  const measured = Math.max(q.swapRatePerMin, q.arrivalRatePerMin);
  const f = state.stockFlow;
  if (!f || f.minutesEwma <= 0) return Math.min(measured > 0 ? measured : balancedDemand, capacity);
  const w = Math.min(1, f.weight);
  const counted = Math.max(f.swapsEwma, f.arrivalsEwma) / f.minutesEwma;
  const prior = measured > 0 && w >= EWMA_TRUST_WEIGHT ? measured : balancedDemand;
  return Math.min(w * counted + (1 - w) * prior, capacity);
}

/**
 * The stockout estimate logistics, energy and the evaluation use; null until the station reported
 * stock. The drain leaves out the instantaneous line, so the figure is steady whatever `_steady` asks
 * (kept so callers that ask for the steady figure still read as such).
 */
export function stockView(state: StationState, packChargeMinutes = DEFAULT_PACK_CHARGE_MINUTES, _steady = false): StockView | null {
  const inv = state.inventory;
  if (inv.updatedAt === null) return null;
  const recharge = observedRechargeRatePerMin(state, packChargeMinutes);
  const drain = drainRatePerMin(state, rechargeRatePerMin(inv.charging, packChargeMinutes));
  // Without a stock flow the rates come from the queue EWMAs alone, and there are no counts to be short of.
  const f = state.stockFlow;
  const extraVariance = f ? UNMEASURED_VARIANCE * (1 - Math.min(1, Math.max(0, f.weight))) : 0;
  return {
    minutesToStockout: minutesToStockout({ charged: inv.charged, swapRatePerMin: drain, rechargeRatePerMin: recharge, extraVariance }),
    rechargeRatePerMin: recharge,
    swapRatePerMin: state.queue.swapRatePerMin,
    drainRatePerMin: drain,
  };
}

/**
 * Calibration of stockoutChanceWithin on the tuning seeds: a projection of this share of the horizon
 * (25 minutes for an hour) is as likely as not to end in a stockout within the horizon...
 */
export const ETA_HALF_SHARE = 0.42;
/** ...and the chance falls off with the cube of the projection beyond that. */
export const ETA_STEEPNESS = 3;

/**
 * P(stockout within horizonMin) from the projected minutes to stockout, log-logistic:
 * 1 / (1 + (eta / (ETA_HALF_SHARE * horizon))^ETA_STEEPNESS); 1 when already out, 0 when the stock
 * is not draining. A projection runs short on an ordinary day: it takes the recent drain to go on,
 * and a drain that looks fast over half an hour mostly eases (drivers come in bursts). It runs long
 * when demand is about to surge (a rush hour starting) or is unknown (the first minutes of a run):
 * the signals do not show what has not happened yet, so no single mapping is calibrated for both.
 */
export function stockoutChanceWithin(etaMin: number, horizonMin: number): number {
  if (etaMin <= 0) return 1;
  if (!Number.isFinite(etaMin) || horizonMin <= 0) return 0;
  return 1 / (1 + (etaMin / (ETA_HALF_SHARE * horizonMin)) ** ETA_STEEPNESS);
}

/** Charged packs above surplusFraction of the slots are surplus. */
export function surplusPacks(charged: number, batterySlots: number, surplusFraction: number): number {
  return Math.max(0, charged - Math.floor(surplusFraction * batterySlots));
}
