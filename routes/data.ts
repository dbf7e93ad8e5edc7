// POST /api/data/signals: one signal or { signals: [...] } (at most 1000).
import { Router } from 'express';
import type { SignalGate } from '../services/access/index.js';
import { AppError, rejectProtoKeys } from '../services/platform/index.js';
import { MAX_BATCH_SIGNALS } from '../services/pipeline/index.js';

export function dataRouter(gate: SignalGate): Router {
  const r = Router();
  r.post('/data/signals', async (req, res) => {
    const receivedAt = performance.now();
    const actor = await gate.resolve(req.headers['x-device-key'], req.user);
    const body: unknown = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new AppError(400, 'VALIDATION_FAILED', 'body must be a signal object or { signals: [...] }', [{ field: 'body' }]);
    }
    rejectProtoKeys(body);
    const isBatch = Object.prototype.hasOwnProperty.call(body, 'signals');
    let raws: unknown[];
    if (isBatch) {
      const list = (body as { signals: unknown }).signals;
      if (!Array.isArray(list)) throw new AppError(400, 'VALIDATION_FAILED', '"signals" must be an array', [{ field: 'signals' }]);
      if (list.length === 0) throw new AppError(400, 'VALIDATION_FAILED', '"signals" must contain at least 1 signal', [{ field: 'signals' }]);
      if (list.length > MAX_BATCH_SIGNALS) {
        throw new AppError(413, 'BATCH_TOO_LARGE', `"signals" holds ${list.length} signals; the limit is ${MAX_BATCH_SIGNALS}`, [{ field: 'signals' }]);
      }
      raws = list;
    } else raws = [body];

    const result = await gate.ingest(actor, raws, receivedAt);
    const ok = result.accepted + result.duplicates;
    if (ok > 0) {
      res.status(202).json(result);
      return;
    }
    // Nothing taken: a plain error status, with the per-signal answers alongside.
    const allUnknown = result.rejected.every((r) => r.error.code === 'UNKNOWN_STATION');
    const allForbidden = result.rejected.every((r) => r.error.code === 'FORBIDDEN_STATION');
    const first = result.rejected[0].error;
    const status = allForbidden ? 403 : allUnknown ? 404 : 400;
    const err = isBatch
      ? new AppError(status, allForbidden ? 'FORBIDDEN_STATION' : allUnknown ? 'UNKNOWN_STATION' : 'VALIDATION_FAILED', `all ${raws.length} signals were rejected`, result.rejected.map((r) => ({ index: r.index, field: r.error.field, message: r.error.message })))
      : new AppError(status, first.code, first.message, [{ field: first.field, message: first.message }]);
    res.status(err.status).json({ ...err.toBody(), ...result });
  });
  return r;
}
