// Traffic: congestion. Predicts the wait and, when it is long, sends arriving
// drivers elsewhere (offer_incentive), borrows staff (divert_staff) or opens bays.
import type { AgentContext, Evidence, NearbyStation, Proposal, Signal, StationState } from '../eventBus/types.js';
import { clamp01, hourKey, round } from './common.js';
import { heldClaims, inForce } from './plan.js';
import { activeBays, predictWaitMin, stationWaitMin, waitInput } from './predictors/wait.js';

/**
 * All three actions answer a predicted wait above waitMinutesHigh: a closed bay or an idle
 * neighbour's staff is no reason to act while the line is short. Judged on the whole state on every
 * signal; once traffic actions are in force they are wanted until the wait falls below waitMinutesOff.
 */
export function evaluate(state: StationState, _signal: Signal, ctx: AgentContext): Proposal[] {
  const t = ctx.thresholds.traffic;
  const wait = stationWaitMin(state);
  const acting = state.plan.actions.some((a) => a.agent === 'traffic');
  if (wait <= (acting ? t.waitMinutesOff : t.waitMinutesHigh)) return [];

  const servers = activeBays(state);
  const base: Evidence = {
    predictedWaitMin: round(wait, 1),
    waitMinutesHigh: t.waitMinutesHigh,
    queueWaiting: state.queue.waiting,
    activeBays: servers,
    openBays: state.bays.open,
    totalBays: state.bays.total,
  };
  if (state.staff.count !== null) base.staffOnDuty = state.staff.count;
  // Beyond twice the threshold the line is as urgent as it gets.
  const urgency = round(clamp01(wait / (2 * t.waitMinutesHigh)));
  // A wait built on a measured swap time is more trustworthy than one on the default.
  const confidence = state.queue.serviceTimeS > 0 ? 0.8 : 0.6;
  const waitWith = (extraServers: number): number => predictWaitMin({ ...waitInput(state), servers: servers + extraServers });

  const out: Proposal[] = [];
  const incentive = offerIncentive(state, ctx, wait, base, urgency, confidence);
  if (incentive) out.push(incentive);

  // Staff is the bottleneck when open bays stand idle for lack of people.
  if (state.staff.count !== null && state.staff.count < state.bays.open) {
    const donor = leastLoadedDonor(ctx.nearby, t.nearbyKm, t.waitMinutesHigh);
    if (donor && donor.staff !== null) {
      const count = Math.min(state.bays.open - state.staff.count, donor.staff - 1);
      out.push({
        agent: 'traffic',
        action: 'divert_staff',
        params: { fromStationId: donor.id, count },
        urgency,
        confidence,
        evidence: {
          ...base,
          fromStationId: donor.id,
          donorStaff: donor.staff,
          donorWaitMin: round(donor.predictedWaitMin, 1),
          distanceKm: round(donor.distanceKm, 1),
          count,
          predictedWaitAfterMin: round(waitWith(count), 1),
        },
        claims: { [`staff@${donor.id}`]: count },
      });
    }
  }

  const closed = state.bays.total - state.bays.open;
  const opened = inForce(state, 'open_bay');
  if (opened) {
    // A bay this plan opened is open now: it keeps its terms, and the bay and person it took are no
    // longer free to claim (as a rebalance's reserved slots), so it does not lose to its own effect.
    out.push({
      agent: 'traffic',
      action: 'open_bay',
      params: opened.params,
      urgency,
      confidence,
      evidence: { ...base, count: Number(opened.params.count) },
      claims: heldClaims(opened.claims),
    });
  } else if (closed > 0) {
    const idleStaff = state.staff.count === null ? closed : state.staff.count - state.bays.open;
    const count = Math.min(closed, idleStaff);
    if (count > 0) {
      const evidence: Evidence = { ...base, closedBays: closed, count, predictedWaitAfterMin: round(waitWith(count), 1) };
      if (state.staff.count !== null) evidence.idleStaff = idleStaff;
      out.push({
        agent: 'traffic',
        action: 'open_bay',
        params: { count },
        urgency,
        confidence,
        evidence,
        claims: { bays: count, staff: count, 'service.capacity': 1 },
      });
    }
  }
  return out;
}

/**
 * Nearest station (ctx.nearby is sorted by haversine distance) within nearbyKm
 * whose predicted wait is at least minSavingMinutes shorter, with room in its
 * bays (herdShare) and charged packs for the drivers sent (packCoverMinutes). The amount is incentivePerMinute per minute saved,
 * never more than one hour's budget; whether it fits what is left of this
 * hour's budget is for the auditor and the supervisor to judge, so the offer
 * carries budgetRemaining as evidence.
 */
function offerIncentive(
  state: StationState,
  ctx: AgentContext,
  wait: number,
  base: Evidence,
  urgency: number,
  confidence: number,
): Proposal | null {
  const t = ctx.thresholds.traffic;
  // The saving counts the drive there: a short line ten minutes away saves nothing.
  const driveMin = (n: NearbyStation) => (t.driveSpeedKmh > 0 ? (60 * n.distanceKm) / t.driveSpeedKmh : Infinity);
  // Drivers this offer is expected to send: the share that takes it, of those arriving here.
  const sendPerMin = round(t.acceptanceShare * state.queue.arrivalRatePerMin, 3);
  const standing = inForce(state, 'offer_incentive');
  // No herding: what every station's offers send to one station stays under a share of what its bays
  // can swap (an offer in force counts itself among those already sent there).
  const redirectedByOthers = (n: NearbyStation) =>
    n.redirectedInPerMin - (standing?.params.targetStationId === n.id ? (standing.claims[`drivers@${n.id}`] ?? 0) : 0);
  const roomFor = (n: NearbyStation) => redirectedByOthers(n) + sendPerMin <= t.herdShare * n.servicePerMin + 1e-9;
  // A pack for them: a station that is short itself only moves the shortage (and the drive) to the driver.
  const packsFor = (n: NearbyStation) =>
    n.charged - n.pledgedPacks - (n.netDrainPerMin + redirectedByOthers(n) + sendPerMin) * t.packCoverMinutes > 0;
  const helps = (n: NearbyStation) =>
    n.distanceKm <= t.nearbyKm && wait - n.predictedWaitMin - driveMin(n) >= t.minSavingMinutes && roomFor(n) && packsFor(n);
  // An offer in force keeps its terms while its station still helps: drivers are not re-pointed on every reading.
  const kept = standing ? ctx.nearby.find((n) => n.id === standing.params.targetStationId && helps(n)) : undefined;
  const target = kept ?? ctx.nearby.find(helps);
  if (!target) return null;
  // Claimed at the rate it started with, so a standing offer's claim does not move with every arrival.
  const claimedPerMin = kept ? (standing!.claims[`drivers@${target.id}`] ?? sendPerMin) : sendPerMin;
  const savingMin = round(wait - target.predictedWaitMin - driveMin(target), 1);
  const amount = kept ? Number(standing!.params.amount) : round(Math.min(savingMin * t.incentivePerMinute, t.hourlyBudget));
  const spent = state.incentives.hour === hourKey(ctx.now) ? state.incentives.spent : 0;
  return {
    agent: 'traffic',
    action: 'offer_incentive',
    params: { targetStationId: target.id, amount },
    urgency,
    confidence,
    evidence: {
      ...base,
      targetStationId: target.id,
      targetWaitMin: round(target.predictedWaitMin, 1),
      distanceKm: round(target.distanceKm, 1),
      driveMin: round(driveMin(target), 1),
      savingMin,
      amount,
      incentivePerMinute: t.incentivePerMinute,
      hourlyBudget: t.hourlyBudget,
      budgetSpent: round(spent),
      budgetRemaining: round(Math.max(0, t.hourlyBudget - spent)),
      sendPerMin: claimedPerMin,
      targetRedirectedInPerMin: target.redirectedInPerMin,
      targetServicePerMin: target.servicePerMin,
      herdSharePct: round(t.herdShare * 100, 0),
      targetCharged: target.charged,
      targetNetDrainPerMin: target.netDrainPerMin,
      packCoverMinutes: t.packCoverMinutes,
    },
    claims: { 'budget.incentive': amount, [`drivers@${target.id}`]: claimedPerMin },
  };
}

/**
 * A donor must be within reach, not congested itself, and keep at least one
 * person on duty. Least loaded = shortest predicted wait, then shortest line,
 * then nearest (the input order).
 */
function leastLoadedDonor(nearby: readonly NearbyStation[], nearbyKm: number, waitHigh: number): NearbyStation | null {
  let best: NearbyStation | null = null;
  for (const n of nearby) {
    if (n.distanceKm > nearbyKm || n.staff === null || n.staff < 2 || n.predictedWaitMin >= waitHigh) continue;
    if (
      !best ||
      n.predictedWaitMin < best.predictedWaitMin ||
      (n.predictedWaitMin === best.predictedWaitMin && n.queueWaiting < best.queueWaiting)
    ) {
      best = n;
    }
  }
  return best;
}
