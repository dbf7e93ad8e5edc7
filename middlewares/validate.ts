import type Joi from 'joi';
import { AppError } from '../services/errors.js';

/** Validate a value against a Joi schema; a failure is a 400 naming every field at fault. */
export function validate<T>(schema: Joi.Schema, value: unknown, where: 'body' | 'query' | 'params'): T {
  const { error, value: out } = schema.validate(value, { abortEarly: false, convert: where !== 'body' });
  if (error) {
    const details = error.details.map((d) => ({ field: d.path.join('.') || where, message: d.message }));
    throw new AppError(400, 'VALIDATION_FAILED', details.map((d) => d.message).join('; '), details);
  }
  return out as T;
}
