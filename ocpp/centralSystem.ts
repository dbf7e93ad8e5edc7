// The OCPP central system on the copilot's own port: charge points connect at /ocpp/<identity> with
// subprotocol ocpp1.6 or ocpp2.0.1 and HTTP Basic `identity:password` (security profile 1; profile 2
// when the copilot is served over TLS). Their messages become signals through the same validation,
// dedupe and pipeline as every other signal; the actuator (actuator.ts) calls them back through here.
// One connection per identity: a new one replaces the old. Each connection is rate limited; a charge
// point that keeps flooding is disconnected, and none of it touches another charge point's connection.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'eventemitter3';
import type { Logger } from 'pino';
import { RPCServer, createRPCError } from 'ocpp-rpc';
import type { ChargePointService, Revocations } from '../services/access/index.js';
import { checkSignal, type IngestResult } from '../services/pipeline/index.js';
import { AppError, type Metrics } from '../services/platform/index.js';
import {
  ChargePointLink,
  HANDLED,
  OCPP_PROTOCOLS,
  OcppRefusal,
  StationPower,
  map16,
  map201,
  type Mapped,
  type OcppProtocol,
  type RawSignal,
} from './messages.js';

export const OCPP_PATH = '/ocpp';

export interface CentralSystemOptions {
  /** Heartbeat interval handed out at BootNotification. */
  heartbeatS: number;
  /** How long a command to a charge point may go unanswered. */
  callTimeoutMs: number;
  /** Messages a charge point may send per second (a burst of twice as many is allowed). */
  messagesPerS: number;
  /** Refused messages in a row (over the rate, or malformed) after which the connection is closed. */
  maxStrikes: number;
  /**
   * With several instances, how often the connected charge points are checked against the registry (a
   * removal made on another instance closes the connection here); null with one instance, where a
   * removal closes it at once.
   */
  sweepMs: number | null;
}

export const CENTRAL_SYSTEM_DEFAULTS: CentralSystemOptions = {
  heartbeatS: 300,
  callTimeoutMs: 10_000,
  messagesPerS: 10,
  maxStrikes: 20,
  sweepMs: null,
};

export interface CentralSystemDeps {
  chargePoints: Pick<ChargePointService, 'authenticate' | 'booted' | 'stillRegistered'>;
  /** The pipeline's door for signals (validation, dedupe, decisions). */
  ingest(raws: unknown[], receivedAt: number): Promise<IngestResult>;
  revocations: Revocations;
  metrics: Metrics;
  logger: Logger;
  now: () => Date;
  options: CentralSystemOptions;
}

/** The library's connection (its types are loose). */
interface RpcClient {
  identity: string;
  protocol: string;
  session: { link: ChargePointLink };
  handle(method: string, handler: (call: { method: string; params: unknown; messageId: string }) => unknown): void;
  call(method: string, params: unknown, options?: { callTimeoutMs?: number }): Promise<unknown>;
  close(options?: { code?: number; reason?: string; force?: boolean }): Promise<unknown>;
  on(event: string, fn: (...args: any[]) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  once(event: string, fn: (...args: any[]) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** What the library tells of a connection attempt. */
interface Handshake {
  identity: string;
  endpoint: string;
  password?: Buffer;
  protocols: Set<string>;
}

export interface CentralSystemEvents {
  /** A charge point connected (after the handshake): commands waiting for it can go. */
  connected: (identity: string) => void;
  /** A charge point booted (BootNotification answered): it may have lost what it was told before. */
  booted: (identity: string, stationId: string) => void;
}

/** A token bucket per connection: `rate` per second, up to twice that at once. */
class Bucket {
  private tokens: number;
  private at = performance.now();
  strikes = 0;

  constructor(private readonly rate: number) {
    this.tokens = rate * 2;
  }

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.rate * 2, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class CentralSystem extends EventEmitter<CentralSystemEvents> {
  private readonly rpc: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- ocpp-rpc's types are loose
  private readonly clients = new Map<string, RpcClient>();
  readonly power = new StationPower();
  private sweep: NodeJS.Timeout | null = null;
  private readonly offRevocation: () => void;

  constructor(private readonly deps: CentralSystemDeps) {
    super();
    this.rpc = new RPCServer({
      protocols: [...OCPP_PROTOCOLS],
      strictMode: true,
      callTimeoutMs: deps.options.callTimeoutMs,
      pingIntervalMs: 30_000,
      // A frame that is not OCPP-J at all answers an RPC error; this many in a row close the connection.
      maxBadMessages: deps.options.maxStrikes,
      // No OCPP message the central system takes comes near this; a bigger frame closes the connection.
      wssOptions: { maxPayload: 256 * 1024 },
    } as never);
    this.rpc.auth(
      (accept: (session: unknown, protocol?: string) => void, reject: (code: number, message: string) => void, handshake: Handshake) =>
        this.authenticate(accept, reject, handshake),
    );
    this.rpc.on('client', (client: RpcClient) => this.onClient(client));
    this.rpc.on('error', (err: unknown) => deps.logger.warn({ err }, 'ocpp server error'));
    const onRemoved = (identity: string) => {
      // Its readings leave the station's power sum (bounded by the charge points registered).
      const link = this.linkOf(identity);
      if (link) this.power.forget(link.cp.stationId, identity);
      this.disconnect(identity, 'charge point removed');
    };
    deps.revocations.on('chargePoint', onRemoved);
    this.offRevocation = () => deps.revocations.off('chargePoint', onRemoved);
    deps.metrics.ocppConnected.read = () => {
      const by: Record<string, number> = { 'ocpp1.6': 0, 'ocpp2.0.1': 0 };
      for (const c of this.clients.values()) by[c.protocol] = (by[c.protocol] ?? 0) + 1;
      return by;
    };
  }

  /** Takes /ocpp/<identity> upgrades of this HTTP server; Socket.io keeps its own path. */
  attach(http: Server): void {
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path.startsWith(`${OCPP_PATH}/`)) void this.rpc.handleUpgrade(req, socket, head);
    });
    // Another instance may remove a charge point: its connection here closes within the sweep.
    if (this.deps.options.sweepMs !== null) {
      this.sweep = setInterval(() => void this.dropRemoved(), this.deps.options.sweepMs);
      this.sweep.unref();
    }
  }

  get connectedCount(): number {
    return this.clients.size;
  }

  isConnected(identity: string): boolean {
    return this.clients.has(identity);
  }

  /** The connection's view of a connected charge point, or undefined. */
  linkOf(identity: string): ChargePointLink | undefined {
    return this.clients.get(identity)?.session.link;
  }

  /** Sends a command to a connected charge point and answers its result; throws when it is not connected, on a CALLERROR or a timeout. */
  async call(identity: string, method: string, params: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    const client = this.clients.get(identity);
    if (!client) throw new Error(`charge point ${identity} is not connected`);
    const t0 = performance.now();
    let result = 'ok';
    try {
      return (await client.call(method, params, { callTimeoutMs: timeoutMs })) as Record<string, unknown>;
    } catch (err) {
      result =
        (err as { rpcErrorCode?: string }).rpcErrorCode ?? (err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'error');
      throw err;
    } finally {
      this.deps.metrics.ocppCallLatency.observe({ action: method, result }, (performance.now() - t0) / 1000);
    }
  }

  async close(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.offRevocation();
    // A charger that does not answer the close handshake does not hold the stop: 2 s, then the sockets are cut.
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      this.rpc.close({ code: 1001, reason: 'central system shutting down', awaitPending: false }),
      new Promise((resolve) => (grace = setTimeout(resolve, 2000))),
    ]);
    clearTimeout(grace);
    await this.rpc.close({ force: true });
    this.clients.clear();
  }

  private disconnect(identity: string, reason: string): void {
    const client = this.clients.get(identity);
    if (!client) return;
    this.clients.delete(identity);
    void client.close({ code: 1008, reason });
  }

  private async dropRemoved(): Promise<void> {
    try {
      const ids = [...this.clients.keys()];
      const live = await this.deps.chargePoints.stillRegistered(ids);
      for (const id of ids) if (!live.has(id)) this.disconnect(id, 'charge point removed');
    } catch (err) {
      this.deps.logger.warn({ err }, 'ocpp: could not check registrations');
    }
  }

  private async authenticate(
    accept: (session: unknown, protocol?: string) => void,
    reject: (code: number, message: string) => void,
    handshake: Handshake,
  ): Promise<void> {
    if (handshake.endpoint !== OCPP_PATH) return reject(404, `OCPP charge points connect at ${OCPP_PATH}/<identity>`);
    const protocol = OCPP_PROTOCOLS.find((p) => handshake.protocols.has(p));
    if (!protocol) return reject(400, `subprotocol ${OCPP_PROTOCOLS.join(' or ')} required`);
    let cp;
    try {
      cp = await this.deps.chargePoints.authenticate(handshake.identity, handshake.password);
    } catch (err) {
      this.deps.logger.error({ err }, 'ocpp: authentication failed');
      return reject(503, 'try again later');
    }
    // Unknown identity and wrong password look the same from outside.
    if (!cp) return reject(401, 'unknown charge point or wrong password');
    accept({ link: new ChargePointLink(cp, protocol) }, protocol);
  }

  private onClient(client: RpcClient): void {
    const { identity } = client;
    const previous = this.clients.get(identity);
    // The newest connection of a charge point is the one it uses (a reboot, a dropped link).
    if (previous) void previous.close({ code: 1000, reason: 'replaced by a new connection', force: true });
    this.clients.set(identity, client);
    const link = client.session.link;
    const bucket = new Bucket(this.deps.options.messagesPerS);
    const count = (action: string, result: string) =>
      this.deps.metrics.ocppMessages.inc({ protocol: link.protocol, action: action.slice(0, 40), result });
    client.on('strictValidationFailure', (e: { method: string; outbound: boolean }) => {
      if (!e.outbound) count(e.method, 'invalid');
    });
    client.on('badMessage', () => count('(malformed)', 'invalid'));
    client.once('close', () => {
      if (this.clients.get(identity) === client) this.clients.delete(identity);
    });
    const handler = async ({ method, params, messageId }: { method: string; params: unknown; messageId: string }) => {
      if (!bucket.take()) {
        count(method, 'rate_limited');
        if (++bucket.strikes >= this.deps.options.maxStrikes) this.disconnect(identity, 'rate limit exceeded');
        throw createRPCError('GenericError', `rate limit: ${this.deps.options.messagesPerS} messages per second`);
      }
      bucket.strikes = 0;
      try {
        const answer = await this.take(link, method, (params ?? {}) as Record<string, unknown>, messageId);
        count(method, answer.result);
        return answer.response;
      } catch (err) {
        if (err instanceof OcppRefusal) {
          count(method, 'refused');
          throw createRPCError(err.code, err.message);
        }
        if (err instanceof AppError && err.status === 503) {
          count(method, 'busy');
          throw createRPCError('InternalError', 'the copilot is busy; nothing of this message was taken, retry later');
        }
        count(method, 'error');
        this.deps.logger.error({ err, identity, method }, 'ocpp: message failed');
        throw createRPCError('InternalError', 'not stored; retry');
      }
    };
    // Only these: any other action is answered NotImplemented by the library, before its schema is checked.
    for (const action of HANDLED[link.protocol]) client.handle(action, handler);
    this.emit('connected', identity);
  }

  /** Maps the message, checks every signal it makes before any is taken, then ingests them together. */
  private async take(
    link: ChargePointLink,
    action: string,
    params: Record<string, unknown>,
    messageId: string,
  ): Promise<{ response: Record<string, unknown>; result: string }> {
    const receivedAt = performance.now();
    const ctx = { link, action, messageId, params, now: this.deps.now(), heartbeatS: this.deps.options.heartbeatS, power: this.power };
    const mapped: Mapped = link.protocol === 'ocpp1.6' ? map16(ctx) : map201(ctx);
    refuseInvalid(mapped.signals);
    if (mapped.boot) {
      await this.deps.chargePoints.booted(link.cp.identity, { ...mapped.boot, protocol: link.protocol });
      // After the answer is on its way: OCPP lets the central system talk once the boot is accepted.
      setImmediate(() => this.emit('booted', link.cp.identity, link.cp.stationId));
    }
    if (mapped.signals.length === 0) return { response: mapped.response, result: 'ok' };
    const r = await this.deps.ingest(mapped.signals, receivedAt);
    const refused = r.rejected[0];
    // Past the edge's own checks only the station's bounds can refuse (a charger beyond its capacity).
    if (refused) throw new OcppRefusal('PropertyConstraintViolation', `${refused.error.field}: ${refused.error.message}`);
    return { response: mapped.response, result: r.duplicates === mapped.signals.length ? 'duplicate' : 'ok' };
  }
}

/** A message is taken whole or not at all: one signal out of bounds (a temperature of 400 C) refuses it. */
function refuseInvalid(signals: RawSignal[]): void {
  for (const s of signals) {
    const check = checkSignal(s);
    if (!check.ok) throw new OcppRefusal('PropertyConstraintViolation', `${s.type}.${check.error.field}: ${check.error.message}`);
  }
}

export type { OcppProtocol };
