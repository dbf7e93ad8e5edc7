// Liveness, readiness, metrics and the agents' status.
import { Router, type Request } from 'express';
import Joi from 'joi';
import type { AdminWorkflows } from '../services/admin/index.js';
import type { AgentRegistry } from '../services/pipeline/index.js';
import type { HealthService, Metrics, PartReport } from '../services/platform/index.js';
import { requireRole } from '../middlewares/auth.js';
import { validate } from '../services/platform/index.js';
import { AppError } from '../services/platform/index.js';
import { AGENT_NAMES } from '../eventBus/types.js';
import type { AgentName } from '../eventBus/types.js';
import type { ApiOperation } from './apiSpec.js';

const agentPatch = Joi.object({ enabled: Joi.boolean(), thresholds: Joi.object().unknown(true) }).min(1);

export const systemApi: ApiOperation[] = [
  { method: 'get', path: '/api/health', summary: "Each part's state", responses: { 200: 'parts' } },
  { method: 'get', path: '/api/ready', summary: 'Readiness', responses: { 200: 'ready', 503: 'database or cache down' } },
  {
    method: 'get',
    path: '/api/agents',
    summary: 'Agents, counters, thresholds, policy (auditors read them to replay decisions and check their policy version)',
    roles: ['operator', 'auditor'],
    responses: { 200: 'agents' },
  },
  {
    method: 'patch',
    path: '/api/agents/{name}',
    summary:
      'Enable or disable an agent or change its thresholds (audited and anchored; applies to the next signals, kept across restarts)',
    roles: ['admin'],
    body: agentPatch,
    responses: { 200: 'the agent as GET /api/agents describes it', 400: 'bad body', 404: 'unknown agent' },
  },
];

export const metricsApi: ApiOperation[] = [
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', responses: { 200: 'text/plain exposition format' } },
];

export function systemRouter(s: {
  health: Pick<HealthService, 'report'>;
  agents: Pick<AgentRegistry, 'describe' | 'policy'>;
  admin: Pick<AdminWorkflows, 'updateAgent'>;
}): Router {
  const r = Router();
  // Anyone may ask (load balancers, probes); only a signed-in user reads the details, which can name
  // hosts, addresses and error messages.
  const shown = (req: Request, parts: Record<string, PartReport>) =>
    req.user ? parts : Object.fromEntries(Object.entries(parts).map(([name, p]) => [name, { state: p.state }]));
  r.get('/health', async (req, res) => {
    const h = await s.health.report();
    res.json({ status: h.ready ? 'ok' : 'degraded', uptimeS: h.uptimeS, parts: shown(req, h.parts) });
  });
  r.get('/ready', async (req, res) => {
    const h = await s.health.report();
    res.status(h.ready ? 200 : 503).json({ ready: h.ready, parts: shown(req, h.parts) });
  });
  r.get('/agents', requireRole('operator', 'auditor'), (_req, res) => {
    res.json({ items: s.agents.describe(), policy: s.agents.policy, nextCursor: null });
  });
  // Changing how agents decide is an admin's, audited and anchored; it applies to the next signals.
  r.patch('/agents/:name', requireRole('admin'), async (req, res) => {
    const name = String(req.params.name) as AgentName;
    if (!AGENT_NAMES.includes(name))
      throw new AppError(404, 'UNKNOWN_AGENT', `there is no agent ${name}; agents are ${AGENT_NAMES.join(', ')}`, [{ field: 'name' }]);
    const change = validate<{ enabled?: boolean; thresholds?: Record<string, unknown> }>(agentPatch, req.body, 'body');
    res.json(await s.admin.updateAgent(req.user!.email, name, change));
  });
  return r;
}

export function metricsRouter(metrics: Pick<Metrics, 'registry'>): Router {
  const r = Router();
  r.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return r;
}
