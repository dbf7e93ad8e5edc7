// A fleet of simulated OCPP charge points for `npm run bench:ocpp`: real ocpp-rpc clients over loopback,
// each sending MeterValues (temperature and power) on its own period and heartbeats, answering the
// copilot's commands (GetConfiguration, SetChargingProfile, ...) as a charger would.
import { RPCClient } from 'ocpp-rpc';
import { latencyHistogram } from './load.js';
import type { Histogram } from 'hdr-histogram-js';

/** The library's client as the fleet uses it (its own types are loose). */
interface Cp {
  connect(): Promise<unknown>;
  close(o?: { force?: boolean }): Promise<unknown>;
  call(method: string, params?: unknown): Promise<unknown>;
  handle(method: string, fn: (c: { params: Record<string, unknown> }) => unknown): void;
  on(event: string, fn: (e: unknown) => void): void;
}

export interface FleetMember {
  identity: string;
  password: string;
  stationId: string;
}

export interface FleetOptions {
  wsUrl: string;
  protocol: 'ocpp1.6' | 'ocpp2.0.1';
  meterEveryS: number;
  heartbeatEveryS: number;
}

export class Fleet {
  private readonly clients = new Map<string, Cp>();
  private timers: NodeJS.Timeout[] = [];
  /** Message sent to its CALLRESULT, microseconds. */
  readonly answers: Histogram = latencyHistogram();
  sent = 0;
  callErrors = 0;
  firstError: string | null = null;
  disconnects = 0;
  /** Per identity: when a hot reading went out, and the resolve of its profile's arrival. */
  private readonly hot = new Map<string, { at: number; done: (ms: number) => void }>();
  profiles = 0;

  constructor(
    private readonly members: readonly FleetMember[],
    private readonly o: FleetOptions,
  ) {}

  /** Connects every member (`concurrency` at a time) and boots it; answers the time it took. */
  async connect(concurrency: number, onProgress?: (n: number) => void): Promise<number> {
    const t0 = performance.now();
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < this.members.length) {
        const m = this.members[next++]!;
        const cp = new RPCClient({
          endpoint: this.o.wsUrl,
          identity: m.identity,
          password: m.password,
          protocols: [this.o.protocol],
          // The copilot validates strictly; a charger does not run a schema validator on what it sends.
          strictMode: false,
          reconnect: false,
          callTimeoutMs: 30_000,
        } as never) as unknown as Cp;
        this.answerCommands(cp, m.identity);
        cp.on('disconnect', () => (this.disconnects += 1));
        await cp.connect();
        await cp.call(
          'BootNotification',
          this.o.protocol === 'ocpp1.6'
            ? { chargePointVendor: 'bench', chargePointModel: 'fleet' }
            : { reason: 'PowerUp', chargingStation: { vendorName: 'bench', model: 'fleet' } },
        );
        this.clients.set(m.identity, cp);
        onProgress?.(++done);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return performance.now() - t0;
  }

  /** Starts every member's meter and heartbeat timers, spread over their periods. */
  start(): void {
    const n = this.members.length;
    this.members.forEach((m, i) => {
      const cp = this.clients.get(m.identity)!;
      const meterMs = this.o.meterEveryS * 1000;
      const beatMs = this.o.heartbeatEveryS * 1000;
      const offset = (i / n) * meterMs;
      this.timers.push(
        setTimeout(() => {
          void this.meter(cp, m, 30 + (i % 15));
          this.timers.push(setInterval(() => void this.meter(cp, m, 30 + (i % 15)), meterMs));
        }, offset),
        setTimeout(() => this.timers.push(setInterval(() => void this.call(cp, 'Heartbeat', {}), beatMs)), (i / n) * beatMs),
      );
    });
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  /**
   * Sends a reading hot enough for a derate from this member and resolves with the milliseconds until
   * its SetChargingProfile arrived and was answered (the whole round: reading, decision, command, answer).
   */
  overheat(m: FleetMember, tempC: number): Promise<number> {
    const cp = this.clients.get(m.identity)!;
    return new Promise((resolve) => {
      this.hot.set(m.identity, { at: performance.now(), done: resolve });
      void this.meter(cp, m, tempC);
    });
  }

  async close(): Promise<void> {
    this.stop();
    await Promise.all([...this.clients.values()].map((c) => c.close({ force: true }).catch(() => undefined)));
  }

  private meter(cp: Cp, m: FleetMember, tempC: number): Promise<void> {
    const timestamp = new Date().toISOString();
    const kW = 20 + (m.identity.length % 7) * 3;
    const params =
      this.o.protocol === 'ocpp1.6'
        ? {
            connectorId: 1,
            meterValue: [
              {
                timestamp,
                sampledValue: [
                  { value: String(tempC), measurand: 'Temperature', unit: 'Celsius' },
                  { value: String(kW * 1000), measurand: 'Power.Active.Import', unit: 'W' },
                ],
              },
            ],
          }
        : {
            evseId: 1,
            meterValue: [
              { timestamp, sampledValue: [{ value: kW * 1000, measurand: 'Power.Active.Import', unitOfMeasure: { unit: 'W' } }] },
            ],
          };
    if (this.o.protocol === 'ocpp2.0.1')
      void this.call(cp, 'NotifyEvent', {
        generatedAt: timestamp,
        seqNo: 0,
        eventData: [
          {
            eventId: 1,
            timestamp,
            trigger: 'Periodic',
            actualValue: String(tempC),
            eventNotificationType: 'HardWiredMonitor',
            component: { name: 'ChargingStation' },
            variable: { name: 'Temperature' },
          },
        ],
      });
    return this.call(cp, 'MeterValues', params);
  }

  private async call(cp: Cp, method: string, params: unknown): Promise<void> {
    const t0 = performance.now();
    this.sent += 1;
    try {
      await cp.call(method, params);
      this.answers.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
    } catch (err) {
      this.callErrors += 1;
      this.firstError ??= `${method}: ${(err as { rpcErrorCode?: string }).rpcErrorCode ?? ''} ${(err as Error).message}`;
    }
  }

  private answerCommands(cp: Cp, identity: string): void {
    cp.handle('GetConfiguration', () => ({
      configurationKey: [{ key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: 'Power' }],
    }));
    cp.handle('GetVariables', () => ({
      getVariableResult: [
        { attributeStatus: 'Accepted', attributeValue: 'W', component: { name: 'SmartChargingCtrlr' }, variable: { name: 'RateUnit' } },
      ],
    }));
    cp.handle('SetChargingProfile', () => {
      this.profiles += 1;
      const h = this.hot.get(identity);
      if (h) {
        this.hot.delete(identity);
        // Answered as soon as this returns: the round ends with the answer on its way.
        setImmediate(() => h.done(performance.now() - h.at));
      }
      return { status: 'Accepted' };
    });
    for (const m of ['ClearChargingProfile', 'ChangeAvailability', 'Reset']) cp.handle(m, () => ({ status: 'Accepted' }));
  }
}
