// What a station plan asks of the simulated station's equipment (the closed loop, DECISIONS.md): kW caps
// from derates and curtailment setpoints, isolated chargers, a price deferral, charging priority, one
// more bay open, an offer that sends a share of arriving drivers elsewhere, packs set aside. One-shot
// actions (a remote reset, a rebalance transport) are carried out by the simulation when they start.
import type { StationPlan } from '../eventBus/types.js';

export interface StationControls {
  capsKW: ReadonlyMap<string, number>;
  isolated: ReadonlySet<string>;
  quarantined: ReadonlySet<string>;
  defer: boolean;
  prioritize: boolean;
  openExtraBay: boolean;
  incentive: { targetStationId: string; acceptance: number } | null;
}

export const NO_CONTROLS: StationControls = {
  capsKW: new Map(),
  isolated: new Set(),
  quarantined: new Set(),
  defer: false,
  prioritize: false,
  openExtraBay: false,
  incentive: null,
};

/** The behavioural parameters of the closed loop, with where each value comes from (listed in the report). */
export interface WorldParams {
  /** Share of arriving drivers who take an offer and drive to the other station. */
  incentiveAcceptance: number;
  /** Chance that a remote reset clears a transient fault. */
  resetSuccess: number;
  /** A transporter's average speed, km/h, and how many packs it carries. */
  transportSpeedKmh: number;
  transportCapacity: number;
  /** Minutes from a rebalance request until the transport leaves the donor. */
  loadMinutes: number;
  /** Drivers' average speed to another station, km/h. */
  driveSpeedKmh: number;
}

export const DEFAULT_WORLD: WorldParams = {
  incentiveAcceptance: 0.3,
  resetSuccess: 0.6,
  transportSpeedKmh: 40,
  transportCapacity: 20,
  loadMinutes: 15,
  driveSpeedKmh: 30,
};

/**
 * Where each behavioural value comes from. None is measured on real stations yet: they are stated
 * assumptions, listed in the evaluation report so no result hides behind them.
 */
export const WORLD_SOURCES: Record<keyof WorldParams, string> = {
  incentiveAcceptance:
    'assumption: about a third of drivers take a small discount for a detour of a few minutes; the same figure the traffic agent assumes (traffic.acceptanceShare)',
  resetSuccess:
    'assumption: most transient charger faults (communication, connector lock, meter) clear on a remote reset; wear and overheat faults never do',
  transportSpeedKmh: 'assumption: a van in city traffic; the same figure the logistics agent plans with (logistics.transportSpeedKmh)',
  transportCapacity: 'assumption: one small van load of swap packs',
  loadMinutes:
    'assumption: time to book a van and load it at the donor; the same figure the logistics agent plans with (logistics.loadMinutes)',
  driveSpeedKmh: 'assumption: a driver in city traffic; the same figure the traffic agent plans with (traffic.driveSpeedKmh)',
};

/** Only actions carried out as they stand (active), not those waiting for an operator. */
export function controlsFromPlan(plan: StationPlan, world: WorldParams): StationControls {
  const caps = new Map<string, number>();
  const cap = (id: string, kW: number) => caps.set(id, Math.min(kW, caps.get(id) ?? Infinity));
  const isolated = new Set<string>();
  const quarantined = new Set<string>();
  const out: StationControls = { ...NO_CONTROLS, capsKW: caps, isolated, quarantined };
  for (const a of plan.actions) {
    if (a.status !== 'active') continue;
    switch (a.action) {
      case 'derate_charger':
        cap(a.target, Number(a.params.maxKW));
        break;
      case 'curtail_charging':
        for (const [k, v] of Object.entries(a.params)) if (k.startsWith('kW:') && typeof v === 'number') cap(k.slice(3), v);
        break;
      case 'take_charger_offline':
        isolated.add(a.target);
        break;
      case 'quarantine_battery':
        quarantined.add(a.target);
        break;
      case 'defer_charging':
        out.defer = true;
        break;
      case 'prioritize_charging':
        out.prioritize = true;
        break;
      case 'open_bay':
        out.openExtraBay = true;
        break;
      case 'offer_incentive':
        out.incentive = { targetStationId: String(a.params.targetStationId), acceptance: world.incentiveAcceptance };
        break;
      default:
        break;
    }
  }
  return out;
}
