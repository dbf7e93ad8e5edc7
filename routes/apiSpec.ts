// What each router declares about its operations, next to its handlers, for the OpenAPI document
// (routes/openapi.ts). params, query and body are the very Joi constants the handler validates
// with; openapi.ts converts them, so the document cannot say one thing while the route checks another.
import type Joi from 'joi';
import { ROLES, type Role } from '../services/access/index.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A response: a short description, or one with a JSON Schema for its body. 4xx answers carry the Error body without saying so. */
export type ApiResponse = string | { description: string; schema: object };

export interface ApiOperation {
  method: HttpMethod;
  /** OpenAPI form: `/api/stations/{id}` (express's `:id` written `{id}`). */
  path: string;
  summary: string;
  /**
   * Who may call: signed in with one of these roles (an admin may do everything; requireRole says the same).
   * Absent: anyone, no sign-in.
   */
  roles?: Role[];
  /** A station's device key (X-Device-Key) is also accepted, instead of a signed-in user. */
  deviceKey?: boolean;
  /** Path parameters; those the route does not validate are documented as plain strings. */
  params?: Joi.ObjectSchema;
  query?: Joi.ObjectSchema;
  body?: Joi.Schema;
  /** Whether a body must be sent (default: true when `body` is given). */
  bodyRequired?: boolean;
  responses: Record<number, ApiResponse>;
}

/** Any signed-in user: every role. */
export const SIGNED_IN: Role[] = [...ROLES];

export const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The `{ items, nextCursor }` page every list answers with. */
export const pageOf = (item: object) => ({
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } },
});
