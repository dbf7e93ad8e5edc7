// Who may send which signals: a device key only for its own station, a user only for the
// stations in their scope (others answered as unknown, so ids cannot be probed). Refused
// signals never reach ingestion, so nothing of them is stored.
import type { PublicUser } from './users.js';
import type { DeviceKeyService, VerifiedDeviceKey } from './deviceKeys.js';
import { AppError } from '../platform/index.js';
import { deviceKeyMayIngest } from './deviceKeys.js';
import type { IngestResult, IngestionService, SignalOutcome } from '../pipeline/index.js';
import type { Limiter } from './rateLimits.js';
import type { SignalError } from '../pipeline/index.js';

export type IngestActor = { kind: 'device'; key: VerifiedDeviceKey } | { kind: 'user'; user: PublicUser };

export interface SignalGateDeps {
  deviceKeys: Pick<DeviceKeyService, 'verify'>;
  ingestion: Pick<IngestionService, 'ingest'>;
  signalsPerDevice: Limiter;
}

/** The one door signals come in by, REST and /ingest alike: who is sending, and only what they may send. */
export class SignalGate {
  constructor(private readonly deps: SignalGateDeps) {}

  resolve(deviceKey: unknown, user: PublicUser | null | undefined): Promise<IngestActor> {
    return resolveIngestActor(this.deps, deviceKey, user);
  }

  ingest(actor: IngestActor, raws: unknown[], receivedAt: number): Promise<IngestResult> {
    return ingestAs(this.deps, actor, raws, receivedAt);
  }
}

/** A station's device (its key) or a signed-in operator; anyone else is refused (REST and /ingest alike). */
async function resolveIngestActor(
  s: { deviceKeys: Pick<DeviceKeyService, 'verify'> },
  deviceKey: unknown,
  user: PublicUser | null | undefined,
): Promise<IngestActor> {
  if (typeof deviceKey === 'string' && deviceKey) {
    const key = await s.deviceKeys.verify(deviceKey);
    if (!key)
      throw new AppError(401, 'INVALID_DEVICE_KEY', 'the device key is not valid (revoked, rotated or mistyped)', [
        { field: 'x-device-key' },
      ]);
    return { kind: 'device', key };
  }
  if (!user)
    throw new AppError(
      401,
      'AUTH_REQUIRED',
      "send the station's device key (X-Device-Key, or auth: { deviceKey }) or an operator's access token",
      [{ field: 'authorization' }],
    );
  if (user.role !== 'admin' && user.role !== 'operator')
    throw new AppError(403, 'FORBIDDEN', 'sending signals needs a device key or the operator role', [{ field: 'authorization' }]);
  return { kind: 'user', user };
}

async function ingestAs(
  s: { ingestion: Pick<IngestionService, 'ingest'>; signalsPerDevice: Limiter },
  actor: IngestActor,
  raws: unknown[],
  receivedAt: number,
): Promise<IngestResult> {
  const refused = new Map<number, SignalError>();
  if (actor.kind === 'device') {
    for (const r of deviceKeyMayIngest(actor.key, raws))
      refused.set(r.index, { code: 'FORBIDDEN_STATION', field: r.error.field, message: r.error.message });
    await s.signalsPerDevice.consume(actor.key.keyId, Math.max(1, raws.length));
  } else {
    // Operators' signals are limited like a device's, per user.
    await s.signalsPerDevice.consume(`user:${actor.user.id}`, Math.max(1, raws.length));
  }
  if (actor.kind === 'user' && actor.user.stationScope !== 'all') {
    const scope = new Set(actor.user.stationScope);
    raws.forEach((raw, index) => {
      const stationId = raw !== null && typeof raw === 'object' ? (raw as { stationId?: unknown }).stationId : undefined;
      if (typeof stationId === 'string' && !scope.has(stationId))
        refused.set(index, { code: 'UNKNOWN_STATION', field: 'stationId', message: `station ${stationId.slice(0, 64)} is not registered` });
    });
  }
  if (refused.size === 0) return s.ingestion.ingest(raws, receivedAt);
  const allowed = raws.map((_, i) => i).filter((i) => !refused.has(i));
  const position = new Map(allowed.map((i, j) => [i, j]));
  const sub = allowed.length
    ? await s.ingestion.ingest(
        allowed.map((i) => raws[i]),
        receivedAt,
      )
    : { accepted: 0, duplicates: 0, rejected: [], results: [] };
  const results: SignalOutcome[] = raws.map((raw, index) => {
    const error = refused.get(index);
    if (error) {
      const id =
        raw !== null && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : null;
      return { index, id, status: 'rejected', error };
    }
    return { ...sub.results[position.get(index)!], index };
  });
  const rejected = results.flatMap((r) => (r.status === 'rejected' ? [{ index: r.index, error: r.error }] : []));
  return { accepted: sub.accepted, duplicates: sub.duplicates, rejected, results };
}
