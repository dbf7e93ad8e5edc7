// A station's OCPP charge points: register (the password is in this answer only), list without
// secrets, remove (its connection closes at once). Charge points connect at /ocpp/<identity>.
import { Router } from 'express';
import Joi from 'joi';
import { CHARGE_POINT_IDENTITY, MAX_CONNECTORS, type ChargePointService } from '../services/access/index.js';
import type { AdminWorkflows } from '../services/admin/index.js';
import { AppError, validate } from '../services/platform/index.js';
import type { ApiOperation } from './apiSpec.js';

const identity = Joi.string().pattern(CHARGE_POINT_IDENTITY, 'OCPP identity: letters, digits, . _ -, up to 48');
const registerBody = Joi.object<{ identity: string; connectors: number }>({
  identity: identity.required(),
  connectors: Joi.number().integer().min(1).max(MAX_CONNECTORS).default(1),
}).required();
const identityParams = Joi.object({ identity: identity.required() });

// Admins only: routes/index.ts guards /api/stations/:id/charge-points as a whole.
export const chargePointsApi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/stations/{id}/charge-points',
    summary: 'Register an OCPP charge point; its HTTP Basic password is in this answer only',
    roles: ['admin'],
    body: registerBody,
    responses: {
      201: '{ chargePoint, password }',
      400: 'bad body',
      404: 'unknown station',
      409: 'identity taken, or no charger capacity left',
    },
  },
  {
    method: 'get',
    path: '/api/stations/{id}/charge-points',
    summary: "A station's charge points, without secrets, with what each said at its last BootNotification and whether it is connected",
    roles: ['admin'],
    responses: { 200: '{ items, nextCursor: null }' },
  },
  {
    method: 'delete',
    path: '/api/stations/{id}/charge-points/{identity}',
    summary: 'Remove a charge point: its connection closes at once',
    roles: ['admin'],
    params: identityParams,
    responses: { 204: 'removed', 400: 'bad identity', 404: 'the station has no such charge point' },
  },
];

export function chargePointsRouter(s: {
  chargePoints: Pick<ChargePointService, 'list'>;
  admin: Pick<AdminWorkflows, 'registerChargePoint' | 'removeChargePoint'>;
  /** Whether a charge point is connected to this instance right now (null: OCPP is off). */
  connected: ((identity: string) => boolean) | null;
}): Router {
  const r = Router();
  r.post('/stations/:id/charge-points', async (req, res) => {
    const body = validate<{ identity: string; connectors: number }>(registerBody, req.body, 'body');
    res.status(201).json(await s.admin.registerChargePoint(req.user?.email ?? 'unknown', req.params.id, body));
  });
  r.get('/stations/:id/charge-points', async (req, res) => {
    const items = (await s.chargePoints.list(req.params.id)).map((c) => ({ ...c, connected: s.connected?.(c.identity) ?? false }));
    res.json({ items, nextCursor: null });
  });
  r.delete('/stations/:id/charge-points/:identity', async (req, res) => {
    const { identity: id } = validate<{ identity: string }>(identityParams, { identity: req.params.identity }, 'params');
    if (!(await s.admin.removeChargePoint(req.user?.email ?? 'unknown', req.params.id, id)))
      throw new AppError(404, 'UNKNOWN_CHARGE_POINT', `station ${req.params.id} has no charge point ${id}`, [{ field: 'identity' }]);
    res.status(204).end();
  });
  return r;
}
