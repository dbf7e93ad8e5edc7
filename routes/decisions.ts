import { Router } from 'express';
import Joi from 'joi';
import type { Services } from '../services/index.js';
import type { DecisionFilter } from '../services/decisionQuery.js';
import { AppError } from '../services/errors.js';
import { validate } from '../middlewares/validate.js';
import { AGENT_NAMES } from '../services/agentRegistry.js';

const iso = Joi.string().isoDate();
const listQuery = Joi.object({
  stationId: Joi.string().max(64),
  agent: Joi.string().valid(...AGENT_NAMES),
  action: Joi.string().pattern(/^[a-z_]+$/).max(64),
  status: Joi.string().valid('executed', 'pending_approval', 'approved', 'rejected'),
  since: iso,
  until: iso,
  cursor: Joi.string().max(500),
  limit: Joi.number().integer().min(1).max(200).default(50),
});

const answerBody = Joi.object({ note: Joi.string().trim().max(500).allow('') }).unknown(false);

export function decisionsRouter(s: Services): Router {
  const r = Router();
  for (const [path, outcome] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
    r.post(`/decisions/:id/${path}`, async (req, res) => {
      const { note } = validate<{ note?: string }>(answerBody, req.body ?? {}, 'body');
      // Until access control lands the operator is not known; the record says so.
      res.json(await s.approvals.answer(req.params.id, outcome, 'unauthenticated', note ? note : null));
    });
  }
  r.get('/decisions', async (req, res) => {
    const f = validate<DecisionFilter>(listQuery, req.query, 'query');
    // Stored times are normalised ISO strings, so compare in that form.
    if (f.since) f.since = new Date(f.since).toISOString();
    if (f.until) f.until = new Date(f.until).toISOString();
    res.json(await s.decisions.list(f));
  });
  r.get('/decisions/:id', async (req, res) => {
    const rec = await s.decisions.get(req.params.id);
    if (!rec) throw new AppError(404, 'UNKNOWN_DECISION', `decision ${req.params.id} does not exist`, [{ field: 'id' }]);
    res.json(rec);
  });
  return r;
}
