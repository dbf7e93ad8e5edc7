// A station's device keys: issue or rotate (the key is in this answer only), list without secrets, revoke.
import { Router } from 'express';
import Joi from 'joi';
import { KEY_ID_PATTERN, type DeviceKeyService } from '../services/access/index.js';
import type { AdminWorkflows } from '../services/admin/index.js';
import { AppError } from '../services/platform/index.js';
import { validate } from '../services/platform/index.js';

// Rotating is the default: the usual reason to ask for a key is that the old one must stop working.
// `rotate: false` adds a key beside the live ones, for a rollout where old and new firmware overlap.
const issueBody = Joi.object<{ rotate: boolean }>({ rotate: Joi.boolean().default(true) }).default({ rotate: true });
const keyIdParam = Joi.string().pattern(KEY_ID_PATTERN, 'dk_ followed by 12 hex digits').required();

export function deviceKeysRouter(s: { deviceKeys: Pick<DeviceKeyService, 'list' | 'exists'>; admin: Pick<AdminWorkflows, 'issueDeviceKey' | 'revokeDeviceKey'> }): Router {
  const r = Router();
  r.post('/stations/:id/device-keys', async (req, res) => {
    const body = validate<{ rotate: boolean }>(issueBody, req.body, 'body');
    const issued = await s.admin.issueDeviceKey(req.user?.email ?? 'unknown', req.params.id, body.rotate);
    res.status(201).json(issued);
  });
  r.get('/stations/:id/device-keys', async (req, res) => {
    res.json({ items: await s.deviceKeys.list(req.params.id), nextCursor: null });
  });
  r.delete('/stations/:id/device-keys/:keyId', async (req, res) => {
    const { keyId } = validate<{ keyId: string }>(Joi.object({ keyId: keyIdParam }), { keyId: req.params.keyId }, 'params');
    const revoked = await s.admin.revokeDeviceKey(req.user?.email ?? 'unknown', req.params.id, keyId);
    // Revoking a revoked key is done already (204); a key the station never had is a 404.
    if (revoked === 0 && !(await s.deviceKeys.exists(req.params.id, keyId))) {
      throw new AppError(404, 'UNKNOWN_DEVICE_KEY', `station ${req.params.id} has no device key ${keyId}`, [{ field: 'keyId' }]);
    }
    res.status(204).end();
  });
  return r;
}
