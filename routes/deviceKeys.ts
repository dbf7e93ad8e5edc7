// A station's device keys: issue or rotate (the key is in this answer only), list without secrets, revoke.
import { Router } from 'express';
import Joi from 'joi';
import { KEY_ID_PATTERN, type DeviceKeyService } from '../services/access/index.js';
import type { AdminWorkflows } from '../services/admin/index.js';
import { AppError } from '../services/platform/index.js';
import { validate } from '../services/platform/index.js';
import type { ApiOperation } from './apiSpec.js';

// Rotating is the default: the usual reason to ask for a key is that the old one must stop working.
// `rotate: false` adds a key beside the live ones, for a rollout where old and new firmware overlap.
const issueBody = Joi.object<{ rotate: boolean }>({ rotate: Joi.boolean().default(true) }).default({ rotate: true });
const keyIdParam = Joi.string().pattern(KEY_ID_PATTERN, 'dk_ followed by 12 hex digits').required();
const keyParams = Joi.object({ keyId: keyIdParam });

// Admins only: server.ts guards /api/stations/:id/device-keys as a whole.
export const deviceKeysApi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/stations/{id}/device-keys',
    summary: 'Issue a device key (rotating by default: the live keys stop working); the key is in this answer only',
    roles: ['admin'],
    body: issueBody,
    bodyRequired: false,
    responses: { 201: 'the key and its keyId', 400: 'bad body', 404: 'unknown station', 409: 'too many live keys' },
  },
  {
    method: 'get',
    path: '/api/stations/{id}/device-keys',
    summary: "A station's device keys, without secrets",
    roles: ['admin'],
    responses: { 200: '{ items, nextCursor: null }' },
  },
  {
    method: 'delete',
    path: '/api/stations/{id}/device-keys/{keyId}',
    summary: 'Revoke a device key (revoking a revoked key is done already)',
    roles: ['admin'],
    params: keyParams,
    responses: { 204: 'revoked', 400: 'bad keyId', 404: 'the station has no such key' },
  },
];

export function deviceKeysRouter(s: {
  deviceKeys: Pick<DeviceKeyService, 'list' | 'exists'>;
  admin: Pick<AdminWorkflows, 'issueDeviceKey' | 'revokeDeviceKey'>;
}): Router {
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
    const { keyId } = validate<{ keyId: string }>(keyParams, { keyId: req.params.keyId }, 'params');
    const revoked = await s.admin.revokeDeviceKey(req.user?.email ?? 'unknown', req.params.id, keyId);
    // Revoking a revoked key is done already (204); a key the station never had is a 404.
    if (revoked === 0 && !(await s.deviceKeys.exists(req.params.id, keyId))) {
      throw new AppError(404, 'UNKNOWN_DEVICE_KEY', `station ${req.params.id} has no device key ${keyId}`, [{ field: 'keyId' }]);
    }
    res.status(204).end();
  });
  return r;
}
