// Energy: grid and cost. Sheds load near the grid limit (curtail_charging) and
// shifts pack charging by price (defer_charging when dear, boost_charging when cheap).
import type { AgentContext, Evidence, Proposal, Signal, StationState } from '../eventBus/types.js';
import { clamp01, round } from './common.js';
import { inForce } from './plan.js';
import { projectedAverageKW } from './predictors/demand.js';
import { priceQuartile } from './predictors/priceQuartile.js';
import { stationWaitMin } from './predictors/wait.js';
import { DEFAULT_PACK_CHARGE_MINUTES, minutesToStockout, stockView } from './predictors/stockout.js';

/**
 * What the energy agent wants in force now, judged on the whole state (not only on the signal that
 * arrived), with hysteresis: an action in force is kept until its off-threshold, not its on-threshold.
 */
export function evaluate(state: StationState, _signal: Signal, ctx: AgentContext): Proposal[] {
  return [...peakShaving(state, ctx), ...priceShift(state, ctx)];
}

function peakShaving(state: StationState, ctx: AgentContext): Proposal[] {
  const t = ctx.thresholds.energy;
  const { drawKW, limitKW } = state.power;
  if (drawKW === null || limitKW === null || limitKW <= 0) return [];
  const thresholdKW = t.curtailFraction * limitKW;
  const standing = inForce(state, 'curtail_charging');
  // Peak shaving works on the quarter-hour average the grid bills and limits, not on one reading:
  // a short spike inside an otherwise calm interval needs no curtailment. Over the hard limit it acts at once.
  const avgKW = projectedAverageKW(state.power.demand, ctx.now, drawKW);
  const overLimit = drawKW > limitKW;
  if (!overLimit && avgKW <= (standing ? t.curtailOffFraction * limitKW : thresholdKW)) return [];
  // Peak shaving holds the draw at the threshold: the target, which moves only with the limit.
  const shedKW = round(Math.max(0, drawKW - thresholdKW), 1);
  const targetKW = round(thresholdKW, 1);
  return [
    {
      agent: 'energy',
      action: 'curtail_charging',
      // The supervisor shares the target among the chargers as kW setpoints (agents/setpoints.ts).
      params: { targetKW },
      // Over the hard limit it is as urgent as it gets; below, it grows towards the limit.
      urgency: overLimit ? 1 : round(0.6 + 0.4 * clamp01((drawKW - thresholdKW) / (limitKW - thresholdKW))),
      confidence: 0.9,
      evidence: {
        drawKW: round(drawKW, 1),
        quarterHourAvgKW: round(avgKW, 1),
        limitKW: round(limitKW, 1),
        curtailPct: round(t.curtailFraction * 100, 0),
        curtailOffPct: round(t.curtailOffFraction * 100, 0),
        thresholdKW: round(thresholdKW, 1),
        shedKW,
        targetKW,
        shedPctOfDraw: round((100 * shedKW) / drawKW, 1),
        overLimit,
      },
      claims: { 'power.kW': -shedKW, 'charging.rate': -1 },
    },
  ];
}

function priceShift(state: StationState, ctx: AgentContext): Proposal[] {
  const t = ctx.thresholds.energy;
  const { drawKW, limitKW } = state.power;
  const current = state.price.current;
  // A price only counts while its window holds.
  if (current === null || current.validTo <= ctx.now || current.validFrom > ctx.now) return [];
  const price = current.pricePerKWh;
  const q = priceQuartile(price, state.price.recent.slice(-t.priceWindow));
  const stock = stockView(state, ctx.thresholds.logistics.packChargeMinutes ?? DEFAULT_PACK_CHARGE_MINUTES, true);
  // Shifting charging on price needs to know the stock it would delay or fill.
  if (!q || !stock) return [];
  const inv = state.inventory;
  const priceEvidence: Evidence = {
    pricePerKWh: price,
    quartile: q.quartile,
    percentile: round(q.percentile, 0),
    windowSize: q.windowSize,
    medianPricePerKWh: round(q.median, 4),
    charged: inv.charged,
  };

  const deferring = inForce(state, 'defer_charging');
  const boosting = inForce(state, 'boost_charging');
  // Hysteresis: started in the top (bottom) quartile, kept while the price stays above (below) the median.
  const dear = deferring ? q.percentile >= 50 : q.quartile === 4;
  const cheap = boosting ? q.percentile <= 50 : q.quartile === 1;
  // Deferring stops recharge, and the stock must carry the station meanwhile. Only a spike (spikeRatio
  // times the window's median or more) is deferred, as long as the stock lasts without recharge through
  // its window and a margin (a 45-minute spike too; healthyStockMinutes at most). An ordinary dear hour
  // (the top of the daily curve) is not: it lasts for hours, and shifting charging out of it safely needs
  // a forecast of the day's demand the copilot does not have (measured: deferring the morning peak cost
  // rush-hour drivers their packs).
  const windowLeftMin = (Date.parse(current.validTo) - Date.parse(ctx.now)) / 60_000;
  const spike = price >= t.spikeRatio * q.median;
  const needMin = Math.min(t.healthyStockMinutes, windowLeftMin + t.deferMarginMinutes);
  // On the steady drain: one driver arriving must not end a deferral (the instantaneous line makes the
  // drain jump to every bay swapping and back).
  const unrecharged = minutesToStockout({ charged: inv.charged, swapRatePerMin: stock.drainRatePerMin, rechargeRatePerMin: 0 });
  // Service before cost: no deferral while drivers queue (started under the traffic agent's off
  // threshold, kept under its on threshold, so a line that comes and goes does not flap it).
  const waitMin = stationWaitMin(state);
  const calm = waitMin < (deferring ? ctx.thresholds.traffic.waitMinutesHigh : ctx.thresholds.traffic.waitMinutesOff);
  // Hysteresis on the stock too: started when it lasts through the window and the margin, kept while it lasts the margin.
  const lasts = unrecharged >= (deferring ? t.deferMarginMinutes : needMin);
  if (dear && (spike || deferring) && calm && lasts) {
    const evidence: Evidence = {
      ...priceEvidence,
      spike,
      priceWindowLeftMin: round(windowLeftMin, 1),
      deferMarginMinutes: t.deferMarginMinutes,
      healthyStockMinutes: t.healthyStockMinutes,
    };
    if (Number.isFinite(unrecharged)) evidence.minutesToStockoutUncharged = round(unrecharged, 1);
    else evidence.stockDepleting = false;
    return [
      {
        agent: 'energy',
        action: 'defer_charging',
        params: { untilPriceBelow: round(q.median, 4) },
        urgency: 0.3,
        confidence: 0.7,
        evidence,
        claims: { 'charging.rate': -1 },
      },
    ];
  }

  const packsToCharge = inv.charging + inv.depleted;
  if (cheap && packsToCharge > 0 && drawKW !== null && limitKW !== null) {
    // Boost only into the headroom below the curtailment threshold, or the next power reading would
    // ask to shed what was just added. A boost in force keeps its setpoint (its own load is in the draw).
    const headroomKW = round(t.curtailFraction * limitKW - drawKW, 1);
    if (boosting ? drawKW > t.curtailFraction * limitKW : headroomKW <= 0) return [];
    const boostKW = boosting ? Number(boosting.params.boostKW) : headroomKW;
    return [
      {
        agent: 'energy',
        action: 'boost_charging',
        params: { boostKW },
        urgency: 0.3,
        confidence: 0.7,
        evidence: { ...priceEvidence, packsToCharge, drawKW: round(drawKW, 1), limitKW: round(limitKW, 1), boostKW },
        claims: { 'power.kW': boostKW, 'charging.rate': 1 },
      },
    ];
  }
  return [];
}
