// POST /api/data/signals: one signal or { signals: [...] } (at most 1000).
import { Router } from 'express';
import Joi from 'joi';
import type { SignalGate } from '../services/access/index.js';
import { AppError, rejectProtoKeys } from '../services/platform/index.js';
import { MAX_BATCH_SIGNALS, PAYLOAD_SCHEMAS, SIGNAL_ENVELOPE, SIGNAL_TYPES } from '../services/pipeline/index.js';
import { schemaRef, type ApiOperation } from './apiSpec.js';

// For the OpenAPI document only. The handler checks the body's shape itself (for its own messages and the 413),
// then each signal goes through checkSignal: the envelope, then the payload schema its type names. This is
// the same thing written as one schema, from those very Joi constants.
const signalSchema = Joi.alternatives()
  .match('one')
  .try(
    ...SIGNAL_TYPES.map((type) =>
      SIGNAL_ENVELOPE.keys({ type: Joi.string().valid(type).required(), payload: PAYLOAD_SCHEMAS[type].required() }),
    ),
  )
  .id('Signal');
const signalsBody = Joi.alternatives()
  .match('one')
  .try(signalSchema, Joi.object({ signals: Joi.array().items(signalSchema).min(1).max(MAX_BATCH_SIGNALS).required() }));

export const dataApi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/data/signals',
    summary: `Ingest one signal or a batch of at most ${MAX_BATCH_SIGNALS} (body at most 1 MB)`,
    roles: ['operator'],
    deviceKey: true,
    body: signalsBody,
    responses: {
      202: { description: 'stored (at least one signal accepted or duplicate)', schema: schemaRef('IngestResult') },
      400: 'nothing taken: bad input',
      401: 'no or a bad device key or access token',
      403: "not an operator, or nothing taken: stations outside the key's or the user's scope",
      404: 'nothing taken: unknown station',
      413: 'too many signals or too large',
      415: 'not JSON',
    },
  },
];

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
      if (list.length === 0)
        throw new AppError(400, 'VALIDATION_FAILED', '"signals" must contain at least 1 signal', [{ field: 'signals' }]);
      if (list.length > MAX_BATCH_SIGNALS) {
        throw new AppError(413, 'BATCH_TOO_LARGE', `"signals" holds ${list.length} signals; the limit is ${MAX_BATCH_SIGNALS}`, [
          { field: 'signals' },
        ]);
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
      ? new AppError(
          status,
          allForbidden ? 'FORBIDDEN_STATION' : allUnknown ? 'UNKNOWN_STATION' : 'VALIDATION_FAILED',
          `all ${raws.length} signals were rejected`,
          result.rejected.map((r) => ({ index: r.index, field: r.error.field, message: r.error.message })),
        )
      : new AppError(status, first.code, first.message, [{ field: first.field, message: first.message }]);
    res.status(err.status).json({ ...err.toBody(), ...result });
  });
  return r;
}
