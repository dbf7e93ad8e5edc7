// Who may send which signals: a device key only for its own station, a user only for the
// stations in their scope (others answered as unknown, so ids cannot be probed). Refused
// signals never reach ingestion, so nothing of them is stored.
import type { PublicUser } from './auth/users.js';
import type { VerifiedDeviceKey } from './deviceKeys.js';
import { deviceKeyMayIngest } from './deviceKeys.js';
import type { IngestResult, IngestionService, SignalOutcome } from './ingestion.js';
import type { Limiter } from './rateLimits.js';
import type { SignalError } from './signalSchemas.js';

export type IngestActor = { kind: 'device'; key: VerifiedDeviceKey } | { kind: 'user'; user: PublicUser };

export async function ingestAs(
  s: { ingestion: IngestionService; limits: { signalsPerDevice: Limiter } },
  actor: IngestActor,
  raws: unknown[],
  receivedAt: number,
): Promise<IngestResult> {
  const refused = new Map<number, SignalError>();
  if (actor.kind === 'device') {
    for (const r of deviceKeyMayIngest(actor.key, raws)) refused.set(r.index, { code: 'FORBIDDEN_STATION', field: r.error.field, message: r.error.message });
    await s.limits.signalsPerDevice.consume(actor.key.keyId, Math.max(1, raws.length));
  } else if (actor.user.stationScope !== 'all') {
    const scope = new Set(actor.user.stationScope);
    raws.forEach((raw, index) => {
      const stationId = raw !== null && typeof raw === 'object' ? (raw as { stationId?: unknown }).stationId : undefined;
      if (typeof stationId === 'string' && !scope.has(stationId)) refused.set(index, { code: 'UNKNOWN_STATION', field: 'stationId', message: `station ${stationId.slice(0, 64)} is not registered` });
    });
  }
  if (refused.size === 0) return s.ingestion.ingest(raws, receivedAt);
  const allowed = raws.map((_, i) => i).filter((i) => !refused.has(i));
  const position = new Map(allowed.map((i, j) => [i, j]));
  const sub = allowed.length ? await s.ingestion.ingest(allowed.map((i) => raws[i]), receivedAt) : { accepted: 0, duplicates: 0, rejected: [], results: [] };
  const results: SignalOutcome[] = raws.map((raw, index) => {
    const error = refused.get(index);
    if (error) {
      const id = raw !== null && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : null;
      return { index, id, status: 'rejected', error };
    }
    return { ...sub.results[position.get(index)!], index };
  });
  const rejected = results.flatMap((r) => (r.status === 'rejected' ? [{ index: r.index, error: r.error }] : []));
  return { accepted: sub.accepted, duplicates: sub.duplicates, rejected, results };
}
