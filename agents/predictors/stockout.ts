// Minutes until the station runs out of charged packs.
import type { StationState } from '../../eventBus/types.js';

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

export interface StockoutInput {
  charged: number;
  swapRatePerMin: number;
  rechargeRatePerMin: number;
}

/**
 * minutes = charged / (swapRate - rechargeRate): the charged stock drains at
 * the net rate. Infinity when the stock is not draining (recharge keeps up);
 * 0 when the station has no charged pack left.
 */
export function minutesToStockout(input: StockoutInput): number {
  if (input.charged <= 0) return 0;
  const net = input.swapRatePerMin - input.rechargeRatePerMin;
  if (net <= 0) return Infinity;
  return input.charged / net;
}

export interface StockView {
  minutesToStockout: number;
  rechargeRatePerMin: number;
  swapRatePerMin: number;
}

/** The stockout estimate both logistics and energy use; null until the station reported stock. */
export function stockView(state: StationState, packChargeMinutes = DEFAULT_PACK_CHARGE_MINUTES): StockView | null {
  const inv = state.inventory;
  if (inv.updatedAt === null) return null;
  const recharge = rechargeRatePerMin(inv.charging, packChargeMinutes);
  return {
    minutesToStockout: minutesToStockout({ charged: inv.charged, swapRatePerMin: state.queue.swapRatePerMin, rechargeRatePerMin: recharge }),
    rechargeRatePerMin: recharge,
    swapRatePerMin: state.queue.swapRatePerMin,
  };
}

/** Charged packs above surplusFraction of the slots are surplus. */
export function surplusPacks(charged: number, batterySlots: number, surplusFraction: number): number {
  return Math.max(0, charged - Math.floor(surplusFraction * batterySlots));
}
