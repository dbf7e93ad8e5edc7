// The actuator port's types (DECISIONS.md, "Acting"): what the pipeline hands to whatever carries its
// plan out (the simulator, OCPP charge points), and the outcome record each handed command gets. Jobs with
// no device to act (a rebalance, an incentive, a ticket) are not handed as commands: they are tracked
// through their lifecycle in the plan. Re-exported by types.ts.
import type { ActionName, AnchorInfo } from './types.js';
import type { Params, PlanAction, StationPlan } from './plan.js';

/** Actions a station's equipment carries out (chargers and the charging controller). */
export const DEVICE_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>([
  'curtail_charging',
  'boost_charging',
  'defer_charging',
  'prioritize_charging',
  'derate_charger',
  'take_charger_offline',
  'reset_charger',
]);

export const ACTUATION_OUTCOMES = ['accepted', 'rejected', 'failed', 'timeout'] as const;
export type ActuationOutcome = (typeof ACTUATION_OUTCOMES)[number];

/** What a plan change asks of a device action: put it in force, change its parameters, or end it. */
export type CommandKind = 'start' | 'adjust' | 'stop';

export interface ActuationCommand {
  /** `<decisionId>/<kind>/<actionId>`: the outcome's leaf reference, unique within a decision. */
  ref: string;
  kind: CommandKind;
  actionId: string;
  action: ActionName;
  target: string;
  /** The action's parameters as they are to be in force (for a stop, as they were). */
  params: Params;
}

/** One plan change handed over: its device commands, and the whole plan for actuators that model the station. */
export interface Handover {
  stationId: string;
  /** The decision that changed the plan (or whose waiting actions an operator approved). */
  decisionId: string;
  commands: ActuationCommand[];
  /** Every action that became active with this change, devices and jobs alike. */
  started: PlanAction[];
  plan: StationPlan;
}

export interface CommandResult {
  /** `timeout` when the actuator itself gave up waiting (a device never connected, or never answered). */
  outcome: ActuationOutcome;
  detail?: string;
}

/** Whatever carries plans out. One result per command, in order; a throw counts as `failed` for all. */
export interface Actuator {
  readonly name: string;
  /** Whether it carries out this station's plans; absent: every station's. A station no actuator serves is recorded only. */
  serves?(stationId: string): boolean;
  carryOut(handover: Handover): Promise<CommandResult[]>;
}

/** A handed command's outcome: a record of its own, bound to its decision's hash and anchored as its own leaf. */
export interface ActionOutcome {
  decisionId: string;
  decisionHash: string;
  stationId: string;
  ref: string;
  kind: CommandKind;
  actionId: string;
  action: ActionName;
  target: string;
  params: Params;
  actuator: string;
  outcome: ActuationOutcome;
  detail: string | null;
  /** When the answer came (or the wait for it ended), by this server's clock. */
  at: string;
  /** Milliseconds from handing over to the answer. */
  latencyMs: number;
  /** SHA-256 of the JCS of the fields above. */
  hash: string;
  anchor?: AnchorInfo;
}
