// The OCPP edge as the composition root builds it: the central system and the actuator that calls its
// charge points, set from the service's settings, and how it takes its place on the HTTP server.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ChargePointService, Revocations } from '../services/access/index.js';
import type { IngestResult } from '../services/pipeline/index.js';
import type { Metrics } from '../services/platform/index.js';
import { OcppActuator, type PlanOf } from './actuator.js';
import { CENTRAL_SYSTEM_DEFAULTS, CentralSystem, OCPP_PATH } from './centralSystem.js';
import { peersOver, type PeerBus } from './peers.js';

export interface OcppEdgeDeps {
  chargePoints: ChargePointService;
  ingest(raws: unknown[], receivedAt: number): Promise<IngestResult>;
  revocations: Revocations;
  metrics: Metrics;
  logger: Logger;
  heartbeatS: number;
  messagesPerS: number;
  /** The actuation service's timeout: a command's answer is awaited a little less. */
  actuationTimeoutMs: number;
  /** Other instances share the registry (Redis): a removal there is noticed by a sweep. */
  clustered: boolean;
  /** The station's plan in force (a rebooted charger is told its standing limits again). */
  planOf: PlanOf;
  onError(err: unknown): void;
}

export interface OcppEdge {
  centralSystem: CentralSystem;
  actuator: OcppActuator;
  /**
   * Takes /ocpp/ upgrades of the server and ends those nobody takes (Socket.io is told not to end
   * upgrades it does not own); with several instances, routes commands through the instance holding a
   * charge point and reads the registry again every 10 s.
   */
  attach(http: Server, peers: PeerBus): void;
  close(): Promise<void>;
}

export function createOcppEdge(d: OcppEdgeDeps): OcppEdge {
  const centralSystem = new CentralSystem({
    chargePoints: d.chargePoints,
    ingest: d.ingest,
    revocations: d.revocations,
    metrics: d.metrics,
    logger: d.logger,
    now: () => new Date(),
    options: {
      ...CENTRAL_SYSTEM_DEFAULTS,
      heartbeatS: d.heartbeatS,
      messagesPerS: d.messagesPerS,
      callTimeoutMs: d.actuationTimeoutMs,
      // Only other instances can remove a charge point behind this one's back.
      sweepMs: d.clustered ? 60_000 : null,
    },
  });
  const actuator = new OcppActuator(
    centralSystem,
    d.chargePoints,
    {
      // Less than the actuation service's own timeout, so a command that never went out says why.
      deadlineMs: Math.max(10, d.actuationTimeoutMs - Math.min(500, Math.floor(d.actuationTimeoutMs / 10))),
      waitingPerChargePoint: 16,
    },
    d.planOf,
  );
  let reload: NodeJS.Timeout | null = null;
  return {
    centralSystem,
    actuator,
    attach(http, peers) {
      centralSystem.attach(http);
      http.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
        const path = (req.url ?? '/').split('?')[0]!;
        if (!path.startsWith('/socket.io/') && !path.startsWith(`${OCPP_PATH}/`)) socket.destroy();
      });
      if (!d.clustered) return;
      actuator.peers = peersOver(peers, {
        holds: (identity) => centralSystem.isConnected(identity),
        send: (call, deadline) => actuator.sendHere(call, deadline),
      });
      // Charge points registered or removed on another instance are taken in here too.
      reload = setInterval(() => void d.chargePoints.load().catch(d.onError), 10_000);
      reload.unref();
    },
    async close() {
      if (reload) clearInterval(reload);
      await centralSystem.close();
    },
  };
}
