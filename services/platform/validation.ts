// Edge validation shared by REST and sockets: Joi with every failing field named, and refusal of `__proto__` keys.
import type Joi from 'joi';
import { AppError } from './errors.js';

/**
 * The path of the first own `__proto__` key in a parsed JSON value, or null. JSON.parse keeps such
 * keys as plain properties and Joi silently drops them, so a polluting body would otherwise pass
 * as if the key were not there. Iterative, so a deeply nested body cannot exhaust the stack.
 */
export function protoKeyPath(value: unknown): string | null {
  type At = { key: string; parent: At | null } | null;
  const pathOf = (at: At): string => (at ? (at.parent ? `${pathOf(at.parent)}.${at.key}` : at.key) : '');
  const stack: [unknown, At][] = [[value, null]];
  while (stack.length) {
    const [v, at] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    for (const key of Object.keys(v)) {
      const here = { key, parent: at };
      if (key === '__proto__') return pathOf(here);
      stack.push([(v as Record<string, unknown>)[key], here]);
    }
  }
  return null;
}

/** A 400 naming the `__proto__` key, if the value holds one. */
/** The socket form of rejectProtoKeys: a refusal to put in an ack, or null. */
export function protoKeyRefusal(
  value: unknown,
): { ok: false; error: { code: string; message: string; details: { field: string }[] } } | null {
  const at = protoKeyPath(value);
  return at === null
    ? null
    : { ok: false, error: { code: 'VALIDATION_FAILED', message: `"${at}" is not allowed`, details: [{ field: at }] } };
}

export function rejectProtoKeys(value: unknown): void {
  const at = protoKeyPath(value);
  if (at !== null)
    throw new AppError(400, 'VALIDATION_FAILED', `"${at}" is not allowed`, [{ field: at, message: `"${at}" is not allowed` }]);
}

/** Validate a value against a Joi schema; a failure is a 400 naming every field at fault. */
export function validate<T>(schema: Joi.Schema, value: unknown, where: 'body' | 'query' | 'params'): T {
  if (where === 'body') rejectProtoKeys(value);
  const { error, value: out } = schema.validate(value, { abortEarly: false, convert: where !== 'body' });
  if (error) {
    const details = error.details.map((d) => ({ field: d.path.join('.') || where, message: d.message }));
    throw new AppError(400, 'VALIDATION_FAILED', details.map((d) => d.message).join('; '), details);
  }
  return out as T;
}
