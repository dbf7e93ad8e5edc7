// The machine-readable API description (GET /api/openapi.json) and a plain browsable page (GET /api/docs).
//
// The document is generated, not kept by hand: every router exports its operations (routes/apiSpec.ts)
// with the Joi constants its handlers validate with, and this file converts those with joi-to-json
// (target 'open-api-3.1'). joi-to-json is chosen because it reads Joi's own describe() output rather
// than Joi internals, lists Joi 18 as supported, is maintained (5.x, 2026), emits OpenAPI 3.1 / JSON
// Schema 2020-12 directly (const, type arrays for null, exclusiveMinimum as a number), and hoists
// schemas named with Joi's .id() into components. joi-to-swagger, the other candidate, emits OpenAPI
// 3.0 only and drops rules such as number.greater().
// What the conversion does not carry over (the handlers still enforce all of it): Joi .custom() rules
// (timestamps between 2000 and 2100, P-256 keys), uri() schemes, object .min() (PATCH /api/agents/{name}
// needs one field) and cross-field checks done in code. A Joi.object() with no keys comes out as
// "no properties allowed" (Joi allows any): give such objects keys or .unknown(true).
import { Router } from 'express';
import type Joi from 'joi';
import parseJoi from 'joi-to-json';
import { ROLES } from '../services/access/index.js';
import { STOP_REASONS } from '../eventBus/plan.js';
import type { ApiOperation, ApiResponse } from './apiSpec.js';
import { authApi } from './auth.js';
import { systemApi, metricsApi } from './system.js';
import { dataApi } from './data.js';
import { stationsApi } from './stations.js';
import { decisionsApi } from './decisions.js';
import { auditApi } from './audit.js';
import { chatApi } from './chat.js';
import { deviceKeysApi } from './deviceKeys.js';
import { chargePointsApi } from './chargePoints.js';
import { pushApi } from './push.js';
import { notificationsApi } from './notifications.js';

type JsonSchema = Record<string, unknown>;

export const openapiApi: ApiOperation[] = [
  { method: 'get', path: '/api/openapi.json', summary: 'This document (OpenAPI 3.1)', responses: { 200: 'the document' } },
  { method: 'get', path: '/api/docs', summary: 'The operations as a browsable page', responses: { 200: 'text/html' } },
];

/** Every operation the app serves, in the order the page lists them. */
export const API_OPERATIONS: readonly ApiOperation[] = [
  ...systemApi,
  ...metricsApi,
  ...dataApi,
  ...stationsApi,
  ...deviceKeysApi,
  ...chargePointsApi,
  ...decisionsApi,
  ...auditApi,
  ...chatApi,
  ...authApi,
  ...notificationsApi,
  ...pushApi,
  ...openapiApi,
];

// Components with no Joi schema behind them (answers the services build, not inputs a route validates)
// stay written here by hand, kept small. Joi-derived components (Signal, StationRegistration, ...) are
// added by the conversion, from the schemas' .id().
const HAND_WRITTEN_SCHEMAS: Record<string, JsonSchema> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'details'],
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          details: {
            type: 'array',
            items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' }, index: { type: 'integer' } } },
          },
        },
      },
    },
  },
  IngestResult: {
    type: 'object',
    properties: {
      accepted: { type: 'integer' },
      duplicates: { type: 'integer' },
      rejected: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            index: { type: 'integer' },
            error: { type: 'object', properties: { code: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
      results: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            index: { type: 'integer' },
            id: { type: ['string', 'null'] },
            status: { enum: ['accepted', 'duplicate', 'rejected'] },
          },
        },
      },
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
      policyVersion: { type: 'string', description: 'hash of the thresholds and policy the decision was made under' },
      changes: {
        type: 'object',
        description: 'what the decision changed in the station plan',
        properties: {
          started: { type: 'array', items: { $ref: '#/components/schemas/PlanAction' } },
          adjusted: { type: 'array', items: { type: 'object' } },
          stopped: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'agent', 'action', 'target', 'reason', 'note'],
              properties: {
                id: { type: 'string' },
                agent: { type: 'string' },
                action: { type: 'string' },
                target: { type: 'string' },
                reason: {
                  enum: [...STOP_REASONS],
                  description:
                    'released: nobody wants it after its dwell; expired; superseded: it lost a conflict; operator: an operator ended it (POST /api/stations/{id}/plan/release); done: a rebalance whose packs are due; cancelled: a rebalance no longer needed before dispatch; failed: the equipment did not carry it out (rejected, failed, no answer in time: see outcomes)',
                },
                note: { type: 'string' },
                operator: {
                  type: 'object',
                  description: 'with reason operator: who ended it and their note',
                  properties: { by: { type: 'string' }, note: { type: ['string', 'null'] } },
                },
              },
            },
          },
        },
      },
      nearby: { type: 'array', items: { type: 'object' }, description: "other stations' figures as the agents saw them" },
      hash: { type: 'string', description: 'SHA-256 hex of the RFC 8785 canonical JSON of the fields above' },
      explanation: { type: 'object' },
      anchor: { type: 'object' },
      approval: { type: 'object', description: "an operator's answer to a pending_approval decision, its own anchored record" },
      outcomes: {
        type: 'array',
        description:
          "what the actuator answered for each device command the decision's plan change handed over (absent when nothing was handed: with no actuator, decisions are recorded, not carried out); each bound to the decision's hash and anchored as its own leaf",
        items: { $ref: '#/components/schemas/ActionOutcome' },
      },
      createdAt: { type: 'string', format: 'date-time' },
    },
  },
  ActionOutcome: {
    type: 'object',
    required: ['decisionId', 'decisionHash', 'ref', 'kind', 'actionId', 'action', 'target', 'params', 'actuator', 'outcome', 'at', 'hash'],
    properties: {
      decisionId: { type: 'string' },
      decisionHash: { type: 'string', description: 'the SHA-256 of the decision the command came from' },
      stationId: { type: 'string' },
      ref: { type: 'string', description: '<decisionId>/<kind>/<actionId>: the leaf reference' },
      kind: { enum: ['start', 'adjust', 'stop'] },
      actionId: { type: 'string' },
      action: { type: 'string' },
      target: { type: 'string' },
      params: { type: 'object', description: 'the action parameters handed over (kW setpoints, ...)' },
      actuator: { type: 'string', description: 'who carried it out (simulator, ocpp, ...)' },
      outcome: { enum: ['accepted', 'rejected', 'failed', 'timeout'] },
      detail: { type: ['string', 'null'] },
      at: { type: 'string', format: 'date-time' },
      latencyMs: { type: 'number' },
      hash: { type: 'string', description: 'SHA-256 hex of the RFC 8785 canonical JSON of the fields above' },
      anchor: { type: 'object' },
    },
  },
  PlanAction: {
    type: 'object',
    required: ['id', 'agent', 'action', 'target', 'params', 'since', 'status', 'decisionId'],
    properties: {
      id: { type: 'string', description: '<action>:<target>' },
      agent: { type: 'string' },
      action: { type: 'string' },
      target: { type: 'string', description: 'a charger, a battery, or station' },
      params: { type: 'object', description: 'setpoints and terms (kW, packs, amount, ...)' },
      since: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      until: { type: ['string', 'null'], format: 'date-time' },
      status: { enum: ['active', 'pending_approval'] },
      decisionId: { type: 'string' },
      execution: {
        enum: ['awaiting_approval', 'recorded', 'handed', 'accepted', 'rejected', 'failed', 'timeout', 'requested', 'dispatched'],
        description:
          "where it stands in being carried out (GET plan only): awaiting_approval; a device action recorded (no actuator: not carried out), handed to the actuator, or the actuator's last answer; a job (no device) requested or dispatched (a rebalance's packs on the road; any other job handed to people)",
      },
    },
  },
  StationPlan: {
    type: 'object',
    required: ['stationId', 'policyVersion', 'actions'],
    properties: {
      stationId: { type: 'string' },
      policyVersion: { type: 'string' },
      actuator: { type: ['string', 'null'], description: 'who carries the plan out; null: decisions are recorded, not carried out' },
      actions: { type: 'array', items: { $ref: '#/components/schemas/PlanAction' } },
      changedAt: { type: ['string', 'null'], format: 'date-time' },
    },
  },
};

/**
 * Converts Joi schemas, collecting those named with .id() as components. Two different schemas
 * under one id would silently overwrite each other in joi-to-json's shared map, so that throws.
 */
export class JoiConverter {
  readonly components: Record<string, JsonSchema> = {};
  private readonly seen = new Map<string, string>();

  convert(schema: Joi.Schema): JsonSchema {
    const out = parseJoi(schema as never, 'open-api-3.1', this.components) as JsonSchema;
    // At the top level joi-to-json also returns the shared map as `schemas`; the document has it under components.
    delete out.schemas;
    for (const [id, s] of Object.entries(this.components)) {
      const text = JSON.stringify(s);
      const before = this.seen.get(id);
      if (before !== undefined && before !== text) throw new Error(`two different Joi schemas carry the id "${id}"`);
      this.seen.set(id, text);
    }
    return out;
  }
}

/** OpenAPI parameters from an object schema's keys (each key's .description() becomes the parameter's). */
function parameters(conv: JoiConverter, schema: Joi.ObjectSchema | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const obj = conv.convert(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(obj.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || (obj.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

const json = (schema: object) => ({ 'application/json': { schema } });
const errorBody = json({ $ref: '#/components/schemas/Error' });

function response(status: number, r: ApiResponse): JsonSchema {
  if (typeof r !== 'string') return { description: r.description, content: json(r.schema) };
  // Every 4xx answer is an AppError body.
  return status >= 400 && status < 500 ? { description: r, content: errorBody } : { description: r };
}

function operation(conv: JoiConverter, op: ApiOperation): JsonSchema {
  const params = [...parameters(conv, op.params, 'path'), ...parameters(conv, op.query, 'query')];
  // Path parameters the route does not validate with Joi are plain strings.
  for (const [, name] of op.path.matchAll(/\{([^}]+)\}/g)) {
    if (!params.some((p) => p.in === 'path' && p.name === name))
      params.unshift({ name, in: 'path', required: true, schema: { type: 'string' } });
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(op.responses)) responses[status] = response(Number(status), r);
  // Who may call, in the form OpenAPI 3.1 gives non-OAuth schemes: role names in the requirement's array.
  let security: JsonSchema[] = [];
  let who = 'Anyone: no sign-in needed.';
  if (op.roles) {
    security = [{ bearerAuth: op.roles }];
    const everyRole = ROLES.every((r) => op.roles!.includes(r));
    who = everyRole
      ? 'Any signed-in user.'
      : `Roles: ${op.roles.join(', ')}${op.roles.includes('admin') ? '' : ' (an admin may do everything)'}.`;
    responses[401] ??= response(401, 'not signed in');
    if (!everyRole) responses[403] ??= response(403, `needs the ${op.roles.join(' or ')} role`);
  }
  if (op.deviceKey) {
    security.unshift({ deviceKey: [] });
    who += " Or the station's device key (X-Device-Key), for its own station.";
  }
  return {
    summary: op.summary,
    description: who,
    security,
    ...(params.length ? { parameters: params } : {}),
    ...(op.body ? { requestBody: { required: op.bodyRequired ?? true, content: json(conv.convert(op.body)) } } : {}),
    responses,
  };
}

export function buildOpenApi(operations: readonly ApiOperation[] = API_OPERATIONS) {
  const conv = new JoiConverter();
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of operations) {
    paths[op.path] ??= {};
    if (paths[op.path][op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} is declared twice`);
    paths[op.path][op.method] = operation(conv, op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Station-operations copilot',
      version: '1.0.0',
      description: 'Signals in, explained and hashed decisions out. See docs/api.md.',
    },
    // Nothing by default; each operation says who may call it.
    security: [],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An access token from POST /api/auth/login (or /api/auth/otp/verify, /api/auth/refresh).',
        },
        deviceKey: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Device-Key',
          description: "A station's device key: it may send signals for its own station only.",
        },
      },
      schemas: { ...HAND_WRITTEN_SCHEMAS, ...conv.components },
    },
  };
}

export const OPENAPI = buildOpenApi();

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function docsPage(): string {
  const rows = API_OPERATIONS.map(
    (op) =>
      `<tr><td>${op.method.toUpperCase()}</td><td><code>${escapeHtml(op.path)}</code></td><td>${escapeHtml(op.summary)}</td><td>${escapeHtml(op.roles ? op.roles.join(', ') + (op.deviceKey ? ', device key' : '') : 'anyone')}</td></tr>`,
  ).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${OPENAPI.info.title} API</title></head><body><h1>${OPENAPI.info.title} API</h1><p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a></p><table border="1" cellpadding="4"><tr><th>method</th><th>path</th><th>what</th><th>who</th></tr>${rows}</table></body></html>`;
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
