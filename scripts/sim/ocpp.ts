// `npm run simulate -- --ocpp`: every simulated charger as an OCPP charge point (an ocpp-rpc client, 1.6J
// or 2.0.1). What OCPP carries goes over it: a charger's status and temperature, and the station's power
// as the meter reading of its first charge point. The copilot's commands back (charging profiles,
// availability, reset) are put in force in the running simulation, which closes the loop over OCPP.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RPCClient } from 'ocpp-rpc';
import type { Signal, StationRegistration } from '../../eventBus/types.js';
import { AC_PHASES, AC_VOLTS } from '../../ocpp/index.js';
import { NO_CONTROLS, type Simulation, type StationControls } from '../../simulator/index.js';
import type { Rejection, SendFn, SendResult } from '../../simulator/run.js';
import { login, TransportError, type Credentials } from './transports.js';

export type OcppVersion = '1.6' | '2.0.1' | 'mixed';
export const OCPP_VERSIONS: readonly OcppVersion[] = ['1.6', '2.0.1', 'mixed'];
type Protocol = 'ocpp1.6' | 'ocpp2.0.1';

/** The library's client as used here (its own types are loose). */
interface Client {
  connect(): Promise<unknown>;
  close(options?: { code?: number; reason?: string; force?: boolean }): Promise<unknown>;
  call(method: string, params?: unknown): Promise<Record<string, unknown>>;
  handle(method: string, handler: (call: { params: Record<string, unknown> }) => unknown): void;
  on(event: string, fn: (e: unknown) => void): void;
}

/** A charging profile the copilot set on a charge point, read into kW. */
interface Profile {
  purpose: string;
  kW: number;
}

interface ChargePoint {
  identity: string;
  stationId: string;
  protocol: Protocol;
  client: Client;
  /** Wall time (ms) before which the next message waits: the central system limits messages per second. */
  nextAt: number;
  /** 2.0.1 NotifyEvent numbering, per charge point. */
  seqNo: number;
  profiles: Map<number, Profile>;
  inoperative: boolean;
}

export interface OcppStats {
  chargePoints: { 'ocpp1.6': number; 'ocpp2.0.1': number };
  /** Charge points registered by this run (the others had their password saved). */
  registered: number;
  sent: number;
  answered: number;
  callErrors: number;
  /** Messages sent again after the central system refused them for its rate limit or as busy. */
  retried: number;
  /** No answer: a timeout or a dropped connection. */
  failed: number;
  /** Commands from the copilot, by OCPP method. */
  commands: Record<string, number>;
  /** Times a station's OCPP-derived controls were put in force in the simulation. */
  applied: number;
  resets: number;
  resetsCleared: number;
}

/** One change put in force in the simulation, for whoever watches (the test, a log). */
export interface AppliedChange {
  stationId: string;
  identity: string;
  method: string;
  /** Simulated time of the last signal sent when the command came. */
  simTs: string | null;
  controls: StationControls;
}

export interface OcppFleetOptions {
  /** The server's http(s) base URL. */
  url: string;
  /** An admin's credentials: registering charge points needs one. */
  creds: Credentials;
  /** Charge point passwords (shown once at registration), kept for the next run; null keeps none. */
  passwordsPath: string | null;
  version: OcppVersion;
  /** Messages per second each charge point sends at most (the central system refuses more). */
  messagesPerS: number;
  callTimeoutMs?: number;
  onApplied?: (change: AppliedChange) => void;
  warn?: (line: string) => void;
}

/** OCPP 1.6 ChargePointErrorCode; a simulator code outside it is sent as OtherError with the code as the vendor's. */
const ERROR_CODES_16 = new Set([
  'ConnectorLockFailure',
  'EVCommunicationError',
  'GroundFailure',
  'HighTemperature',
  'InternalError',
  'LocalListConflict',
  'OtherError',
  'OverCurrentFailure',
  'PowerMeterFailure',
  'PowerSwitchFailure',
  'ReaderFailure',
  'ResetFailure',
  'UnderVoltage',
  'OverVoltage',
  'WeakSignal',
]);
/** The simulator's names for conditions 1.6 names otherwise. */
const ERROR_ALIASES_16: Record<string, string> = { OverCurrent: 'OverCurrentFailure' };

const STATUS_16 = { available: 'Available', occupied: 'Charging', faulted: 'Faulted', offline: 'Unavailable' } as const;
const STATUS_201 = { available: 'Available', occupied: 'Occupied', faulted: 'Faulted', offline: 'Unavailable' } as const;

const RETRIES = 5;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A charge point's limit in kW: the central system sends W, or A over three phases at 230 V to a charger that takes only amperes. */
export function limitKW(unit: string, limit: number): number {
  return unit === 'A' ? (limit * AC_VOLTS * AC_PHASES) / 1000 : limit / 1000;
}

export function errorCode16(code: string | undefined): { errorCode: string; vendorErrorCode?: string } {
  if (!code) return { errorCode: 'OtherError' };
  const named = ERROR_ALIASES_16[code] ?? code;
  return ERROR_CODES_16.has(named) ? { errorCode: named } : { errorCode: 'OtherError', vendorErrorCode: code.slice(0, 50) };
}

export class OcppFleet {
  readonly stats: OcppStats = {
    chargePoints: { 'ocpp1.6': 0, 'ocpp2.0.1': 0 },
    registered: 0,
    sent: 0,
    answered: 0,
    callErrors: 0,
    retried: 0,
    failed: 0,
    commands: {},
    applied: 0,
    resets: 0,
    resetsCleared: 0,
  };
  private readonly cps = new Map<string, ChargePoint>();
  /** Each station's charge points in charger order; the first carries the station's power. */
  private readonly byStation = new Map<string, ChargePoint[]>();
  private sim: Simulation | null = null;
  /** Stations whose controls changed before the run's world existed: put in force at the first send. */
  private readonly pending = new Set<string>();
  private simTs: string | null = null;
  private lastCommandAt = 0;
  private closed = false;
  private passwords = new Map<string, string>();

  constructor(private readonly o: OcppFleetOptions) {}

  /** The controls the copilot's commands put on a station so far. */
  controlsOf(stationId: string): StationControls {
    const capsKW = new Map<string, number>();
    const isolated = new Set<string>();
    let defer = false;
    for (const cp of this.byStation.get(stationId) ?? []) {
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

  /** RunOptions.onSimulation: the world the commands act on. */
  bind(sim: Simulation): void {
    this.sim = sim;
    for (const id of this.byStation.keys()) this.pending.add(id);
  }

  /**
   * Registers a charge point per charger (reusing saved passwords), connects each and sends its
   * BootNotification. A charger that cannot have one (the station has no charger room) keeps to JSON.
   */
  async register(stations: StationRegistration[]): Promise<void> {
    if (!this.o.creds.token)
      throw new TransportError('--ocpp registers charge points, which needs an admin: pass --email/--password or --token');
    this.passwords = await loadPasswords(this.o.passwordsPath);
    const chargers = stations.flatMap((s) =>
      Array.from({ length: s.capacity.chargers }, (_, i) => ({ stationId: s.id, identity: `${s.id}-C${i + 1}`, n: i + 1 })),
    );
    let next = 0;
    const worker = async () => {
      while (next < chargers.length) {
        const c = chargers[next++]!;
        const protocol: Protocol = this.o.version === '2.0.1' || (this.o.version === 'mixed' && c.n % 2 === 0) ? 'ocpp2.0.1' : 'ocpp1.6';
        try {
          await this.join(c.stationId, c.identity, protocol);
        } catch (err) {
          next = chargers.length; // the other workers stop too
          throw err;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(8, chargers.length) }, worker));
    } finally {
      if (this.o.passwordsPath) await savePasswords(this.o.passwordsPath, this.passwords);
    }
    for (const c of chargers) {
      const cp = this.cps.get(c.identity);
      if (!cp) continue;
      const list = this.byStation.get(cp.stationId) ?? [];
      list.push(cp);
      this.byStation.set(cp.stationId, list);
      this.stats.chargePoints[cp.protocol] += 1;
    }
  }

  /**
   * Wraps the JSON transport: the signals OCPP carries go to their charge points, each charge point's in
   * order and the charge points in parallel; the rest go to `json`. One answer for the whole batch.
   */
  sender(json: SendFn): SendFn {
    return async (signals) => {
      this.putPendingInForce();
      const rest: number[] = [];
      const queues = new Map<ChargePoint, { index: number; method: string; params: Record<string, unknown> }[]>();
      // The world has run up to the batch's last signal: a command that comes now acts from there.
      const last = signals[signals.length - 1];
      if (last) this.simTs = last.ts;
      signals.forEach((s, index) => {
        const msg = this.messageFor(s);
        if (!msg) return rest.push(index);
        const queue = queues.get(msg.cp) ?? [];
        queue.push({ index, method: msg.method, params: msg.params });
        queues.set(msg.cp, queue);
      });
      const total: SendResult = { accepted: 0, duplicates: 0, rejected: [] };
      const ocpp = [...queues].map(async ([cp, msgs]) => {
        for (const m of msgs) {
          const error = await this.send(cp, m.method, m.params);
          if (error === null) total.accepted += 1;
          else total.rejected.push({ index: m.index, error });
        }
      });
      const viaJson = (async () => {
        if (rest.length === 0) return;
        const r = await json(rest.map((i) => signals[i]!));
        if (!r) {
          total.accepted += rest.length;
          return;
        }
        total.accepted += r.accepted;
        total.duplicates += r.duplicates;
        for (const x of r.rejected) total.rejected.push({ index: rest[x.index] ?? -1, error: x.error } satisfies Rejection);
      })();
      await Promise.all([viaJson, ...ocpp]);
      total.rejected.sort((a, b) => a.index - b.index);
      return total;
    };
  }

  /** Waits until no command came for `quietMs` (at most `maxMs`): the answers to the last decisions get out before closing. */
  async settle(quietMs = 1000, maxMs = 5000): Promise<void> {
    const end = performance.now() + maxMs;
    while (performance.now() < end && performance.now() - this.lastCommandAt < quietMs) await sleep(100);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.cps.values()].map((cp) => cp.client.close({ code: 1000, reason: 'simulation over', force: true }).catch(() => undefined)),
    );
  }

  private putPendingInForce(): void {
    if (!this.sim) return;
    for (const stationId of this.pending) {
      const controls = this.controlsOf(stationId);
      if (controls.capsKW.size > 0 || controls.isolated.size > 0 || controls.defer) this.sim.control(stationId, controls);
    }
    this.pending.clear();
  }

  /** The OCPP message a signal becomes, on the charge point that sends it; null: it goes over JSON. */
  private messageFor(s: Signal): { cp: ChargePoint; method: string; params: Record<string, unknown> } | null {
    if (s.type === 'charger_status') {
      const cp = this.cps.get(s.payload.chargerId);
      if (!cp) return null;
      const { status, errorCode } = s.payload;
      if (cp.protocol === 'ocpp1.6')
        return {
          cp,
          method: 'StatusNotification',
          params: {
            connectorId: 1,
            status: STATUS_16[status],
            ...(status === 'faulted' ? errorCode16(errorCode) : { errorCode: 'NoError' }),
            timestamp: s.ts,
          },
        };
      return {
        cp,
        method: 'StatusNotification',
        params: { timestamp: s.ts, connectorStatus: STATUS_201[status], evseId: 1, connectorId: 1 },
      };
    }
    if (s.type === 'charger_temp') {
      const cp = this.cps.get(s.payload.chargerId);
      if (!cp) return null;
      const tempC = s.payload.tempC;
      if (cp.protocol === 'ocpp1.6')
        return {
          cp,
          method: 'MeterValues',
          params: {
            connectorId: 0,
            meterValue: [
              { timestamp: s.ts, sampledValue: [{ value: String(tempC), measurand: 'Temperature', unit: 'Celsius', location: 'Body' }] },
            ],
          },
        };
      // 2.0.1 has no Temperature measurand: the charging station reports heat as a device-model event.
      const seqNo = cp.seqNo++;
      return {
        cp,
        method: 'NotifyEvent',
        params: {
          generatedAt: s.ts,
          seqNo,
          eventData: [
            {
              eventId: seqNo,
              timestamp: s.ts,
              trigger: 'Periodic',
              actualValue: String(tempC),
              eventNotificationType: 'HardWiredMonitor',
              component: { name: 'ChargingStation' },
              variable: { name: 'Temperature' },
            },
          ],
        },
      };
    }
    if (s.type === 'power_draw') {
      // The whole station's draw on its first charge point's main meter (connector/EVSE 0), so the
      // central system's sum over the station's charge points is the station's kW in one message.
      const cp = this.byStation.get(s.stationId)?.[0];
      if (!cp) return null;
      const watts = Math.round(s.payload.kW * 1000);
      if (cp.protocol === 'ocpp1.6')
        return {
          cp,
          method: 'MeterValues',
          params: {
            connectorId: 0,
            meterValue: [{ timestamp: s.ts, sampledValue: [{ value: String(watts), measurand: 'Power.Active.Import', unit: 'W' }] }],
          },
        };
      return {
        cp,
        method: 'MeterValues',
        params: {
          evseId: 0,
          meterValue: [
            { timestamp: s.ts, sampledValue: [{ value: watts, measurand: 'Power.Active.Import', unitOfMeasure: { unit: 'W' } }] },
          ],
        },
      };
    }
    return null;
  }

  /** Sends one message at the charge point's pace; null when answered, else why not. */
  private async send(cp: ChargePoint, method: string, params: Record<string, unknown>): Promise<string | null> {
    for (let attempt = 0; ; attempt++) {
      const wait = cp.nextAt - performance.now();
      if (wait > 0) await sleep(wait);
      cp.nextAt = Math.max(performance.now(), cp.nextAt) + 1000 / this.o.messagesPerS;
      this.stats.sent += 1;
      try {
        await cp.client.call(method, params);
        this.stats.answered += 1;
        return null;
      } catch (err) {
        const e = err as { rpcErrorCode?: string; message?: string };
        // Sent again, as a charger would: past the rate limit, and when the copilot is busy and says nothing was taken.
        const limited = e.rpcErrorCode === 'GenericError' && /rate limit/i.test(e.message ?? '');
        const busy = e.rpcErrorCode === 'InternalError' && /retry/i.test(e.message ?? '');
        if ((limited || busy) && attempt < RETRIES) {
          this.stats.retried += 1;
          cp.nextAt = performance.now() + (limited ? 1000 : 250 * 2 ** attempt);
          continue;
        }
        if (e.rpcErrorCode) {
          this.stats.callErrors += 1;
          return `${cp.identity} ${method}: CALLERROR ${e.rpcErrorCode}: ${e.message ?? ''}`.trim();
        }
        this.stats.failed += 1;
        return `${cp.identity} ${method}: ${e.message ?? String(err)}`;
      }
    }
  }

  /** Registers (or reuses) a charge point and connects it; null when the station has no room for it. */
  private async join(stationId: string, identity: string, protocol: Protocol): Promise<ChargePoint | null> {
    if (this.closed) return null;
    let password = this.passwords.get(identity) ?? (await this.registerChargePoint(stationId, identity, false));
    if (password === null) return null;
    try {
      return await this.connect(stationId, identity, protocol, password);
    } catch (err) {
      // A password from an older run (the server's database was reset or the charge point re-registered).
      if ((err as { code?: unknown }).code !== 401) throw connectError(identity, err);
    }
    password = await this.registerChargePoint(stationId, identity, true);
    if (password === null) return null;
    try {
      return await this.connect(stationId, identity, protocol, password);
    } catch (err) {
      throw connectError(identity, err);
    }
  }

  /** POST .../charge-points; a taken identity without a usable password is removed and registered again. */
  private async registerChargePoint(stationId: string, identity: string, replace: boolean): Promise<string | null> {
    const path = `/stations/${encodeURIComponent(stationId)}/charge-points`;
    if (replace) await this.remove(stationId, identity);
    let res = await this.admin('POST', path, { identity, connectors: 1 });
    if (res.status === 409 && errorCode(res.body) === 'CHARGE_POINT_EXISTS') {
      // Registered by an earlier run whose password is lost: a new registration is the only way to a new one.
      if (!(await this.remove(stationId, identity)))
        throw new TransportError(`charge point ${identity} is registered at another station than ${stationId}: remove it there first`);
      res = await this.admin('POST', path, { identity, connectors: 1 });
    }
    if (res.status === 409 && errorCode(res.body) === 'CHARGER_CAPACITY') {
      this.o.warn?.(`ocpp: ${identity} not registered (${describe(res.body)}); its signals go over JSON`);
      return null;
    }
    const password = (res.body as { password?: unknown } | null)?.password;
    if (res.status !== 201 || typeof password !== 'string')
      throw new TransportError(`registering charge point ${identity} failed (${res.status}): ${describe(res.body)}`);
    this.passwords.set(identity, password);
    this.stats.registered += 1;
    return password;
  }

  /** DELETE .../charge-points/:identity; whether the station had it. */
  private async remove(stationId: string, identity: string): Promise<boolean> {
    const res = await this.admin('DELETE', `/stations/${encodeURIComponent(stationId)}/charge-points/${encodeURIComponent(identity)}`);
    this.passwords.delete(identity);
    if (res.status !== 204 && res.status !== 404)
      throw new TransportError(`removing charge point ${identity} failed (${res.status}): ${describe(res.body)}`);
    return res.status === 204;
  }

  private async connect(stationId: string, identity: string, protocol: Protocol, password: string): Promise<ChargePoint> {
    const client = new RPCClient({
      endpoint: `${this.o.url.replace(/^http/, 'ws')}/ocpp`,
      identity,
      password,
      protocols: [protocol],
      strictMode: true,
      reconnect: true,
      maxReconnects: 10,
      callTimeoutMs: this.o.callTimeoutMs ?? 30_000,
    } as never) as unknown as Client;
    const cp: ChargePoint = { identity, stationId, protocol, client, nextAt: 0, seqNo: 0, profiles: new Map(), inoperative: false };
    this.answerCommands(cp);
    // Closed by close() with the others, even when registration fails before the run.
    this.cps.set(identity, cp);
    try {
      await client.connect();
      await client.call(
        'BootNotification',
        protocol === 'ocpp1.6'
          ? { chargePointVendor: 'ev-copilot', chargePointModel: 'simulated-charger', firmwareVersion: 'simulate' }
          : { reason: 'PowerUp', chargingStation: { vendorName: 'ev-copilot', model: 'simulated-charger', firmwareVersion: 'simulate' } },
      );
    } catch (err) {
      this.cps.delete(identity);
      await client.close({ force: true }).catch(() => undefined);
      throw err;
    }
    return cp;
  }

  /** Answers the copilot's commands as a charger would, and puts what they change in force in the simulation. */
  private answerCommands(cp: ChargePoint): void {
    const v16 = cp.protocol === 'ocpp1.6';
    const on = (method: string, fn: (p: Record<string, unknown>) => Record<string, unknown>) =>
      cp.client.handle(method, ({ params }) => {
        this.stats.commands[method] = (this.stats.commands[method] ?? 0) + 1;
        this.lastCommandAt = performance.now();
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
      this.changed(cp, 'SetChargingProfile');
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
      if (cleared > 0) this.changed(cp, 'ClearChargingProfile');
      return { status: cleared > 0 ? 'Accepted' : 'Unknown' };
    });
    on('ChangeAvailability', (p) => {
      cp.inoperative = (v16 ? p.type : p.operationalStatus) === 'Inoperative';
      this.changed(cp, 'ChangeAvailability');
      return { status: 'Accepted' };
    });
    on('Reset', () => {
      // Answered first, carried out at once: a charger resets after it said it would.
      this.stats.resets += 1;
      if (this.sim?.reset(cp.stationId, cp.identity)) this.stats.resetsCleared += 1;
      this.o.onApplied?.({
        stationId: cp.stationId,
        identity: cp.identity,
        method: 'Reset',
        simTs: this.simTs,
        controls: this.controlsOf(cp.stationId),
      });
      return { status: 'Accepted' };
    });
  }

  /** A station's controls changed: in force in the simulation from its next second (or at the first send). */
  private changed(cp: ChargePoint, method: string): void {
    const controls = this.controlsOf(cp.stationId);
    if (this.sim?.control(cp.stationId, controls)) {
      this.stats.applied += 1;
      this.o.onApplied?.({ stationId: cp.stationId, identity: cp.identity, method, simTs: this.simTs, controls });
    } else {
      this.pending.add(cp.stationId);
    }
  }

  /** A request to the admin API with the session's token, signing in again once if it expired; 429/5xx/network retried. */
  private async admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const { creds } = this.o;
    let relogged = false;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.o.url}/api${path}`, {
          method,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${creds.token ?? ''}` },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        if (attempt < 4) {
          await sleep(250 * 2 ** attempt);
          continue;
        }
        throw new TransportError(`${method} /api${path} failed: ${(err as Error).message}`);
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON: keep the text for the message.
      }
      if ((res.status === 429 || res.status >= 500) && attempt < 4) {
        await sleep(250 * 2 ** attempt);
        continue;
      }
      if (res.status === 401 && errorCode(parsed) === 'TOKEN_EXPIRED' && creds.login && !relogged) {
        relogged = true;
        Object.assign(creds, await login(this.o.url, creds.login.email, creds.login.password));
        continue;
      }
      if (res.status === 401 || res.status === 403)
        throw new TransportError(
          `${method} /api${path} answered ${res.status}: ${describe(parsed)}; --ocpp registers charge points, which needs an admin`,
        );
      return { status: res.status, body: parsed };
    }
  }
}

function connectError(identity: string, err: unknown): TransportError {
  const e = err as { code?: unknown; message?: string };
  return new TransportError(
    `charge point ${identity} could not connect${typeof e.code === 'number' ? ` (HTTP ${e.code})` : ''}: ${e.message ?? String(err)}`,
  );
}

function errorCode(body: unknown): string | undefined {
  const e = (body as { error?: { code?: unknown } } | null)?.error;
  return e && typeof e === 'object' && typeof e.code === 'string' ? e.code : undefined;
}

function describe(body: unknown): string {
  const e = (body as { error?: { message?: unknown } } | null)?.error;
  if (e && typeof e === 'object' && typeof e.message === 'string') return e.message;
  return typeof body === 'string' ? body.slice(0, 200) : (JSON.stringify(body)?.slice(0, 200) ?? '');
}

async function loadPasswords(path: string | null): Promise<Map<string, string>> {
  if (!path || !existsSync(path)) return new Map();
  return new Map(Object.entries(JSON.parse(await readFile(path, 'utf8')) as Record<string, string>));
}

async function savePasswords(path: string, passwords: Map<string, string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(Object.fromEntries(passwords), null, 2)}\n`, { encoding: 'utf8', mode: 0o600 });
}
