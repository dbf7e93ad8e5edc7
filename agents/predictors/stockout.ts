// Minutes until the station runs out of charged packs.
import type { StationState } from '../../eventBus/types.js';
import { activeBays, DEFAULT_SERVICE_TIME_S } from './wait.js';

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
}

/**
 * Packs leave one at a time (Poisson-like swaps) and come back one at a time,
 * so the stock is a random walk, not a smooth drain: with x packs, net drain
 * mu = swapRate - rechargeRate and variance s2 = swapRate + rechargeRate per
 * minute, it reaches 0 on the time scale
 *   minutes = x^2 / (mu * x + s2)
 * which is x / mu when the drift dominates (large stock) and the fluctuation
 * time x^2 / s2 when supply and demand balance (a few packs run out even then).
 * Infinity when recharge outpaces demand by more than the noise; 0 when the
 * station has no charged pack left.
 */
export function minutesToStockout(input: StockoutInput): number {
  if (input.charged <= 0) return 0;
  const x = input.charged;
  const net = input.swapRatePerMin - input.rechargeRatePerMin;
  const variance = Math.max(0, input.swapRatePerMin) + Math.max(0, input.rechargeRatePerMin);
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

/**
 * Packs leave at the rate drivers take them. While packs last an arriving
 * driver is served, so demand is the larger of swaps and arrivals per minute,
 * counted over time between stock reports (the gap-based queue EWMAs go stale
 * when events stop, and guess wildly from their first two events) and blended
 * with those EWMAs by how much history backs the counts. Before any swap or
 * arrival, the station is assumed balanced (`balancedDemand`, the nominal
 * recharge). A line means the bays are the limit; either way no more than
 * the staffed bays can swap.
 */
export function drainRatePerMin(state: StationState, balancedDemand = 0, steady = false): number {
  const q = state.queue;
  const serviceMin = (q.serviceTimeS > 0 ? q.serviceTimeS : DEFAULT_SERVICE_TIME_S) / 60;
  const capacity = activeBays(state) / serviceMin;
  if (q.waiting > 0 && !steady) return capacity;
  const f = state.stockFlow;
  const measured = Math.max(q.swapRatePerMin, q.arrivalRatePerMin);
  const prior = measured > 0 ? measured : balancedDemand;
  const w = f && f.minutesEwma > 0 ? Math.min(1, f.weight) : 0;
  const counted = f && f.minutesEwma > 0 ? Math.max(f.swapsEwma, f.arrivalsEwma) / f.minutesEwma : 0;
  return Math.min(w * counted + (1 - w) * prior, capacity);
}

/**
 * The stockout estimate both logistics and energy use; null until the station reported stock.
 * `steady` leaves out the instantaneous line (a driver waiting makes the drain jump to full bay
 * capacity and back): what a plan that should not flap acts on. The predictor's own figure
 * (evaluation) keeps the line in.
 */
export function stockView(state: StationState, packChargeMinutes = DEFAULT_PACK_CHARGE_MINUTES, steady = false): StockView | null {
  const inv = state.inventory;
  if (inv.updatedAt === null) return null;
  const recharge = observedRechargeRatePerMin(state, packChargeMinutes);
  const drain = drainRatePerMin(state, rechargeRatePerMin(inv.charging, packChargeMinutes), steady);
  return {
    minutesToStockout: minutesToStockout({ charged: inv.charged, swapRatePerMin: drain, rechargeRatePerMin: recharge }),
    rechargeRatePerMin: recharge,
    swapRatePerMin: state.queue.swapRatePerMin,
    drainRatePerMin: drain,
  };
}

/** Charged packs above surplusFraction of the slots are surplus. */
export function surplusPacks(charged: number, batterySlots: number, surplusFraction: number): number {
  return Math.max(0, charged - Math.floor(surplusFraction * batterySlots));
}
