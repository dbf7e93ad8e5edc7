// The OCPP edge as the composition root builds it: the central system and the actuator that calls its
// charge points, set from the service's settings.
import type { Logger } from 'pino';
import type { ChargePointService, Revocations } from '../services/access/index.js';
import type { IngestResult } from '../services/pipeline/index.js';
import type { Metrics } from '../services/platform/index.js';
import { OcppActuator, type PlanOf } from './actuator.js';
import { CENTRAL_SYSTEM_DEFAULTS, CentralSystem } from './centralSystem.js';

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
}

export function createOcppEdge(d: OcppEdgeDeps): { centralSystem: CentralSystem; actuator: OcppActuator } {
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
  return { centralSystem, actuator };
}
