import { Router } from 'express';
import Joi from 'joi';
import type { ApprovalService, DecisionFilter, DecisionQuery } from '../services/pipeline/index.js';
import type { PublicUser } from '../services/access/index.js';
import { AppError } from '../services/platform/index.js';
import { validate } from '../services/platform/index.js';
import { AGENT_NAMES, DECISION_STATUSES } from '../eventBus/types.js';
import { requireRole } from '../middlewares/auth.js';
import { inScope } from '../services/access/index.js';
import { pageOf, schemaRef, type ApiOperation } from './apiSpec.js';

const iso = Joi.string().isoDate();
const listQuery = Joi.object({
  stationId: Joi.string().max(64),
  agent: Joi.string().valid(...AGENT_NAMES),
  action: Joi.string()
    .pattern(/^[a-z_]+$/)
    .max(64),
  status: Joi.string().valid(...DECISION_STATUSES),
  since: iso,
  until: iso,
  cursor: Joi.string().max(500),
  limit: Joi.number().integer().min(1).max(200).default(50),
});

// The id names the component in the OpenAPI document (no effect on validation).
const answerBody = Joi.object({ note: Joi.string().trim().max(500).allow('') })
  .unknown(false)
  .id('DecisionAnswer');

const answered = { 400: 'bad body', 404: 'unknown decision', 409: 'not pending_approval, or already answered' };
export const decisionsApi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/decisions/{id}/approve',
    summary:
      "Approve a pending_approval decision; the approval is its own record, bound to the decision hash and anchored as its own leaf. The answer goes into the station's signal log as an operator_answer signal (so a replay remakes the plan): the waiting actions are put in force",
    roles: ['operator'],
    body: answerBody,
    bodyRequired: false,
    responses: { 200: 'the approval record', ...answered },
  },
  {
    method: 'post',
    path: '/api/decisions/{id}/reject',
    summary:
      'Reject a pending_approval decision (recorded, anchored and logged as an operator_answer signal like an approval): the waiting actions leave the plan and their kind is held back for declineHoldS',
    roles: ['operator'],
    body: answerBody,
    bodyRequired: false,
    responses: { 200: 'the rejection record', ...answered },
  },
  {
    method: 'get',
    path: '/api/decisions',
    summary: 'Decisions, newest first',
    roles: ['operator', 'auditor'],
    query: listQuery,
    responses: { 200: { description: 'decisions', schema: pageOf(schemaRef('Decision')) }, 400: 'bad filter' },
  },
  {
    method: 'get',
    path: '/api/decisions/{id}',
    summary: 'One decision record',
    roles: ['operator', 'auditor'],
    responses: { 200: { description: 'record', schema: schemaRef('Decision') }, 404: 'unknown decision' },
  },
];

/** 404 for a decision that does not exist or lies outside the user's station scope (the same answer, so ids cannot be probed). */
export async function visibleDecision(s: { decisions: Pick<DecisionQuery, 'getDoc'> }, user: PublicUser, id: string): Promise<void> {
  const doc = await s.decisions.getDoc(id);
  if (!doc || !inScope(user, doc.stationId))
    throw new AppError(404, 'UNKNOWN_DECISION', `decision ${id} does not exist`, [{ field: 'id' }]);
}

export function decisionsRouter(s: { decisions: DecisionQuery; approvals: Pick<ApprovalService, 'answer'> }): Router {
  const r = Router();
  for (const [path, outcome] of [
    ['approve', 'approved'],
    ['reject', 'rejected'],
  ] as const) {
    r.post(`/decisions/:id/${path}`, requireRole('operator'), async (req, res) => {
      const { note } = validate<{ note?: string }>(answerBody, req.body ?? {}, 'body');
      await visibleDecision(s, req.user!, String(req.params.id));
      res.json(await s.approvals.answer(String(req.params.id), outcome, req.user!.email, note ? note : null));
    });
  }
  r.get('/decisions', requireRole('operator', 'auditor'), async (req, res) => {
    const f = validate<DecisionFilter>(listQuery, req.query, 'query');
    const scope = req.user!.stationScope;
    if (scope !== 'all') {
      if (f.stationId && !scope.includes(f.stationId)) {
        res.json({ items: [], nextCursor: null });
        return;
      }
      f.stationIds = scope;
    }
    // Stored times are normalised ISO strings, so compare in that form.
    if (f.since) f.since = new Date(f.since).toISOString();
    if (f.until) f.until = new Date(f.until).toISOString();
    res.json(await s.decisions.list(f));
  });
  r.get('/decisions/:id', requireRole('operator', 'auditor'), async (req, res) => {
    await visibleDecision(s, req.user!, String(req.params.id));
    res.json(await s.decisions.get(String(req.params.id)));
  });
  return r;
}
