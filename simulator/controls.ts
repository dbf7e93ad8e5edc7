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
  /**
   * Share of a kW cap's cut in power that shows in the charger's temperature rise: 1, the rise follows
   * the power drawn; 0.5, a derate cools half as much as its power cut would suggest.
   */
  derateCooling: number;
  /** How long a driver waits in line before giving up, minutes: drawn uniformly in this range for each driver. */
  patienceMin: readonly [number, number];
}

export const DEFAULT_WORLD: WorldParams = {
  incentiveAcceptance: 0.3,
  resetSuccess: 0.6,
  transportSpeedKmh: 40,
  transportCapacity: 20,
  loadMinutes: 15,
  driveSpeedKmh: 30,
  derateCooling: 1,
  patienceMin: [20, 45],
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
  derateCooling:
    "assumption: a charger's heat is its conversion losses, which follow the power it draws, so a cap to half the power (the mechanic's 30 kW derate of a 60 kW charger) halves the rise above ambient (simulator/charger.ts: 30 degC at 60 kW, settling over about 15 min)",
  patienceMin:
    'assumption: a swap is meant to be a stop of a few minutes; a driver gives up after 20 to 45 minutes in line, however long the line looks',
};

/**
 * A pessimistic value of each behavioural parameter, and why it is pessimistic: the evaluation runs each
 * one alone and reports the copilot's margin over `none` there, so no result rests on a kind assumption.
 */
export const PESSIMISTIC_WORLD: { [K in keyof WorldParams]: { value: WorldParams[K]; why: string } } = {
  incentiveAcceptance: { value: 0.15, why: 'half as many drivers take an offer, so it relieves a crowded station half as much' },
  resetSuccess: { value: 0.2, why: 'one reset in five clears a fault; the rest wait for the fault to clear by itself' },
  transportSpeedKmh: { value: 20, why: 'half the speed (congested roads): a rebalance arrives later' },
  transportCapacity: { value: 10, why: 'half a van load: a rebalance brings fewer packs' },
  loadMinutes: { value: 30, why: 'twice the time to book and load a van: a rebalance leaves later' },
  driveSpeedKmh: { value: 15, why: 'half the speed: a driver an offer sends elsewhere loses more of their patience on the road' },
  derateCooling: {
    value: 0.5,
    why: 'a derate cools half as much as its power cut would suggest (fixed losses, fans and a heat-soaked cabinet), so it averts fewer trips',
  },
  patienceMin: { value: [10, 22.5], why: 'half the patience: drivers give up twice as soon, so every minute of a line costs more swaps' },
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
