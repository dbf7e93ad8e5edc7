// How a simulated charge point answers the copilot's OCPP commands (charging profiles, availability,
// reset, its configuration) as a charger would, and what they add up to as a station's controls.
import { AC_PHASES, AC_VOLTS } from '../../ocpp/index.js';
import { NO_CONTROLS, type StationControls } from '../../simulator/index.js';
import type { Protocol } from './ocppMessages.js';

/** A charging profile the copilot set on a charge point, read into kW. */
export interface Profile {
  purpose: string;
  kW: number;
}

/** What answering commands needs of a charge point; the profiles and availability are its own state. */
export interface CommandedChargePoint {
  identity: string;
  stationId: string;
  protocol: Protocol;
  client: { handle(method: string, handler: (call: { params: Record<string, unknown> }) => unknown): void };
  profiles: Map<number, Profile>;
  inoperative: boolean;
}

/** What the fleet does with a charge point's commands besides answering them. */
export interface CommandHooks {
  /** Every command as it comes, before it is answered. */
  received(method: string): void;
  /** The charge point's profiles or availability changed: its station's controls did. */
  changed(method: string): void;
  /** The charge point is to reset now. */
  reset(): void;
}

/** A charge point's limit in kW: the central system sends W, or A over three phases at 230 V to a charger that takes only amperes. */
export function limitKW(unit: string, limit: number): number {
  return unit === 'A' ? (limit * AC_VOLTS * AC_PHASES) / 1000 : limit / 1000;
}

/** The controls the copilot's commands put on a station so far, from its charge points. */
export function stationControls(chargePoints: readonly CommandedChargePoint[]): StationControls {
  const capsKW = new Map<string, number>();
  const isolated = new Set<string>();
  let defer = false;
  for (const cp of chargePoints) {
    let cap = Infinity;
    for (const p of cp.profiles.values()) {
      // A default transaction profile of 0 is the copilot's deferral; any other limit bounds the charger.
      if (p.purpose === 'TxDefaultProfile' && p.kW === 0) defer = true;
      else cap = Math.min(cap, p.kW);
    }
    if (Number.isFinite(cap)) capsKW.set(cp.identity, Math.max(0, cap));
    if (cp.inoperative) isolated.add(cp.identity);
  }
  return { ...NO_CONTROLS, capsKW, isolated, defer };
}

/** Answers the copilot's commands on a charge point as a charger would; what they change goes to `hooks`. */
export function answerCommands(cp: CommandedChargePoint, hooks: CommandHooks): void {
  const v16 = cp.protocol === 'ocpp1.6';
  const on = (method: string, fn: (p: Record<string, unknown>) => Record<string, unknown>) =>
    cp.client.handle(method, ({ params }) => {
      hooks.received(method);
      return fn(params);
    });
  if (v16)
    on('GetConfiguration', (p) => {
      const keys = Array.isArray(p.key) ? (p.key as string[]) : ['ChargingScheduleAllowedChargingRateUnit'];
      const rateUnit = 'ChargingScheduleAllowedChargingRateUnit';
      const unknownKey = keys.filter((k) => k !== rateUnit);
      return {
        configurationKey: keys.includes(rateUnit) ? [{ key: rateUnit, readonly: true, value: 'Power' }] : [],
        ...(unknownKey.length ? { unknownKey } : {}),
      };
    });
  else
    on('GetVariables', (p) => ({
      getVariableResult: ((p.getVariableData ?? []) as { component: { name: string }; variable: { name: string } }[]).map((d) => {
        const known = d.component.name === 'SmartChargingCtrlr' && d.variable.name === 'RateUnit';
        return {
          attributeStatus: known ? 'Accepted' : 'UnknownVariable',
          ...(known ? { attributeValue: 'W' } : {}),
          component: d.component,
          variable: d.variable,
        };
      }),
    }));
  on('SetChargingProfile', (p) => {
    const profile = (v16 ? p.csChargingProfiles : p.chargingProfile) as Record<string, unknown>;
    const schedule = (v16 ? profile.chargingSchedule : (profile.chargingSchedule as unknown[])[0]) as {
      chargingRateUnit: string;
      chargingSchedulePeriod: { limit: number }[];
    };
    const id = Number(v16 ? profile.chargingProfileId : profile.id);
    const limit = schedule.chargingSchedulePeriod[0]?.limit ?? 0;
    cp.profiles.set(id, { purpose: String(profile.chargingProfilePurpose), kW: limitKW(schedule.chargingRateUnit, limit) });
    hooks.changed('SetChargingProfile');
    return { status: 'Accepted' };
  });
  on('ClearChargingProfile', (p) => {
    const id = v16 ? p.id : p.chargingProfileId;
    const purpose = v16
      ? p.chargingProfilePurpose
      : (p.chargingProfileCriteria as { chargingProfilePurpose?: string } | undefined)?.chargingProfilePurpose;
    let cleared = 0;
    for (const [k, prof] of cp.profiles)
      if ((id === undefined || Number(id) === k) && (purpose === undefined || purpose === prof.purpose)) {
        cp.profiles.delete(k);
        cleared += 1;
      }
    if (cleared > 0) hooks.changed('ClearChargingProfile');
    return { status: cleared > 0 ? 'Accepted' : 'Unknown' };
  });
  on('ChangeAvailability', (p) => {
    cp.inoperative = (v16 ? p.type : p.operationalStatus) === 'Inoperative';
    hooks.changed('ChangeAvailability');
    return { status: 'Accepted' };
  });
  on('Reset', () => {
    // Answered first, carried out at once: a charger resets after it said it would.
    hooks.reset();
    return { status: 'Accepted' };
  });
}
