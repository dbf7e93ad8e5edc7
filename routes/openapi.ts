// The machine-readable API description (GET /api/openapi.json) and a plain browsable page (GET /api/docs).
import { Router } from 'express';
import { SIGNAL_TYPES } from '../services/pipeline/index.js';
import { AGENT_NAMES, DECISION_STATUSES } from '../eventBus/types.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('Error')) });
const list = (item: object) => ({ type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } } });
const q = (name: string, schema: object, description?: string) => ({ name, in: 'query', required: false, schema, description });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'Station-operations copilot', version: '1.0.0', description: 'Signals in, explained and hashed decisions out. See docs/api.md.' },
  paths: {
    '/api/health': { get: { summary: 'Each part\'s state', responses: { 200: { description: 'parts' } } } },
    '/api/ready': { get: { summary: 'Readiness', responses: { 200: { description: 'ready' }, 503: { description: 'database or cache down' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain exposition format' } } } },
    '/api/data/signals': {
      post: {
        summary: 'Ingest one signal or a batch of at most 1000 (body at most 1 MB)',
        requestBody: { required: true, content: json({ oneOf: [ref('Signal'), { type: 'object', required: ['signals'], properties: { signals: { type: 'array', minItems: 1, maxItems: 1000, items: ref('Signal') } } }] }) },
        responses: { 202: { description: 'stored (at least one signal accepted or duplicate)', content: json(ref('IngestResult')) }, 400: error('nothing taken: bad input'), 404: error('nothing taken: unknown station'), 413: error('too many signals or too large'), 415: error('not JSON') },
      },
    },
    '/api/stations': {
      get: { summary: 'List stations', parameters: [q('limit', { type: 'integer', minimum: 1, maximum: 1000 }), q('cursor', { type: 'string' })], responses: { 200: { description: 'stations', content: json(list({ type: 'object' })) } } },
      post: { summary: 'Register a station', requestBody: { required: true, content: json(ref('StationRegistration')) }, responses: { 201: { description: 'registered' }, 400: error('bad input'), 409: error('id exists') } },
    },
    '/api/stations/{id}': { get: { summary: 'Folded station state', parameters: [idParam], responses: { 200: { description: 'state' }, 404: error('unknown station') } } },
    '/api/decisions': {
      get: {
        summary: 'Decisions, newest first',
        parameters: [
          q('stationId', { type: 'string' }),
          q('agent', { enum: AGENT_NAMES }),
          q('action', { type: 'string' }),
          q('status', { enum: DECISION_STATUSES }),
          q('since', { type: 'string', format: 'date-time' }),
          q('until', { type: 'string', format: 'date-time' }),
          q('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 }),
          q('cursor', { type: 'string' }),
        ],
        responses: { 200: { description: 'decisions', content: json(list(ref('Decision'))) }, 400: error('bad filter') },
      },
    },
    '/api/decisions/{id}': { get: { summary: 'One decision record', parameters: [idParam], responses: { 200: { description: 'record', content: json(ref('Decision')) }, 404: error('unknown decision') } } },
    '/api/decisions/{id}/approve': {
      post: {
        summary: 'Approve a pending_approval decision; the approval is its own record, bound to the decision hash and anchored as its own leaf',
        parameters: [idParam],
        requestBody: { required: false, content: json({ type: 'object', additionalProperties: false, properties: { note: { type: 'string', maxLength: 500 } } }) },
        responses: { 200: { description: 'the approval record' }, 400: error('bad body'), 404: error('unknown decision'), 409: error('not pending_approval, or already answered') },
      },
    },
    '/api/decisions/{id}/reject': {
      post: {
        summary: 'Reject a pending_approval decision (recorded and anchored like an approval)',
        parameters: [idParam],
        requestBody: { required: false, content: json({ type: 'object', additionalProperties: false, properties: { note: { type: 'string', maxLength: 500 } } }) },
        responses: { 200: { description: 'the rejection record' }, 400: error('bad body'), 404: error('unknown decision'), 409: error('not pending_approval, or already answered') },
      },
    },
    '/api/chat': {
      post: {
        summary: 'Ask the copilot about live state. The LLM answers through read-only tools; without it (no key, breaker open) a deterministic fallback answers from live data. The chat never acts.',
        requestBody: {
          required: true,
          content: json({ type: 'object', required: ['message'], additionalProperties: false, properties: { message: { type: 'string', minLength: 1, maxLength: 2000 }, stationId: { type: 'string' }, conversationId: { type: 'string', format: 'uuid' } } }),
        },
        responses: { 200: { description: '{ reply, citations: [{ kind, id }], source: llm | fallback, conversationId }' }, 400: error('bad input'), 404: error('unknown stationId') },
      },
    },
    '/api/agents': { get: { summary: 'Agents, counters, thresholds, policy', responses: { 200: { description: 'agents' } } } },
    '/api/audit/decisions/{id}/proof': {
      get: {
        summary: 'Proof document: the decision, its canonical JSON and hash, the Merkle leaf, proof and root (as MerkleProof.verify takes them), batch, transaction, block, chain and contract; the explanation leaf likewise. Check it with npm run verify.',
        parameters: [idParam],
        responses: { 200: { description: 'proof document (see docs/verify.md)' }, 404: error('unknown decision'), 409: error('the decision is waiting for its batch to close (Retry-After)') },
      },
    },
    '/api/audit/decisions/{id}/verify': {
      get: { summary: "The server's own check: recomputed hash, proof to root, root and leaf on chain, explanation leaf", parameters: [idParam], responses: { 200: { description: '{ verified, checks: { hash, proof, onChain, explanation }, details }' }, 404: error('unknown decision') } },
    },
    '/api/audit/batches': {
      get: {
        summary: 'Merkle batches, newest first',
        parameters: [q('status', { enum: ['queued', 'anchored', 'failed'] }), q('before', { type: 'integer', minimum: 1 }, 'batch ids below this one (the nextBefore of the previous page)'), q('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 })],
        responses: { 200: { description: '{ items, nextBefore }' }, 400: error('bad filter') },
      },
    },
    '/api/audit/contract': { get: { summary: 'AuditLog address, chain id, a JSON-RPC URL to read the chain at, the anchoring account, the leaf encoding and the ABI', responses: { 200: { description: 'contract' } } } },
  },
  components: {
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message', 'details'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' }, index: { type: 'integer' } } } } } } },
      },
      Signal: {
        type: 'object',
        required: ['id', 'stationId', 'type', 'ts', 'payload'],
        additionalProperties: false,
        properties: { id: { type: 'string', maxLength: 128 }, stationId: { type: 'string', maxLength: 64 }, type: { enum: SIGNAL_TYPES }, ts: { type: 'string', format: 'date-time' }, payload: { type: 'object' } },
      },
      IngestResult: {
        type: 'object',
        properties: {
          accepted: { type: 'integer' },
          duplicates: { type: 'integer' },
          rejected: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, error: { type: 'object', properties: { code: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } } } } } },
          results: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, id: { type: ['string', 'null'] }, status: { enum: ['accepted', 'duplicate', 'rejected'] } } } },
        },
      },
      StationRegistration: {
        type: 'object',
        required: ['id', 'name', 'location', 'capacity'],
        properties: {
          id: { type: 'string', maxLength: 64 },
          name: { type: 'string', maxLength: 200 },
          location: { type: 'object', required: ['lat', 'lng'], properties: { lat: { type: 'number', minimum: -90, maximum: 90 }, lng: { type: 'number', minimum: -180, maximum: 180 } } },
          capacity: { type: 'object', required: ['bays', 'chargers', 'batterySlots'], properties: { bays: { type: 'integer', minimum: 0 }, chargers: { type: 'integer', minimum: 0 }, batterySlots: { type: 'integer', minimum: 0 } } },
        },
      },
      Decision: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          stationId: { type: 'string' },
          signalId: { type: 'string' },
          signalType: { type: 'string' },
          ts: { type: 'string', format: 'date-time' },
          actions: { type: 'array', items: { type: 'object' } },
          rejected: { type: 'array', items: { type: 'object' } },
          conflicts: { type: 'array', items: { type: 'object' } },
          trail: { type: 'array', items: { type: 'object' } },
          risk: { type: 'object' },
          status: { type: 'string' },
          stateVersion: { type: 'integer' },
          hash: { type: 'string', description: 'SHA-256 hex of the RFC 8785 canonical JSON of the fields above' },
          explanation: { type: 'object' },
          anchor: { type: 'object' },
          createdAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function docsPage(): string {
  const rows = Object.entries(OPENAPI.paths)
    .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `<tr><td>${method.toUpperCase()}</td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml((op as { summary: string }).summary)}</td></tr>`))
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${OPENAPI.info.title} API</title></head><body><h1>${OPENAPI.info.title} API</h1><p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a></p><table border="1" cellpadding="4"><tr><th>method</th><th>path</th><th>what</th></tr>${rows}</table></body></html>`;
}

export function openapiRouter(): Router {
  const r = Router();
  r.get('/openapi.json', (_req, res) => {
    res.json(OPENAPI);
  });
  r.get('/docs', (_req, res) => {
    res.type('html').send(docsPage());
  });
  return r;
}
