// Liveness, readiness, metrics and the agents' status.
import { Router } from 'express';
import type { Services } from '../services/index.js';
import Joi from 'joi';
import { requireRole } from '../middlewares/auth.js';
import { validate } from '../middlewares/validate.js';
import { AppError } from '../services/platform/index.js';
import { AGENT_NAMES } from '../eventBus/types.js';
import type { AgentName } from '../eventBus/types.js';

const agentPatch = Joi.object({ enabled: Joi.boolean(), thresholds: Joi.object().unknown(true) }).min(1);

export function systemRouter(s: Services): Router {
  const r = Router();
  r.get('/health', async (_req, res) => {
    const h = await s.health.report();
    res.json({ status: h.ready ? 'ok' : 'degraded', uptimeS: h.uptimeS, parts: h.parts });
  });
  r.get('/ready', async (_req, res) => {
    const h = await s.health.report();
    res.status(h.ready ? 200 : 503).json({ ready: h.ready, parts: h.parts });
  });
  r.get('/agents', requireRole('operator'), (_req, res) => {
    res.json({ items: s.agents.describe(), policy: s.agents.policy, nextCursor: null });
  });
  // Changing how agents decide is an admin's, audited and anchored; it applies to the next signals.
  r.patch('/agents/:name', requireRole('admin'), async (req, res) => {
    const name = String(req.params.name) as AgentName;
    if (!AGENT_NAMES.includes(name)) throw new AppError(404, 'UNKNOWN_AGENT', `there is no agent ${name}; agents are ${AGENT_NAMES.join(', ')}`, [{ field: 'name' }]);
    const change = validate<{ enabled?: boolean; thresholds?: Record<string, unknown> }>(agentPatch, req.body, 'body');
    s.agents.update(name, change);
    await s.agents.save(s.models.AgentSetting, name, change.thresholds ?? {});
    await s.adminAudit.record(req.user!.email, 'agent.update', name, change);
    res.json(s.agents.describe().find((a) => a.name === name));
  });
  return r;
}

export function metricsRouter(s: Services): Router {
  const r = Router();
  r.get('/metrics', async (_req, res) => {
    res.type(s.metrics.registry.contentType).send(await s.metrics.registry.metrics());
  });
  return r;
}
