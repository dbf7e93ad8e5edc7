// Auditors' routes: proof documents, server-side verification, batches, the contract.
import { Router, type Request } from 'express';
import Joi from 'joi';
import type { AdminAuditService, AuditQuery } from '../services/audit/index.js';
import type { DecisionQuery, SignalLogQuery } from '../services/pipeline/index.js';
import { inScope } from '../services/access/index.js';
import { AppError } from '../services/platform/index.js';
import { validate } from '../services/platform/index.js';
import { requireRole } from '../middlewares/auth.js';
import { visibleDecision } from './decisions.js';
import type { ApiOperation } from './apiSpec.js';

const idParams = Joi.object({ id: Joi.string().min(1).max(200).required() });
const batchQuery = Joi.object({
  status: Joi.string().valid('queued', 'anchored', 'failed'),
  before: Joi.number().integer().min(1).description('batch ids below this one (the nextBefore of the previous page)'),
  limit: Joi.number().integer().min(1).max(200).default(50),
});
const adminActionsQuery = Joi.object({ limit: Joi.number().integer().min(1).max(200).default(50) });
const signalsQuery = Joi.object({
  stationId: Joi.string().max(64).description('only this station (default: every station in scope)'),
  after: Joi.string()
    .pattern(/^[0-9a-f]{24}$/)
    .description('the nextCursor of the previous page'),
  limit: Joi.number().integer().min(1).max(5000).default(1000),
});

export const auditApi: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/audit/decisions/{id}/proof',
    summary:
      'Proof document: the decision, its canonical JSON and hash, the Merkle leaf, proof and root (as MerkleProof.verify takes them), batch, transaction, block, chain and contract; the explanation leaf likewise. Check it with npm run verify.',
    roles: ['auditor'],
    params: idParams,
    responses: {
      200: 'proof document (see docs/verify.md)',
      400: 'bad id',
      404: 'unknown decision',
      409: 'the decision is waiting for its batch to close (Retry-After)',
    },
  },
  {
    method: 'get',
    path: '/api/audit/decisions/{id}/verify',
    summary: "The server's own check: recomputed hash, proof to root, root and leaf on chain, explanation leaf",
    roles: ['auditor'],
    params: idParams,
    responses: { 200: '{ verified, checks: { hash, proof, onChain, explanation }, details }', 400: 'bad id', 404: 'unknown decision' },
  },
  {
    method: 'get',
    path: '/api/audit/batches',
    summary: 'Merkle batches, newest first',
    roles: ['auditor'],
    query: batchQuery,
    responses: { 200: '{ items, nextBefore }', 400: 'bad filter', 403: 'an auditor limited to some stations' },
  },
  {
    method: 'get',
    path: '/api/audit/admin-actions',
    summary: "Admins' audited actions, newest first",
    roles: ['auditor'],
    query: adminActionsQuery,
    responses: { 200: '{ items, nextCursor: null }', 400: 'bad filter', 403: 'an auditor limited to some stations' },
  },
  {
    method: 'get',
    path: '/api/audit/signals',
    summary: 'The stored signals in the order the pipeline took them in (oldest first), for replaying decisions (npm run export)',
    roles: ['auditor'],
    query: signalsQuery,
    responses: { 200: 'signals with nextCursor', 400: 'bad query' },
  },
  {
    method: 'get',
    path: '/api/audit/contract',
    summary: 'AuditLog address, chain id, a JSON-RPC URL to read the chain at, the anchoring account, the leaf encoding and the ABI',
    roles: ['auditor'],
    responses: { 200: 'contract' },
  },
];

export function auditRouter(s: {
  audit: AuditQuery;
  adminAudit: Pick<AdminAuditService, 'list'>;
  decisions: Pick<DecisionQuery, 'getDoc'>;
  signals: Pick<SignalLogQuery, 'list'>;
}): Router {
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
  // Batches and admin records span every station (a batch's leaves, users, keys, agents): an auditor
  // limited to some stations reads their own decisions' proofs instead.
  const allStations = (req: Request) => {
    if (req.user!.stationScope !== 'all')
      throw new AppError(
        403,
        'ALL_STATIONS_SCOPE_REQUIRED',
        "this spans every station; an auditor limited to some stations checks their decisions' proofs instead",
        [{ field: 'authorization' }],
      );
  };
  r.get('/audit/batches', requireRole('auditor'), async (req, res) => {
    allStations(req);
    res.json(await s.audit.batches(validate(batchQuery, req.query, 'query')));
  });
  r.get('/audit/admin-actions', requireRole('auditor'), async (req, res) => {
    allStations(req);
    const { limit } = validate<{ limit: number }>(adminActionsQuery, req.query, 'query');
    res.json({ items: await s.adminAudit.list(limit), nextCursor: null });
  });
  r.get('/audit/signals', requireRole('auditor'), async (req, res) => {
    const q = validate<{ stationId?: string; after?: string; limit: number }>(signalsQuery, req.query, 'query');
    const scope = req.user!.stationScope;
    // Out of scope reads as nothing, like an unknown station.
    if (q.stationId !== undefined && !inScope(req.user!, q.stationId)) return void res.json({ items: [], nextCursor: null });
    const stationIds = q.stationId !== undefined ? [q.stationId] : scope === 'all' ? undefined : scope;
    res.json(await s.signals.list({ stationIds, after: q.after, limit: q.limit }));
  });
  r.get('/audit/contract', requireRole('auditor'), (_req, res) => {
    res.json(s.audit.contract());
  });
  return r;
}
