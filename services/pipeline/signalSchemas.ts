// Joi schemas for every signal type (AGENTS.md). Physically impossible values
// are rejected here with the field named; plausible oddities pass to the auditor.
import Joi from 'joi';
import type { Signal, SignalType } from '../../eventBus/types.js';

const token = (max: number) =>
  Joi.string()
    .pattern(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'id characters')
    .max(max);
const isoTs = Joi.string()
  .isoDate()
  .custom((v: string, helpers) => {
    const t = Date.parse(v);
    if (Number.isNaN(t)) return helpers.error('date.base');
    const year = new Date(t).getUTCFullYear();
    if (year < 2000 || year > 2100) return helpers.error('date.range');
    return v;
  })
  .messages({
    'date.range': '{{#label}} must be between the years 2000 and 2100',
    'string.isoDate': '{{#label}} must be an ISO 8601 date',
  });

const TEMP_MIN_C = -40;
const TEMP_MAX_C = 150;
const count = (max: number) => Joi.number().integer().min(0).max(max).required();

export const PAYLOAD_SCHEMAS: Record<SignalType, Joi.ObjectSchema> = {
  queue_length: Joi.object({ waiting: count(10_000) }),
  arrival: Joi.object({ vehicleId: token(64) }),
  swap_completed: Joi.object({
    durationS: Joi.number().greater(0).max(7200).required(),
    batteryOutId: token(64),
    batteryInId: token(64),
  }),
  battery_stock: Joi.object({ charged: count(100_000), charging: count(100_000), depleted: count(100_000), faulty: count(100_000) }),
  battery_health: Joi.object({
    batteryId: token(64).required(),
    sohPct: Joi.number().min(0).max(100).required(),
    cycles: count(1_000_000),
    tempC: Joi.number().min(TEMP_MIN_C).max(TEMP_MAX_C).required(),
  }),
  charger_status: Joi.object({
    chargerId: token(64).required(),
    status: Joi.string().valid('available', 'occupied', 'faulted', 'offline').required(),
    errorCode: token(64),
  }),
  charger_temp: Joi.object({ chargerId: token(64).required(), tempC: Joi.number().min(TEMP_MIN_C).max(TEMP_MAX_C).required() }),
  charging_session: Joi.object({
    chargerId: token(64).required(),
    // OCPP numbers a charger's connectors from 1 (0 is the charger as a whole in 1.6).
    connectorId: Joi.number().integer().min(0).max(64).required(),
    transactionId: token(64).required(),
    event: Joi.string().valid('started', 'updated', 'ended').required(),
    // A meter register in Wh: 1e12 Wh (1 TWh) is beyond any charger's lifetime; more is a unit error.
    energyWh: Joi.number().min(0).max(1e12),
    socPct: Joi.number().min(0).max(100),
    reason: token(64),
  }),
  power_draw: Joi.object({ kW: Joi.number().min(0).max(100_000).required() }),
  grid_limit: Joi.object({ kW: Joi.number().greater(0).max(100_000).required() }),
  grid_price: Joi.object({
    // Negative wholesale prices happen; beyond these bounds is a unit error.
    pricePerKWh: Joi.number().min(-10).max(100).required(),
    currency: Joi.string()
      .pattern(/^[A-Z]{3}$/, 'ISO 4217 code')
      .required(),
    validFrom: isoTs.required(),
    validTo: isoTs.required(),
  }),
  staff_on_duty: Joi.object({ count: count(1000) }),
  bay_status: Joi.object({ open: count(1000) }),
  operator_release: Joi.object({
    actionId: Joi.string()
      .pattern(/^[a-z_]+:[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'plan action id')
      .max(140)
      .required(),
    by: Joi.string().min(1).max(320).required(),
    note: Joi.string().max(500).allow(null).required(),
  }),
  operator_answer: Joi.object({
    decisionId: Joi.string()
      .pattern(/^dec-[A-Za-z0-9][A-Za-z0-9._:-]*~[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'decision id')
      .max(140)
      .required(),
    outcome: Joi.string().valid('approved', 'rejected').required(),
    by: Joi.string().min(1).max(320).required(),
    note: Joi.string().max(500).allow(null).required(),
  }),
  actuation_outcome: Joi.object({
    decisionId: Joi.string()
      .pattern(/^dec-[A-Za-z0-9][A-Za-z0-9._:-]*~[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'decision id')
      .max(140)
      .required(),
    actionId: Joi.string()
      .pattern(/^[a-z_]+:[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'plan action id')
      .max(140)
      .required(),
    kind: Joi.string().valid('start', 'adjust').required(),
    params: Joi.object()
      .pattern(/^[A-Za-z0-9_:.-]{1,80}$/, Joi.alternatives(Joi.number(), Joi.string().max(200), Joi.boolean()))
      .max(64)
      .required(),
    outcome: Joi.string().valid('rejected', 'failed', 'timeout').required(),
    detail: Joi.string().max(500).allow(null).required(),
  }),
};

/**
 * Signals the copilot makes itself, never taken from a sender (REST, /ingest, device keys, the
 * simulator): an operator's release or answer comes only through its own route, which checks the
 * role, the scope and the plan first; an actuator's refusal only from the actuation service.
 */
export const OWN_SIGNAL_TYPES: readonly SignalType[] = ['operator_release', 'operator_answer', 'actuation_outcome'];

/** The types senders may send. */
export const SIGNAL_TYPES = (Object.keys(PAYLOAD_SCHEMAS) as SignalType[]).filter((t) => !OWN_SIGNAL_TYPES.includes(t));

const envelopeFor = (types: readonly SignalType[]) =>
  Joi.object({
    id: token(128).required(),
    stationId: token(64).required(),
    type: Joi.string()
      .valid(...types)
      .required()
      .messages({ 'any.only': `{{#label}} must be one of ${types.join(', ')}` }),
    ts: isoTs.required(),
    payload: Joi.object().required(),
  });

// Exported (as SIGNAL_ENVELOPE) for the OpenAPI document, which is generated from these schemas.
export const envelope = envelopeFor(SIGNAL_TYPES);
const ownEnvelope = envelopeFor(OWN_SIGNAL_TYPES);

/** Who made a signal: a sender (every edge), or the copilot itself (see OWN_SIGNAL_TYPES). */
export type SignalOrigin = 'sender' | 'copilot';

export interface SignalError {
  code: 'VALIDATION_FAILED' | 'UNKNOWN_STATION' | 'DUPLICATE_IN_BATCH' | 'FORBIDDEN_STATION';
  field: string;
  message: string;
}

export type SignalCheck = { ok: true; signal: Signal } | { ok: false; error: SignalError };

function fail(details: Joi.ValidationErrorItem[], prefix = ''): SignalCheck {
  const d = details[0];
  const field = prefix + d.path.join('.');
  return {
    ok: false,
    error: { code: 'VALIDATION_FAILED', field: field || '(signal)', message: d.message.replace(/^"[^"]*"/, `"${field || 'signal'}"`) },
  };
}

/** Validate one signal; on success timestamps are normalised to `Date.toISOString()` form so hashes are stable. */
export function checkSignal(raw: unknown, origin: SignalOrigin = 'sender'): SignalCheck {
  const env = (origin === 'copilot' ? ownEnvelope : envelope).validate(raw, { abortEarly: true, convert: false });
  if (env.error) return fail(env.error.details);
  const v = env.value as { id: string; stationId: string; type: SignalType; ts: string; payload: Record<string, unknown> };
  const pay = PAYLOAD_SCHEMAS[v.type].validate(v.payload, { abortEarly: true, convert: false });
  if (pay.error) return fail(pay.error.details, 'payload.');
  const payload = pay.value as Record<string, unknown>;
  if (v.type === 'grid_price') {
    const from = Date.parse(payload.validFrom as string);
    const to = Date.parse(payload.validTo as string);
    if (!(to > from))
      return {
        ok: false,
        error: { code: 'VALIDATION_FAILED', field: 'payload.validTo', message: '"payload.validTo" must be after payload.validFrom' },
      };
    payload.validFrom = new Date(from).toISOString();
    payload.validTo = new Date(to).toISOString();
  }
  const signal = { id: v.id, stationId: v.stationId, type: v.type, ts: new Date(Date.parse(v.ts)).toISOString(), payload } as Signal;
  return { ok: true, signal };
}
