// Auditors' routes: proof documents, server-side verification, batches, the contract.
import { Router } from 'express';
import Joi from 'joi';
import type { AdminAuditService, AuditQuery } from '../services/audit/index.js';
import type { DecisionQuery } from '../services/pipeline/index.js';
import { AppError } from '../services/platform/index.js';
import { validate } from '../services/platform/index.js';
import { requireRole } from '../middlewares/auth.js';
import { visibleDecision } from './decisions.js';

const idParams = Joi.object({ id: Joi.string().min(1).max(200).required() });
const batchQuery = Joi.object({
  status: Joi.string().valid('queued', 'anchored', 'failed'),
  before: Joi.number().integer().min(1),
  limit: Joi.number().integer().min(1).max(200).default(50),
});

export function auditRouter(s: { audit: AuditQuery; adminAudit: Pick<AdminAuditService, 'list'>; decisions: Pick<DecisionQuery, 'getDoc'> }): Router {
  const r = Router();
  r.get('/audit/decisions/:id/proof', requireRole('auditor'), async (req, res) => {
    const { id } = validate<{ id: string }>(idParams, req.params, 'params');
    await visibleDecision(s, req.user!, id);
    try {
      res.json(await s.audit.proof(id));
    } catch (err) {
      if (err instanceof AppError && err.code === 'ANCHOR_PENDING') res.set('Retry-After', String(s.audit.retryAfter));
      throw err;
    }
  });
  r.get('/audit/decisions/:id/verify', requireRole('auditor'), async (req, res) => {
    const { id } = validate<{ id: string }>(idParams, req.params, 'params');
    await visibleDecision(s, req.user!, id);
    res.json(await s.audit.verify(id));
  });
  r.get('/audit/batches', requireRole('auditor'), async (req, res) => {
    res.json(await s.audit.batches(validate(batchQuery, req.query, 'query')));
  });
  r.get('/audit/admin-actions', requireRole('auditor'), async (req, res) => {
    const { limit } = validate<{ limit: number }>(Joi.object({ limit: Joi.number().integer().min(1).max(200).default(50) }), req.query, 'query');
    res.json({ items: await s.adminAudit.list(limit), nextCursor: null });
  });
  r.get('/audit/contract', requireRole('auditor'), (_req, res) => {
    res.json(s.audit.contract());
  });
  return r;
}
