// `npm run simulate -- --ocpp`: every simulated charger as an OCPP charge point (an ocpp-rpc client, 1.6J
// or 2.0.1). What OCPP carries goes over it: a charger's status and temperature, and the station's power
// as the meter reading of its first charge point. The copilot's commands back (charging profiles,
// availability, reset) are put in force in the running simulation, which closes the loop over OCPP.
// This file is the fleet: its charge points' connections, their pace and retries, and the counts; the
// wording is in ocppMessages.ts, the answers to commands in ocppCommands.ts, the accounts in ocppRegistry.ts.
import { RPCClient } from 'ocpp-rpc';
import type { Signal, StationRegistration } from '../../eventBus/types.js';
import type { Simulation, StationControls } from '../../simulator/index.js';
import type { Rejection, SendFn, SendResult } from '../../simulator/run.js';
import { answerCommands, stationControls, type Profile } from './ocppCommands.js';
import { bootNotification, messageFor, type Protocol } from './ocppMessages.js';
import { ChargePointRegistry, type RegistryOptions } from './ocppRegistry.js';
import { TransportError } from './transports.js';

export { limitKW } from './ocppCommands.js';
export { errorCode16 } from './ocppMessages.js';

export type OcppVersion = '1.6' | '2.0.1' | 'mixed';
export const OCPP_VERSIONS: readonly OcppVersion[] = ['1.6', '2.0.1', 'mixed'];

/** The library's client as used here (its own types are loose). */
interface Client {
  connect(): Promise<unknown>;
  close(options?: { code?: number; reason?: string; force?: boolean }): Promise<unknown>;
  call(method: string, params?: unknown): Promise<Record<string, unknown>>;
  handle(method: string, handler: (call: { params: Record<string, unknown> }) => unknown): void;
  on(event: string, fn: (e: unknown) => void): void;
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

export interface OcppFleetOptions extends RegistryOptions {
  version: OcppVersion;
  /** Messages per second each charge point sends at most (the central system refuses more). */
  messagesPerS: number;
  callTimeoutMs?: number;
  onApplied?: (change: AppliedChange) => void;
}

const RETRIES = 5;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  private readonly registry: ChargePointRegistry;

  constructor(private readonly o: OcppFleetOptions) {
    this.registry = new ChargePointRegistry(o);
  }

  /** The controls the copilot's commands put on a station so far. */
  controlsOf(stationId: string): StationControls {
    return stationControls(this.byStation.get(stationId) ?? []);
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
    await this.registry.load();
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
      await this.registry.save();
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
        const cp = this.carrierOf(s);
        const msg = cp ? messageFor(s, cp) : null;
        if (!cp || !msg) return rest.push(index);
        const queue = queues.get(cp) ?? [];
        queue.push({ index, method: msg.method, params: msg.params });
        queues.set(cp, queue);
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

  /** The charge point that sends a signal over OCPP; none: it goes over JSON. */
  private carrierOf(s: Signal): ChargePoint | undefined {
    if (s.type === 'charger_status' || s.type === 'charger_temp') return this.cps.get(s.payload.chargerId);
    // The whole station's draw on its first charge point's main meter (connector/EVSE 0), so the
    // central system's sum over the station's charge points is the station's kW in one message.
    if (s.type === 'power_draw') return this.byStation.get(s.stationId)?.[0];
    return undefined;
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
    let password = this.registry.saved(identity) ?? (await this.registered(stationId, identity, false));
    if (password === null) return null;
    try {
      return await this.connect(stationId, identity, protocol, password);
    } catch (err) {
      // A password from an older run (the server's database was reset or the charge point re-registered).
      if ((err as { code?: unknown }).code !== 401) throw connectError(identity, err);
    }
    password = await this.registered(stationId, identity, true);
    if (password === null) return null;
    try {
      return await this.connect(stationId, identity, protocol, password);
    } catch (err) {
      throw connectError(identity, err);
    }
  }

  /** Registers a charge point (again, with `replace`) and counts it; null when the station has no room for it. */
  private async registered(stationId: string, identity: string, replace: boolean): Promise<string | null> {
    const password = await this.registry.register(stationId, identity, replace);
    if (password !== null) this.stats.registered += 1;
    return password;
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
    answerCommands(cp, {
      received: (method) => {
        this.stats.commands[method] = (this.stats.commands[method] ?? 0) + 1;
        this.lastCommandAt = performance.now();
      },
      changed: (method) => this.changed(cp, method),
      reset: () => this.reset(cp),
    });
    // Closed by close() with the others, even when registration fails before the run.
    this.cps.set(identity, cp);
    try {
      await client.connect();
      await client.call('BootNotification', bootNotification(protocol));
    } catch (err) {
      this.cps.delete(identity);
      await client.close({ force: true }).catch(() => undefined);
      throw err;
    }
    return cp;
  }

  /** A Reset the charge point answered: carried out in the simulation at once. */
  private reset(cp: ChargePoint): void {
    this.stats.resets += 1;
    if (this.sim?.reset(cp.stationId, cp.identity)) this.stats.resetsCleared += 1;
    this.o.onApplied?.({
      stationId: cp.stationId,
      identity: cp.identity,
      method: 'Reset',
      simTs: this.simTs,
      controls: this.controlsOf(cp.stationId),
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
}

function connectError(identity: string, err: unknown): TransportError {
  const e = err as { code?: unknown; message?: string };
  return new TransportError(
    `charge point ${identity} could not connect${typeof e.code === 'number' ? ` (HTTP ${e.code})` : ''}: ${e.message ?? String(err)}`,
  );
}
