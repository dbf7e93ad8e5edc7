// The /ingest namespace: stations stream signals with an ack per signal (or per batch).
import type { Namespace } from 'socket.io';
import type { Identity, IngestActor, SignalGate } from '../services/access/index.js';
import { MAX_BATCH_SIGNALS } from '../services/pipeline/index.js';
import { AppError, protoKeyRefusal } from '../services/platform/index.js';
import { requireIngestActor } from './auth.js';
import { guardSessions, type SocketQuota } from './session.js';

type Ack = (answer: unknown) => void;

function ackOf(fn: unknown): Ack {
  return typeof fn === 'function' ? (fn as Ack) : () => undefined;
}

export interface IngestDeps {
  identity: Identity;
  gate: SignalGate;
  onError(err: unknown): void;
  quota: SocketQuota;
}

/** Events per socket and second (a `signals` batch is one); the device key's signal limit applies besides. */
const INGEST_EVENTS_PER_S = 2000;

export function attachIngest(ns: Namespace, { identity, gate, onError, quota }: IngestDeps): void {
  ns.use(requireIngestActor(identity, gate));
  guardSessions(ns, identity, { quota: quota, eventsPerS: INGEST_EVENTS_PER_S });
  ns.on('connection', (socket) => {
    const actor = socket.data.actor as IngestActor;
    const failed = (ack: Ack, err: unknown, what: string) => {
      if (err instanceof AppError) ack({ ok: false, error: err.toBody().error });
      else {
        onError(err);
        ack({ ok: false, error: { code: 'INTERNAL', message: `${what} not stored; retry` } });
      }
    };
    socket.on('signal', (payload: unknown, cb: unknown) => {
      const ack = ackOf(cb);
      const refused = protoKeyRefusal(payload);
      if (refused) return ack(refused);
      const receivedAt = performance.now();
      gate
        .ingest(actor, [payload], receivedAt)
        .then((r) => {
          const one = r.results[0];
          if (one.status === 'rejected')
            ack({ ok: false, error: { code: one.error.code, message: one.error.message, details: [{ field: one.error.field }] } });
          else ack({ ok: true, id: one.id, duplicate: one.status === 'duplicate' });
        })
        .catch((err: unknown) => failed(ack, err, 'signal'));
    });
    socket.on('signals', (payload: unknown, cb: unknown) => {
      const ack = ackOf(cb);
      const refused = protoKeyRefusal(payload);
      if (refused) return ack(refused);
      const list = (payload as { signals?: unknown } | null)?.signals;
      if (!Array.isArray(list) || list.length === 0) {
        ack({
          ok: false,
          error: { code: 'VALIDATION_FAILED', message: '"signals" must be a non-empty array', details: [{ field: 'signals' }] },
        });
        return;
      }
      if (list.length > MAX_BATCH_SIGNALS) {
        ack({
          ok: false,
          error: {
            code: 'BATCH_TOO_LARGE',
            message: `"signals" holds ${list.length} signals; the limit is ${MAX_BATCH_SIGNALS}`,
            details: [{ field: 'signals' }],
          },
        });
        return;
      }
      gate
        .ingest(actor, list, performance.now())
        .then((r) => ack({ ok: true, ...r }))
        .catch((err: unknown) => failed(ack, err, 'signals'));
    });
  });
}
