import { Router } from 'express';
import Joi from 'joi';
import type { StationCapacity, StationRegistration } from '../eventBus/types.js';
import type { AdminWorkflows } from '../services/admin/index.js';
import { AppError, validate } from '../services/platform/index.js';
import { planView, stationSummary, type DeviceExecution, type PlanReleaseService, type StationStore } from '../services/pipeline/index.js';
import { requireRole } from '../middlewares/auth.js';
import { inScope } from '../services/access/index.js';
import { pageOf, schemaRef, type ApiOperation } from './apiSpec.js';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

const capacityFields = {
  bays: Joi.number().integer().min(0).max(1000),
  chargers: Joi.number().integer().min(0).max(10_000),
  batterySlots: Joi.number().integer().min(0).max(100_000),
};

const registrationSchema = Joi.object<StationRegistration>({
  id: Joi.string().pattern(idPattern, 'id characters').max(64).required(),
  name: Joi.string().trim().min(1).max(200).required(),
  location: Joi.object({ lat: Joi.number().min(-90).max(90).required(), lng: Joi.number().min(-180).max(180).required() }).required(),
  capacity: Joi.object({
    bays: capacityFields.bays.required(),
    chargers: capacityFields.chargers.required(),
    batterySlots: capacityFields.batterySlots.required(),
  }).required(),
})
  // The component's name in the OpenAPI document (no effect on validation).
  .id('StationRegistration');

const changeSchema = Joi.object({
  capacity: Joi.object(capacityFields)
    .min(1)
    .unknown(false)
    .required()
    .description('the fields to change; each at least what the station holds (its chargers, its packs, its open bays)'),
})
  .unknown(false)
  .id('StationChange');

const listQuery = Joi.object({ limit: Joi.number().integer().min(1).max(1000).default(200), cursor: Joi.string().max(200) });

const releaseBody = Joi.object({
  actionId: Joi.string().min(1).max(140).required().description('the plan action to end, `<action>:<target>`'),
  note: Joi.string().max(500).allow(''),
})
  .unknown(false)
  .id('PlanRelease');

export const stationsApi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/stations',
    summary: 'Register a station',
    roles: ['admin'],
    body: registrationSchema,
    responses: { 201: 'registered', 400: 'bad input', 409: 'id exists' },
  },
  {
    method: 'get',
    path: '/api/stations',
    summary: 'List stations',
    roles: ['operator', 'auditor'],
    query: listQuery,
    responses: { 200: { description: 'stations', schema: pageOf({ type: 'object' }) }, 400: 'bad input' },
  },
  {
    method: 'get',
    path: '/api/stations/{id}',
    summary: 'Folded station state',
    roles: ['operator', 'auditor'],
    responses: { 200: 'state', 404: 'unknown station' },
  },
  {
    method: 'patch',
    path: '/api/stations/{id}',
    summary: "Change a station's capacity (bays, chargers, batterySlots), e.g. before a new charger reports: audited and anchored",
    roles: ['admin'],
    body: changeSchema,
    responses: {
      200: 'the station, with its new capacity',
      400: 'bad input (the field named)',
      404: 'unknown station',
      409: 'CAPACITY_BELOW_HELD: below the chargers, packs or open bays the station holds (the field named)',
    },
  },
  {
    method: 'get',
    path: '/api/stations/{id}/plan',
    summary: 'The actions in force at the station (its plan), with the policy version that made them',
    roles: ['operator', 'auditor'],
    responses: { 200: { description: 'the plan', schema: schemaRef('StationPlan') }, 404: 'unknown station' },
  },
  {
    method: 'post',
    path: '/api/stations/{id}/plan/release',
    summary:
      'Return an isolated charger to service (with its level-3 ticket), close a level-3 ticket or release a quarantined pack: an executed decision',
    roles: ['operator'],
    body: releaseBody,
    responses: {
      200: {
        description: 'the decision that stopped the action(s)',
        schema: { type: 'object', required: ['decision'], properties: { decision: schemaRef('Decision') } },
      },
      400: 'bad body',
      404: 'unknown station',
      409: 'NOT_IN_PLAN (the action is not in the plan) or NOT_OPERATOR_RELEASABLE (it ends by itself)',
    },
  },
];

export function stationsRouter(s: {
  stations: Pick<StationStore, 'list' | 'get' | 'current' | 'predictedWait' | 'registeredAtOf'>;
  admin: Pick<AdminWorkflows, 'registerStation' | 'changeCapacity'>;
  /** Hash of the thresholds and policy in force. */
  policyVersion: () => string;
  releases: Pick<PlanReleaseService, 'release'>;
  /** Who carries plans out and what became of a device action's last command; null: decisions are recorded only. */
  actuation: { actuatorOf(stationId: string): string | null; executionOf: DeviceExecution } | null;
}): Router {
  const r = Router();
  r.post('/stations', requireRole('admin'), async (req, res) => {
    const reg = validate<StationRegistration>(registrationSchema, req.body, 'body');
    // The station's device key is shown here only; it is stored hashed.
    const { state, deviceKey } = await s.admin.registerStation(req.user!.email, reg);
    res.status(201).json({ station: stationSummary(state, s.stations.predictedWait(state)), deviceKey });
  });
  r.patch('/stations/:id', requireRole('admin'), async (req, res) => {
    const body = validate<{ capacity: Partial<StationCapacity> }>(changeSchema, req.body ?? {}, 'body');
    const id = String(req.params.id);
    if (!inScope(req.user!, id) || !s.stations.get(id))
      throw new AppError(404, 'UNKNOWN_STATION', `station ${req.params.id} is not registered`, [{ field: 'id' }]);
    const state = await s.admin.changeCapacity(req.user!.email, id, body.capacity);
    res.json({ station: stationSummary(state, s.stations.predictedWait(state)) });
  });
  r.get('/stations', requireRole('operator', 'auditor'), async (req, res) => {
    const q = validate<{ limit: number; cursor?: string }>(listQuery, req.query, 'query');
    const all = s.stations.list().filter((x) => inScope(req.user!, x.id));
    const start = q.cursor ? all.findIndex((x) => x.id > q.cursor!) : 0;
    const slice = start < 0 ? [] : all.slice(start, start + q.limit);
    const more = start >= 0 && start + q.limit < all.length;
    const live = await s.stations.current(slice.map((x) => x.id));
    const page = slice.map((x) => live.get(x.id) ?? x);
    res.json({
      items: page.map((x) => ({
        ...stationSummary(x, s.stations.predictedWait(x)),
        registeredAt: s.stations.registeredAtOf(x.id) ?? null,
      })),
      nextCursor: more ? page[page.length - 1].id : null,
    });
  });
  r.get('/stations/:id/plan', requireRole('operator', 'auditor'), async (req, res) => {
    const id = String(req.params.id);
    const state = inScope(req.user!, id) ? (await s.stations.current([id])).get(id) : undefined;
    if (!state) throw new AppError(404, 'UNKNOWN_STATION', `station ${req.params.id} is not registered`, [{ field: 'id' }]);
    res.json({
      stationId: state.id,
      policyVersion: s.policyVersion(),
      actuator: s.actuation?.actuatorOf(state.id) ?? null,
      actions: planView(state, s.actuation?.executionOf ?? null),
      changedAt: state.plan.changedAt,
    });
  });
  r.post('/stations/:id/plan/release', requireRole('operator'), async (req, res) => {
    const body = validate<{ actionId: string; note?: string }>(releaseBody, req.body ?? {}, 'body');
    const id = String(req.params.id);
    if (!inScope(req.user!, id) || !s.stations.get(id))
      throw new AppError(404, 'UNKNOWN_STATION', `station ${req.params.id} is not registered`, [{ field: 'id' }]);
    // `by` as approvals record it: the operator's email.
    const decision = await s.releases.release(id, body.actionId, req.user!.email, body.note ? body.note : null);
    res.json({ decision });
  });
  r.get('/stations/:id', requireRole('operator', 'auditor'), async (req, res) => {
    const id = String(req.params.id);
    const state = inScope(req.user!, id) ? (await s.stations.current([id])).get(id) : undefined;
    if (!state) throw new AppError(404, 'UNKNOWN_STATION', `station ${req.params.id} is not registered`, [{ field: 'id' }]);
    res.json({ ...state, predictedWaitMin: Math.round(s.stations.predictedWait(state) * 10) / 10 });
  });
  return r;
}
