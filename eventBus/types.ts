// Domain types shared by agents, services and edges. The signals are in signals.ts, the station plan's
// types in plan.ts.
import type { PlanChanges, StationPlan } from './plan.js';
import type { AgentThresholds } from './settings.js';
import type { ActionOutcome } from './actuation.js';
import type { ChargerStatus, SignalType } from './signals.js';

export interface GeoPoint {
  lat: number;
  lng: number;
}

export interface StationCapacity {
  bays: number;
  chargers: number;
  batterySlots: number;
}

export interface StationRegistration {
  id: string;
  name: string;
  location: GeoPoint;
  capacity: StationCapacity;
}

export interface ChargerFault {
  ts: string;
  errorCode?: string;
}

export interface ChargerState {
  id: string;
  status: ChargerStatus;
  tempC: number | null;
  /** Last few temperature readings, oldest first, bounded (see STATE_LIMITS). */
  temps: { ts: string; tempC: number }[];
  /** Faults seen recently, oldest first, bounded. */
  faults: ChargerFault[];
  lastErrorCode?: string;
  updatedAt: string;
  /** `ts` of an operator's return to service: evidence from before it is not held against the charger. */
  returnedAt?: string;
  /**
   * Charging sessions open on its connectors, oldest start first, bounded (see STATE_LIMITS). Absent
   * until the charger reports its first `charging_session`, so states without one are unchanged.
   */
  sessions?: ChargingSession[];
}

/** An open charging transaction on one connector of a charger, as folded from `charging_session` signals. */
export interface ChargingSession {
  transactionId: string;
  connectorId: number;
  /** `ts` of the `started` signal (or of the first one seen, when the start was lost). */
  startedAt: string;
  /** The meter register reading at the start, Wh; null when the start carried none or was lost. */
  meterStartWh: number | null;
  /** Energy delivered since the start, Wh: the last reading less `meterStartWh`; null until both are known. */
  energyWh: number | null;
  socPct: number | null;
  updatedAt: string;
}

export interface BatteryState {
  id: string;
  sohPct: number;
  cycles: number;
  tempC: number;
  quarantined: boolean;
  updatedAt: string;
  /** `ts` of an operator's release from quarantine: only a later reading may quarantine the pack again. */
  releasedAt?: string;
}

export interface PricePoint {
  pricePerKWh: number;
  currency: string;
  validFrom: string;
  validTo: string;
}

export interface StationState extends StationRegistration {
  /** Incremented per applied signal. */
  version: number;
  /** `ts` of the last applied signal (never the wall clock). */
  updatedAt: string | null;
  bays: { total: number; open: number };
  inventory: { charged: number; charging: number; depleted: number; faulty: number; updatedAt: string | null };
  chargers: Record<string, ChargerState>;
  batteries: Record<string, BatteryState>;
  power: {
    drawKW: number | null;
    limitKW: number | null;
    updatedAt: string | null;
    /** The current quarter-hour's demand (absent before the first power reading). */
    demand?: DemandInterval;
  };
  price: { current: PricePoint | null; recent: number[] };
  staff: { count: number | null; updatedAt: string | null };
  queue: {
    waiting: number;
    /** EWMA of arrivals per minute. */
    arrivalRatePerMin: number;
    /** EWMA of swap duration in seconds. */
    serviceTimeS: number;
    /** EWMA of completed swaps per minute. */
    swapRatePerMin: number;
    lastArrivalTs: string | null;
    lastSwapTs: string | null;
    updatedAt: string | null;
  };
  /** Recent numeric readings per metric (for the auditor's z-score), bounded. */
  recent: Record<string, number[]>;
  /** Incentive spend in the current hour, for the traffic agent's budget. */
  incentives: { hour: string | null; spent: number };
  /** Id of the last applied signal: lets the auditor tell whether `state` already includes a signal. */
  lastSignalId?: string | null;
  /** `updatedAt` before the last applied signal, so staleness can be judged after the fold too. */
  previousUpdatedAt?: string | null;
  /** Pack flows learned between stock reports; absent before the first report, weight 0 until the second. */
  stockFlow?: StockFlow;
  /** The actions in force (DECISIONS.md): changed only by decisions and operators' answers. */
  plan: StationPlan;
}

/** A quarter-hour of demand, integrated from the power readings as a step function. */
export interface DemandInterval {
  /** ISO start of the quarter-hour (UTC :00, :15, :30, :45). */
  start: string;
  /** kW-minutes drawn from `start` to `lastTs`. */
  kWmin: number;
  lastTs: string;
  lastKW: number;
}

/**
 * Time-weighted EWMAs over the intervals between `battery_stock` reports
 * (each interval weighs 1 - exp(-minutes / time constant)): packs that
 * became charged, swaps, arrivals, pack-minutes on charge and the interval
 * length itself. Ratios of two of them are rates (the weights cancel).
 */
export interface StockFlow {
  /** `ts` and `charged` of the last stock report folded. */
  lastStockTs: string;
  lastCharged: number;
  /** Swaps and arrivals folded since that report. */
  swapsSinceStock: number;
  arrivalsSinceStock: number;
  /** EWMA of packs produced per interval: the change in charged plus the swaps that took packs out. */
  producedEwma: number;
  swapsEwma: number;
  arrivalsEwma: number;
  /** EWMA of pack-minutes on charge per interval. */
  chargingMinEwma: number;
  /** EWMA of interval minutes. */
  minutesEwma: number;
  /** Weight the observations carry, 0..1: 1 - exp(-observed minutes / time constant). */
  weight: number;
}

/** The agents, in the order they are run and listed. */
export const AGENT_NAMES = ['traffic', 'logistics', 'mechanic', 'energy', 'auditor'] as const;
export type AgentName = (typeof AGENT_NAMES)[number];

export type ActionName =
  | 'offer_incentive'
  | 'divert_staff'
  | 'open_bay'
  | 'request_rebalance'
  | 'prioritize_charging'
  | 'offer_surplus'
  | 'quarantine_battery'
  | 'schedule_maintenance'
  | 'take_charger_offline'
  | 'escalate_ticket'
  | 'curtail_charging'
  | 'defer_charging'
  | 'boost_charging'
  | 'derate_charger'
  | 'reset_charger'
  | 'flag_anomaly'
  | 'veto';

/** Named numbers (and a few identifiers) a proposal used; explanations quote only these. */
export type Evidence = Record<string, number | string | boolean>;

export interface Proposal {
  agent: AgentName;
  action: ActionName;
  params: Record<string, number | string | boolean>;
  urgency: number;
  confidence: number;
  evidence: Evidence;
  /** Resource claims, e.g. `{ 'power.kW': -20, 'charger:C1': 1 }`. */
  claims: Record<string, number>;
}

/** Auditor's view of one signal, computed before the other agents run. */
export interface SignalAssessment {
  anomalous: boolean;
  zScore: number | null;
  stale: boolean;
  ageS: number | null;
  reasons: string[];
}

export interface NearbyStation {
  id: string;
  name: string;
  distanceKm: number;
  predictedWaitMin: number;
  charged: number;
  batterySlots: number;
  staff: number | null;
  openBays: number;
  queueWaiting: number;
  /** Charged packs it loses per minute on its own (steady drain less recharge; 0 when it gains). */
  netDrainPerMin: number;
  /** Its packs other stations' rebalances in force have claimed and that have not left yet. */
  pledgedPacks: number;
  /** Drivers per minute other stations' incentives in force expect to send to it (their claims). */
  redirectedInPerMin: number;
  /** Drivers per minute its staffed bays can swap. */
  servicePerMin: number;
}

export interface AgentContext {
  /** The triggering signal's `ts`: agents never read the clock. */
  now: string;
  /** Hash of thresholds and policy, recorded on each decision. */
  policyVersion: string;
  thresholds: AgentThresholds;
  /** Other registered stations, nearest first, with what the agents may compare. */
  nearby: NearbyStation[];
  assessment: SignalAssessment;
  /** Agents currently disabled by an operator; their proposals are not requested. */
  disabled: AgentName[];
}

export type RuleName = 'auditor_veto' | 'safety_first' | 'grid_limit' | 'service_continuity' | 'priority' | 'merge' | 'capacity';

export interface RejectedProposal {
  proposal: Proposal;
  rule: RuleName;
  reason: string;
}

export interface Conflict {
  resource: string;
  between: [ActionName, ActionName];
  winner: ActionName;
  rule: RuleName;
}

export interface TrailStep {
  rule: RuleName;
  note: string;
}

export type RiskLevel = 'low' | 'medium' | 'high';

export const DECISION_STATUSES = ['executed', 'pending_approval', 'approved', 'rejected'] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];

/** What the supervisor produces; the hashed content of a DecisionLog. */
export interface Decision {
  id: string;
  stationId: string;
  signalId: string;
  signalType: SignalType;
  ts: string;
  actions: Proposal[];
  rejected: RejectedProposal[];
  conflicts: Conflict[];
  trail: TrailStep[];
  risk: { level: RiskLevel; score: number; reasons: string[] };
  status: DecisionStatus;
  /** Version of the station state the decision was made on. */
  stateVersion: number;
  /** Hash of the thresholds and policy in force (see policyVersion in agents/plan.ts). */
  policyVersion: string;
  /** What the decision changed in the station plan; `actions` are the started and adjusted ones. */
  changes: PlanChanges;
  /** The other stations' figures the agents could compare against, as they were. */
  nearby: NearbyStation[];
}

export interface Explanation {
  text: string;
  source: 'template' | 'llm';
  model?: string;
  promptVersion: string;
  hash: string;
}

export type AnchorStatus = 'pending' | 'anchored' | 'failed';

/** Where a record stands on chain. The tree fields appear once its batch is closed, the chain fields once it is mined. */
export interface AnchorInfo {
  status: AnchorStatus;
  /** Why anchoring failed, or why it is still waiting. */
  reason?: string;
  /** Anchoring sequence number of the record's leaf. */
  seq?: number;
  batch?: number;
  root?: string;
  leaf?: string;
  proof?: string[];
  txHash?: string;
  blockNumber?: number;
  chainId?: number;
  contract?: string;
}

/** An operator's answer to a pending_approval decision: a record of its own, hashed and anchored as its own leaf. */
export interface Approval {
  decisionId: string;
  /** The hash of the decision approved, so the approval cannot be moved to another version of it. */
  decisionHash: string;
  outcome: 'approved' | 'rejected';
  /** Who answered (the operator's id once access control exists). */
  by: string;
  note: string | null;
  /** The `ts` of the answer's `operator_answer` signal, which put it into the station's plan. */
  at: string;
  /** SHA-256 of the JCS of the fields above. */
  hash: string;
  anchor?: AnchorInfo;
}

export interface DecisionRecord extends Decision {
  hash: string;
  explanation: Explanation;
  anchor: AnchorInfo;
  /** Present once an operator answered a pending_approval decision; not part of the decision's hash. */
  approval?: Approval;
  /** What the actuator answered for each device command the decision's plan change handed over; not part of the decision's hash. */
  outcomes?: ActionOutcome[];
  createdAt: string;
}

export * from './actuation.js';
export * from './signals.js';
export type * from './plan.js';
export type * from './settings.js';
