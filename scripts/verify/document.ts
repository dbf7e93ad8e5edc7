// The proof document (GET /api/audit/decisions/:id/proof) and its validation. Only its shape is
// checked here; its hash, leaf, leafValue and canonical fields are claims the checks test, never inputs.
import Joi from 'joi';
import { InputError } from './errors.js';
import { LEAF_ENCODING } from './merkle.js';

export interface AnchorClaim {
  /** Leaf values as the document states them (compared for information only). */
  leafValue: [string, string, string];
  leaf: string | null;
  proof: string[];
  root: string | null;
  batchId: number | null;
  txHash: string | null;
  blockNumber: number | null;
}

export interface ExplanationValue {
  decisionId: string;
  text: string;
  source: string;
  model: string | null;
  promptVersion: string;
  [key: string]: unknown;
}

export interface ApprovalValue {
  decisionId: string;
  decisionHash: string;
  outcome: string;
  by: string;
  note: string | null;
  at: string;
  [key: string]: unknown;
}

export interface OutcomeValue {
  decisionId: string;
  decisionHash: string;
  ref: string;
  kind: string;
  actionId: string;
  outcome: string;
  actuator: string;
  at: string;
  [key: string]: unknown;
}

export interface ProofDocument extends AnchorClaim {
  decision: { id: string; [key: string]: unknown };
  canonical: string;
  /** SHA-256 hex the document claims for the decision (lowercase, no 0x). */
  hash: string;
  chainId: number | null;
  contract: string | null;
  anchor: { status: 'anchored' | 'pending' | 'failed'; reason?: string };
  explanation: (AnchorClaim & { value: ExplanationValue; hash: string }) | null;
  /** An operator's answer to a pending_approval decision; absent in documents that predate approvals. */
  approval?: (AnchorClaim & { value: ApprovalValue; hash: string }) | null;
  /** What the actuator answered for each command the decision handed over; absent in documents that predate the actuator port. */
  outcomes?: (AnchorClaim & { value: OutcomeValue; hash: string })[];
}

const bytes32 = Joi.string()
  .pattern(/^0x[0-9a-fA-F]{64}$/)
  .lowercase()
  .messages({ 'string.pattern.base': 'must be a 0x-prefixed 32-byte hex string' });
const sha256 = Joi.string()
  .pattern(/^(0x)?[0-9a-fA-F]{64}$/)
  .replace(/^0x/, '')
  .lowercase()
  .messages({ 'string.pattern.base': 'must be 64 hex characters (a SHA-256)' });
const height = Joi.number().integer().min(0).allow(null).required();

const anchorClaim = {
  leafValue: Joi.array().ordered(Joi.string().required(), Joi.string().required(), Joi.string().required()).length(3).required(),
  leaf: bytes32.allow(null).required(),
  proof: Joi.array().items(bytes32).required(),
  root: bytes32.allow(null).required(),
  batchId: height,
  txHash: bytes32.allow(null).required(),
  blockNumber: height,
};

const schema = Joi.object({
  decision: Joi.object({ id: Joi.string().min(1).required() })
    .unknown(true)
    .required(),
  canonical: Joi.string().allow('').required(),
  hash: sha256.required(),
  leafEncoding: Joi.array()
    .custom((v: unknown[]) => {
      if (JSON.stringify(v) !== JSON.stringify(LEAF_ENCODING)) throw new Error('unsupported leaf encoding');
      return v;
    })
    .messages({ 'any.custom': 'must be ["string","string","bytes32"], the only leaf format this tool verifies' })
    .required(),
  ...anchorClaim,
  chainId: Joi.number().integer().min(1).allow(null).required(),
  contract: Joi.string()
    .pattern(/^0x[0-9a-fA-F]{40}$/)
    .allow(null)
    .required()
    .messages({ 'string.pattern.base': 'must be a 0x-prefixed 20-byte hex address' }),
  anchor: Joi.object({ status: Joi.string().valid('anchored', 'pending', 'failed').required(), reason: Joi.string().allow('') })
    .unknown(true)
    .required(),
  explanation: Joi.object({
    value: Joi.object({
      decisionId: Joi.string().min(1).required(),
      text: Joi.string().allow('').required(),
      source: Joi.string().required(),
      model: Joi.string().allow(null).required(),
      promptVersion: Joi.string().required(),
    })
      .unknown(true)
      .required(),
    hash: sha256.required(),
    ...anchorClaim,
  })
    .unknown(true)
    .allow(null)
    .required(),
  approval: Joi.object({
    value: Joi.object({
      decisionId: Joi.string().min(1).required(),
      decisionHash: sha256.required(),
      outcome: Joi.string().valid('approved', 'rejected').required(),
      by: Joi.string().required(),
      note: Joi.string().allow('', null).required(),
      at: Joi.string().required(),
    })
      .unknown(true)
      .required(),
    hash: sha256.required(),
    ...anchorClaim,
  })
    .unknown(true)
    .allow(null),
  outcomes: Joi.array().items(
    Joi.object({
      value: Joi.object({
        decisionId: Joi.string().min(1).required(),
        decisionHash: sha256.required(),
        ref: Joi.string().min(1).required(),
        kind: Joi.string().valid('start', 'adjust', 'stop').required(),
        actionId: Joi.string().min(1).required(),
        outcome: Joi.string().valid('accepted', 'rejected', 'failed', 'timeout').required(),
        actuator: Joi.string().min(1).required(),
        at: Joi.string().required(),
      })
        .unknown(true)
        .required(),
      hash: sha256.required(),
      ...anchorClaim,
    }).unknown(true),
  ),
}).unknown(true);

const MESSAGES = {
  'any.required': 'is required',
  'any.only': 'must be one of {{#valids}}',
  'object.base': 'must be an object',
  'array.base': 'must be an array',
  'array.length': 'must hold {{#limit}} items',
  'array.includesRequiredUnknowns': 'must hold {{#unknownMisses}} more item(s)',
  'string.base': 'must be a string',
  'string.empty': 'must not be empty',
  'string.min': 'must not be empty',
  'number.base': 'must be a number',
  'number.integer': 'must be an integer',
  'number.min': 'must be at least {{#limit}}',
};

/** Checks the document's shape; throws InputError naming every bad field (`proof[2]: must be ...`). */
export function parseProofDocument(value: unknown): ProofDocument {
  const { error, value: doc } = schema.validate(value, {
    abortEarly: false,
    messages: MESSAGES,
    errors: { wrap: { label: false, array: false } },
  });
  if (error) {
    const problems = error.details.map((d) => `${d.path.length === 0 ? 'document' : (d.context?.label ?? d.path.join('.'))}: ${d.message}`);
    const more = problems.length > 6 ? `; and ${problems.length - 6} more` : '';
    throw new InputError(problems.slice(0, 6).join('; ') + more);
  }
  return doc as ProofDocument;
}

/** Parses the text of a proof document; `origin` (a path or URL) prefixes any error. */
export function parseProofJson(text: string, origin: string): ProofDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${origin}: not JSON (${(err as Error).message})`);
  }
  try {
    return parseProofDocument(value);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${origin}: ${err.message}`);
    throw err;
  }
}
