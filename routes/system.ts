// Liveness, readiness, metrics and the agents' status.
import { Router } from 'express';
import type { Services } from '../services/index.js';
import { requireRole } from '../middlewares/auth.js';

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
  return r;
}

export function metricsRouter(s: Services): Router {
  const r = Router();
  r.get('/metrics', async (_req, res) => {
    res.type(s.metrics.registry.contentType).send(await s.metrics.registry.metrics());
  });
  return r;
}
