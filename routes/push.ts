// Web push for signed-in users: the VAPID public key, and their own browser subscriptions.
import { Router } from 'express';
import Joi from 'joi';
import { requireRole } from '../middlewares/auth.js';
import { rejectProtoKeys } from '../services/platform/index.js';
import { AppError } from '../services/platform/index.js';
import { endpointSchema, subscriptionSchema, type PushService } from '../services/notify/index.js';
import { SIGNED_IN, type ApiOperation } from './apiSpec.js';

export const pushApi: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/push/public-key',
    summary: 'The VAPID public key browsers pass to pushManager.subscribe',
    roles: SIGNED_IN,
    responses: { 200: '{ publicKey }' },
  },
  {
    method: 'post',
    path: '/api/push/subscriptions',
    summary: "Store a browser's push subscription for the signed-in user",
    roles: SIGNED_IN,
    // PushService.subscribe validates with this schema.
    body: subscriptionSchema,
    responses: { 201: '{ endpoint }', 400: 'bad subscription' },
  },
  {
    method: 'delete',
    path: '/api/push/subscriptions',
    summary: "Remove one of the signed-in user's push subscriptions",
    roles: SIGNED_IN,
    // The handler requires "endpoint"; PushService.unsubscribe validates it with endpointSchema.
    body: Joi.object({ endpoint: endpointSchema }).unknown(true),
    responses: { 204: 'removed', 400: 'bad endpoint', 404: 'no such subscription of yours' },
  },
];

export function pushRouter(s: { push: PushService }): Router {
  const r = Router();
  const signedIn = requireRole('admin', 'operator', 'auditor');
  r.get('/push/public-key', signedIn, (_req, res) => {
    res.json({ publicKey: s.push.publicKey() });
  });
  r.post('/push/subscriptions', signedIn, async (req, res) => {
    rejectProtoKeys(req.body);
    const sub = await s.push.subscribe(req.user!.id, req.body);
    res.status(201).json({ endpoint: sub.endpoint });
  });
  r.delete('/push/subscriptions', signedIn, async (req, res) => {
    rejectProtoKeys(req.body);
    const body: unknown = req.body;
    if (body === null || typeof body !== 'object' || !('endpoint' in body)) {
      throw new AppError(400, 'VALIDATION_FAILED', '"endpoint" is required', [{ field: 'endpoint', message: '"endpoint" is required' }]);
    }
    // Someone else's endpoint is answered like an unknown one: endpoints are not for probing.
    if (!(await s.push.unsubscribe(req.user!.id, body.endpoint))) {
      throw new AppError(404, 'UNKNOWN_SUBSCRIPTION', 'you have no push subscription with that endpoint', [{ field: 'endpoint' }]);
    }
    res.status(204).end();
  });
  return r;
}
