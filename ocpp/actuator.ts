// The actuator port over OCPP (DECISIONS.md, "Acting"): a plan change at a station with charge points
// becomes commands to them. A charger's kW caps (derate, curtail) -> one SetChargingProfile
// (ChargePointMaxProfile in 1.6, ChargingStationMaxProfile in 2.0.1) holding the lowest cap in force,
// cleared when none is; a deferral -> a TxDefaultProfile of 0; take offline / bring back ->
// ChangeAvailability Inoperative / Operative; a remote recovery -> Reset (soft). What to send is worked
// out from the whole plan in force, not from what this process sent before, so a restart or a lost
// answer never leaves a stale cap. A command for a charge point that is not connected waits (bounded)
// and goes when it connects, unless the answer's deadline passed first.
import type { ActuationCommand, Actuator, CommandResult, Handover, PlanAction, StationPlan } from '../eventBus/types.js';
import type { ChargePointService } from '../services/access/index.js';
import type { CentralSystem } from './centralSystem.js';
import type { Peers } from './peers.js';

/** Charging profile ids this central system owns on every charge point. */
export const PROFILE_IDS = { cap: 7101, defer: 7102 } as const;
/** For chargers that take limits in amperes only: three phases at 230 V. */
export const AC_VOLTS = 230;
export const AC_PHASES = 3;

/** What the actuator reads of a station: the plan in force, to tell a rebooted charger its standing limits again. */
export type PlanOf = (stationId: string) => StationPlan | undefined;

export interface OcppActuatorOptions {
  /** How long a handover may take in all (the actuation service's timeout, less a margin to report why). */
  deadlineMs: number;
  /** Commands waiting for one charge point to connect; past it, the newest is answered failed. */
  waitingPerChargePoint: number;
}

export type CallResult = CommandResult | { outcome: 'timeout'; detail: string };
/** One OCPP command, as the copilot means it; `wire` words it for the charge point's version. */
export type Call = { identity: string; method: string; params: Record<string, unknown> };

const SEVERITY: Record<CallResult['outcome'], number> = { accepted: 0, rejected: 1, timeout: 2, failed: 3 };

function chargerOf(c: { target: string; params: Record<string, unknown> }): string | null {
  if (c.target !== 'station') return c.target;
  return typeof c.params.chargerId === 'string' ? c.params.chargerId : null;
}

/** The lowest kW cap the plan puts on a charger (derate and curtail alike), or null. */
export function capOf(actions: readonly PlanAction[], charger: string): number | null {
  let cap = Infinity;
  for (const a of actions) {
    if (a.status !== 'active') continue;
    if (a.action === 'derate_charger' && chargerOf(a) === charger) cap = Math.min(cap, Number(a.params.maxKW));
    if (a.action === 'curtail_charging') {
      const v = a.params[`kW:${charger}`];
      if (typeof v === 'number') cap = Math.min(cap, v);
    }
  }
  return Number.isFinite(cap) ? Math.max(0, cap) : null;
}

export class OcppActuator implements Actuator {
  readonly name = 'ocpp';
  private readonly waiting = new Map<string, (() => void)[]>();
  /** Other instances, which may hold the connection of a charge point not connected here (set with Redis). */
  peers: Peers | null = null;
  /** Standing commands sent again to rebooted chargers, by what they answered. */
  readonly reasserted = { accepted: 0, other: 0 };

  constructor(
    private readonly cs: CentralSystem,
    private readonly chargePoints: Pick<ChargePointService, 'serves' | 'identitiesOf'>,
    private readonly opts: OcppActuatorOptions,
    private readonly planOf: PlanOf = () => undefined,
  ) {
    cs.on('connected', (identity) => {
      const list = this.waiting.get(identity);
      this.waiting.delete(identity);
      for (const go of list ?? []) go();
    });
    cs.on('booted', (identity, stationId) => void this.reassert(identity, stationId));
  }

  /**
   * A charger that rebooted may have lost its charging profiles and availability (OCPP says it keeps
   * them; not every charger does): what the plan in force holds for it is sent again. Nothing is sent
   * for a charger the plan leaves alone. These are not plan changes, so they make no outcome records.
   */
  private async reassert(identity: string, stationId: string): Promise<void> {
    const plan = this.planOf(stationId);
    if (!plan) return;
    const active = plan.actions.filter((a) => a.status === 'active');
    const calls: Call[] = [];
    const cap = capOf(active, identity);
    if (cap !== null) calls.push(this.capCall(identity, cap));
    if (active.some((a) => a.action === 'defer_charging')) calls.push(this.deferCall(identity, true));
    if (active.some((a) => a.action === 'take_charger_offline' && chargerOf(a) === identity))
      calls.push(this.availabilityCall(identity, true));
    const deadline = performance.now() + this.opts.deadlineMs;
    for (const call of calls) {
      const r = await this.send(call, deadline);
      if (r.outcome === 'accepted') this.reasserted.accepted += 1;
      else this.reasserted.other += 1;
    }
  }

  /** Stations with charge points are carried out over OCPP; the others are not this actuator's. */
  serves(stationId: string): boolean {
    return this.chargePoints.serves(stationId);
  }

  /** Commands waiting for their charge point to connect. */
  get waitingCount(): number {
    let n = 0;
    for (const l of this.waiting.values()) n += l.length;
    return n;
  }

  async carryOut(h: Handover): Promise<CommandResult[]> {
    const deadline = performance.now() + this.opts.deadlineMs;
    const mine = new Set(this.chargePoints.identitiesOf(h.stationId));
    const active = h.plan.actions.filter((a) => a.status === 'active');
    const results: CommandResult[] = [];
    // In order: a station's commands are answered one after another (stops first, as handed).
    for (const c of h.commands) results.push(await this.command(c, active, mine, deadline, h.stationId));
    return results;
  }

  private async command(
    c: ActuationCommand,
    active: PlanAction[],
    mine: ReadonlySet<string>,
    deadline: number,
    stationId: string,
  ): Promise<CommandResult> {
    const calls = this.callsFor(c, active, mine, stationId);
    if ('outcome' in calls) return calls;
    if (calls.length === 0) return { outcome: 'accepted', detail: 'nothing to send: the charge point already has it' };
    const answers = await Promise.all(calls.map((call) => this.send(call, deadline)));
    const worst = answers.reduce((w, a) => (SEVERITY[a.outcome] > SEVERITY[w.outcome] ? a : w));
    const detail = answers
      .map((a, i) => `${calls[i]!.identity} ${calls[i]!.method}: ${a.detail ?? a.outcome}`)
      .join('; ')
      .slice(0, 1000);
    return { outcome: worst.outcome, detail } as CommandResult;
  }

  /** The OCPP calls a command needs, or a refusal when it cannot be said in OCPP. */
  private callsFor(c: ActuationCommand, active: PlanAction[], mine: ReadonlySet<string>, stationId: string): Call[] | CommandResult {
    const charger = chargerOf(c);
    const notMine = (id: string): CommandResult => ({
      outcome: 'rejected',
      detail: `charger ${id} is not an OCPP charge point of station ${stationId}`,
    });
    switch (c.action) {
      case 'derate_charger': {
        if (charger === null || !mine.has(charger)) return notMine(String(charger));
        return [this.capCall(charger, capOf(active, charger))];
      }
      case 'curtail_charging':
        // Every charge point of the station: one the new setpoint leaves out gets its cap lifted.
        return [...mine].sort().map((id) => this.capCall(id, capOf(active, id)));
      case 'defer_charging': {
        const deferring = active.some((a) => a.action === 'defer_charging');
        return [...mine].sort().map((id) => this.deferCall(id, deferring));
      }
      case 'take_charger_offline': {
        if (charger === null || !mine.has(charger)) return notMine(String(charger));
        if (c.kind === 'adjust') return [];
        const stillOff = active.some((a) => a.action === 'take_charger_offline' && chargerOf(a) === charger);
        if (c.kind === 'stop' && stillOff) return [];
        return [this.availabilityCall(charger, c.kind === 'start')];
      }
      case 'reset_charger': {
        if (charger === null || !mine.has(charger)) return notMine(String(charger));
        return c.kind === 'start' ? [this.resetCall(charger)] : [];
      }
      default:
        return { outcome: 'rejected', detail: `${c.action} has no OCPP command: it is not carried out at charge points` };
    }
  }

  private is16(identity: string): boolean {
    return this.cs.linkOf(identity)?.protocol !== 'ocpp2.0.1';
  }

  private capCall(identity: string, capKW: number | null): Call {
    return capKW === null ? this.clearCall(identity, PROFILE_IDS.cap) : this.profileCall(identity, PROFILE_IDS.cap, 'max', capKW);
  }

  private deferCall(identity: string, deferring: boolean): Call {
    return deferring ? this.profileCall(identity, PROFILE_IDS.defer, 'txDefault', 0) : this.clearCall(identity, PROFILE_IDS.defer);
  }

  /** The profile's body is filled in at sending time, once the charge point's rate unit is known. */
  private profileCall(identity: string, id: number, purpose: 'max' | 'txDefault', kW: number): Call {
    return { identity, method: 'SetChargingProfile', params: { id, purpose, kW } };
  }

  private clearCall(identity: string, id: number): Call {
    return { identity, method: 'ClearChargingProfile', params: { id } };
  }

  private availabilityCall(identity: string, offline: boolean): Call {
    return { identity, method: 'ChangeAvailability', params: { offline } };
  }

  private resetCall(identity: string): Call {
    return { identity, method: 'Reset', params: {} };
  }

  /**
   * Sends one call to its charge point: here when it is connected here, else through the instance that
   * holds it, else once it connects here (waiting until the deadline); and reads the answer.
   */
  private async send(call: Call, deadline: number): Promise<CallResult> {
    if (!this.cs.isConnected(call.identity) && this.peers) {
      const there = await this.peers.send(call, Math.max(10, Math.floor(deadline - performance.now())));
      if (there) return there;
    }
    if (!this.cs.isConnected(call.identity)) {
      const connected = await this.waitFor(call.identity, deadline);
      if (connected !== true) return connected;
    }
    return this.sendHere(call, deadline);
  }

  /** Sends a call to a charge point connected here and reads its answer. */
  async sendHere(call: Call, deadline: number): Promise<CallResult> {
    const left = Math.max(10, Math.floor(deadline - performance.now()));
    try {
      const v16 = this.is16(call.identity);
      const { method, params } = await this.wire(call, v16, left);
      const answer = await this.cs.call(call.identity, method, params, Math.max(10, Math.floor(deadline - performance.now())));
      return judge(method, answer);
    } catch (err) {
      const e = err as { rpcErrorCode?: string; message?: string; name?: string };
      if (e.name === 'TimeoutError') return { outcome: 'timeout', detail: `no answer within ${left} ms` };
      if (e.rpcErrorCode) return { outcome: 'failed', detail: `CALLERROR ${e.rpcErrorCode}: ${e.message ?? ''}`.trim() };
      return { outcome: 'failed', detail: e.message ?? String(err) };
    }
  }

  private waitFor(identity: string, deadline: number): Promise<true | CallResult> {
    const list = this.waiting.get(identity) ?? [];
    if (list.length >= this.opts.waitingPerChargePoint)
      return Promise.resolve({
        outcome: 'failed',
        detail: `charge point ${identity} is not connected and ${list.length} commands already wait for it`,
      });
    this.waiting.set(identity, list);
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          const l = this.waiting.get(identity);
          const i = l?.indexOf(go) ?? -1;
          if (l && i >= 0) l.splice(i, 1);
          if (l?.length === 0) this.waiting.delete(identity);
          resolve({ outcome: 'timeout', detail: `charge point ${identity} was not connected; expired unsent` });
        },
        Math.max(0, deadline - performance.now()),
      );
      const go = () => {
        clearTimeout(timer);
        resolve(true);
      };
      list.push(go);
    });
  }

  /** The call as the charge point's OCPP version words it. */
  private async wire(call: Call, v16: boolean, timeoutMs: number): Promise<{ method: string; params: Record<string, unknown> }> {
    const p = call.params;
    switch (call.method) {
      case 'SetChargingProfile': {
        const unit = await this.rateUnit(call.identity, v16, timeoutMs);
        const watts = Number(p.kW) * 1000;
        const limit = Math.round((unit === 'W' ? watts : watts / (AC_VOLTS * AC_PHASES)) * 10) / 10;
        const period = [{ startPeriod: 0, limit }];
        const max = p.purpose === 'max';
        if (v16)
          return {
            method: 'SetChargingProfile',
            params: {
              connectorId: 0,
              csChargingProfiles: {
                chargingProfileId: p.id,
                stackLevel: 0,
                chargingProfilePurpose: max ? 'ChargePointMaxProfile' : 'TxDefaultProfile',
                chargingProfileKind: 'Relative',
                chargingSchedule: { chargingRateUnit: unit, chargingSchedulePeriod: period },
              },
            },
          };
        return {
          method: 'SetChargingProfile',
          params: {
            evseId: 0,
            chargingProfile: {
              id: p.id,
              stackLevel: 0,
              chargingProfilePurpose: max ? 'ChargingStationMaxProfile' : 'TxDefaultProfile',
              chargingProfileKind: 'Relative',
              chargingSchedule: [{ id: p.id, chargingRateUnit: unit, chargingSchedulePeriod: period }],
            },
          },
        };
      }
      case 'ClearChargingProfile':
        return { method: 'ClearChargingProfile', params: v16 ? { id: p.id } : { chargingProfileId: p.id } };
      case 'ChangeAvailability':
        return v16
          ? { method: 'ChangeAvailability', params: { connectorId: 0, type: p.offline ? 'Inoperative' : 'Operative' } }
          : { method: 'ChangeAvailability', params: { operationalStatus: p.offline ? 'Inoperative' : 'Operative' } };
      case 'Reset':
        return { method: 'Reset', params: { type: v16 ? 'Soft' : 'OnIdle' } };
      default:
        throw new Error(`unknown call ${call.method}`);
    }
  }

  /**
   * How the charge point takes limits, asked once per connection: 1.6's
   * ChargingScheduleAllowedChargingRateUnit, 2.0.1's SmartChargingCtrlr.RateUnit. Watts when it allows
   * them or does not say; amperes when it takes only those.
   */
  private async rateUnit(identity: string, v16: boolean, timeoutMs: number): Promise<'W' | 'A'> {
    const link = this.cs.linkOf(identity);
    if (link?.rateUnit) return link.rateUnit;
    let declared = '';
    try {
      if (v16) {
        const r = await this.cs.call(identity, 'GetConfiguration', { key: ['ChargingScheduleAllowedChargingRateUnit'] }, timeoutMs);
        declared = String((r.configurationKey as { value?: string }[] | undefined)?.[0]?.value ?? '');
      } else {
        const r = await this.cs.call(
          identity,
          'GetVariables',
          { getVariableData: [{ component: { name: 'SmartChargingCtrlr' }, variable: { name: 'RateUnit' } }] },
          timeoutMs,
        );
        declared = String((r.getVariableResult as { attributeValue?: string }[] | undefined)?.[0]?.attributeValue ?? '');
      }
    } catch {
      declared = '';
    }
    const parts = declared.split(',').map((s) => s.trim());
    const unit = parts.includes('Current') || parts.includes('A') ? (parts.includes('Power') || parts.includes('W') ? 'W' : 'A') : 'W';
    if (link) link.rateUnit = unit;
    return unit;
  }
}

/** A charge point's answer as an outcome. */
function judge(method: string, answer: Record<string, unknown>): CallResult {
  const status = String(answer.status ?? '');
  if (status === 'Accepted') return { outcome: 'accepted', detail: 'Accepted' };
  if (status === 'Scheduled') return { outcome: 'accepted', detail: 'Scheduled: after the transaction in progress' };
  if (method === 'ClearChargingProfile' && status === 'Unknown') return { outcome: 'accepted', detail: 'Unknown: no such profile was set' };
  return { outcome: 'rejected', detail: status || 'no status in the answer' };
}
