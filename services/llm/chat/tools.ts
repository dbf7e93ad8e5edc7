// The chat's tools: read-only lookups the model may call. Arguments are validated here; a bad or
// unknown call gets an error object back (the model can correct itself), never an exception or a write.
import Joi from 'joi';
import type { DecisionRecord, StationState } from '../../../eventBus/types.js';
import type { ToolCall, ToolSpec } from '../types.js';
import { AGENT_NAMES, DECISION_STATUSES } from '../../../eventBus/types.js';
import { stationSummary } from '../../pipeline/index.js';
import { stateRisks, stationsAtRisk, type ChatSources } from './risk.js';

export const TOOL_NAMES = [
  'get_station',
  'get_station_plan',
  'list_stations',
  'list_decisions',
  'get_decision',
  'get_anchor_status',
  'get_agent_thresholds',
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** A tool result's JSON never exceeds this many characters (lists are cut first). */
export const MAX_TOOL_RESULT_CHARS = 8000;
const STATUSES = DECISION_STATUSES;

const id = Joi.string()
  .pattern(/^[A-Za-z0-9][A-Za-z0-9._:~-]*$/, 'id characters')
  .max(200);
const iso = Joi.string().isoDate();

const ARGS: Record<ToolName, Joi.ObjectSchema> = {
  get_station: Joi.object({ stationId: id.required() }),
  get_station_plan: Joi.object({ stationId: id.required() }),
  list_stations: Joi.object({
    filter: Joi.string().valid('all', 'at_risk').default('all'),
    limit: Joi.number().integer().min(1).max(50).default(20),
  }),
  list_decisions: Joi.object({
    stationId: id,
    agent: Joi.string().valid(...AGENT_NAMES),
    action: Joi.string()
      .pattern(/^[a-z_]+$/)
      .max(64),
    status: Joi.string().valid(...STATUSES),
    since: iso,
    until: iso,
    limit: Joi.number().integer().min(1).max(20).default(10),
  }),
  get_decision: Joi.object({ decisionId: id.required() }),
  get_anchor_status: Joi.object({ decisionId: id.required() }),
  get_agent_thresholds: Joi.object({ agent: Joi.string().valid(...AGENT_NAMES) }),
};

const fn = (name: ToolName, description: string, properties: Record<string, unknown> = {}, required: string[] = []): ToolSpec => ({
  type: 'function',
  function: { name, description, parameters: { type: 'object', properties, required, additionalProperties: false } },
});
const str = (description: string, extra: Record<string, unknown> = {}) => ({ type: 'string', description, ...extra });

export const TOOL_SPECS: ToolSpec[] = [
  fn(
    'get_station',
    'Live state of one station: queue and predicted wait, packs in stock, chargers (status, temperature, error codes), power, staff, risks, latest decisions.',
    { stationId: str('station id') },
    ['stationId'],
  ),
  fn(
    'get_station_plan',
    'The actions in force at one station (its plan): each with its agent, target, parameters (setpoints), since when, status (active or waiting for an operator) and the decision that started it.',
    { stationId: str('station id') },
    ['stationId'],
  ),
  fn('list_stations', 'Stations with a short summary each; filter "at_risk" lists only stations at risk, with the reasons.', {
    filter: str('all or at_risk', { enum: ['all', 'at_risk'] }),
    limit: { type: 'integer', minimum: 1, maximum: 50 },
  }),
  fn('list_decisions', 'Recent decisions, newest first, filtered by station, agent, action, status and time (ISO 8601).', {
    stationId: str('station id'),
    agent: str('agent', { enum: [...AGENT_NAMES] }),
    action: str('action name, e.g. take_charger_offline'),
    status: str('decision status', { enum: STATUSES }),
    since: str('ISO 8601 time, inclusive'),
    until: str('ISO 8601 time, exclusive'),
    limit: { type: 'integer', minimum: 1, maximum: 20 },
  }),
  fn(
    'get_decision',
    'One decision in full: actions with their evidence, rejected proposals, conflicts, rules applied, risk, status, approval and explanation.',
    { decisionId: str('decision id') },
    ['decisionId'],
  ),
  fn(
    'get_anchor_status',
    "A decision's anchoring on chain (batch, root, transaction) and the server's verification of its hash, Merkle proof and on-chain root.",
    { decisionId: str('decision id') },
    ['decisionId'],
  ),
  fn('get_agent_thresholds', "The agents' thresholds, whether each agent is enabled, and the supervisor policy.", {
    agent: str('one agent only', { enum: [...AGENT_NAMES] }),
  }),
];

export interface ToolOutcome {
  name: string;
  ok: boolean;
  /** The JSON the model gets back. */
  content: string;
  /** Decision ids the result showed (they exist). */
  decisionIds: string[];
}

class ToolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** JSON within the size bound: lists lose their tail first, anything else is cut and marked. */
export function boundedJson(value: Record<string, unknown>, max = MAX_TOOL_RESULT_CHARS): string {
  let json = JSON.stringify(value);
  const items = value.items;
  if (json.length > max && Array.isArray(items)) {
    let keep = items.length;
    while (json.length > max && keep > 0) {
      keep = Math.floor(keep / 2);
      json = JSON.stringify({ ...value, items: items.slice(0, keep), truncated: true, omitted: items.length - keep });
    }
  }
  if (json.length > max) json = JSON.stringify({ truncated: true, partial: json.slice(0, max - 100) });
  return json;
}

/**
 * Free text people wrote (a station's name, an approval note) goes to the model only under
 * `untrusted`, labelled as data: the prompt says such strings are to report, never to follow.
 */
function nameLabelled<T extends { name: string }>(v: T): Omit<T, 'name'> & { untrusted: { name: string } } {
  const { name, ...rest } = v;
  return { ...rest, untrusted: { name } };
}

export function decisionBrief(d: DecisionRecord) {
  return {
    id: d.id,
    stationId: d.stationId,
    ts: d.ts,
    status: d.status,
    risk: d.risk.level,
    actions: d.actions.map((a) => ({ agent: a.agent, action: a.action, params: a.params })),
    explanation: d.explanation.text.slice(0, 400),
  };
}

function decisionDetail(d: DecisionRecord) {
  return {
    ...decisionBrief(d),
    signalId: d.signalId,
    signalType: d.signalType,
    risk: d.risk,
    actions: d.actions.map((a) => ({
      agent: a.agent,
      action: a.action,
      params: a.params,
      urgency: a.urgency,
      confidence: a.confidence,
      evidence: a.evidence,
    })),
    rejected: d.rejected.slice(0, 10).map((r) => ({ agent: r.proposal.agent, action: r.proposal.action, rule: r.rule, reason: r.reason })),
    conflicts: d.conflicts.slice(0, 10),
    trail: d.trail.slice(0, 12),
    explanation: { text: d.explanation.text, source: d.explanation.source },
    // The note is what an operator typed: kept apart and labelled, as data to report, not to follow.
    approval: d.approval
      ? { outcome: d.approval.outcome, by: d.approval.by, at: d.approval.at, untrusted: { note: d.approval.note } }
      : null,
    hash: d.hash,
    anchorStatus: d.anchor.status,
  };
}

async function stationDetail(src: ChatSources, s: StationState) {
  const wait = src.stations.predictedWait(s);
  const { chargers: _c, ...summary } = stationSummary(s, wait);
  const batteries = Object.values(s.batteries);
  const latest = await src.decisions.list({ stationId: s.id, limit: 3 });
  return {
    ...nameLabelled(summary),
    chargers: Object.values(s.chargers)
      .slice(0, 40)
      .map((c) => ({
        id: c.id,
        status: c.status,
        tempC: c.tempC,
        lastErrorCode: c.lastErrorCode ?? null,
        recentFaults: c.faults.length,
        lastFaultAt: c.faults.at(-1)?.ts ?? null,
      })),
    queue: { waiting: s.queue.waiting, arrivalRatePerMin: s.queue.arrivalRatePerMin, serviceTimeS: s.queue.serviceTimeS },
    batteries: {
      tracked: batteries.length,
      quarantined: batteries.filter((b) => b.quarantined).length,
      lowestSohPct: batteries.length ? Math.min(...batteries.map((b) => b.sohPct)) : null,
    },
    price: s.price.current,
    risks: stateRisks(s, wait, src.agents.thresholds).reasons,
    latestDecisions: latest.items.map(decisionBrief),
  };
}

type Json = Record<string, unknown>;

async function execute(src: ChatSources, name: ToolName, args: Json): Promise<{ data: Json; decisionIds: string[] }> {
  switch (name) {
    case 'get_station': {
      const s = src.stations.get(args.stationId as string);
      if (!s) throw new ToolError('UNKNOWN_STATION', `station ${String(args.stationId)} is not registered`);
      const data = await stationDetail(src, s);
      return { data, decisionIds: data.latestDecisions.map((d) => d.id) };
    }
    case 'get_station_plan': {
      const s = src.stations.get(args.stationId as string);
      if (!s) throw new ToolError('UNKNOWN_STATION', `station ${String(args.stationId)} is not registered`);
      const actions = s.plan.actions.map(({ id, agent, action, target, params, since, status, decisionId }) => ({
        id,
        agent,
        action,
        target,
        params,
        since,
        status,
        decisionId,
      }));
      return {
        data: { stationId: s.id, policyVersion: src.agents.policyVersion, actions },
        decisionIds: [...new Set(actions.map((a) => a.decisionId))],
      };
    }
    case 'list_stations': {
      const limit = args.limit as number;
      if (args.filter === 'at_risk') {
        const items = await stationsAtRisk(src, limit);
        return { data: { items: items.map(nameLabelled) }, decisionIds: items.flatMap((r) => r.decisionIds) };
      }
      const all = src.stations.list();
      const items = all.slice(0, limit).map((s) => {
        const { location: _l, capacity: _c, ...v } = stationSummary(s, src.stations.predictedWait(s));
        return nameLabelled(v);
      });
      return { data: { total: all.length, items }, decisionIds: [] };
    }
    case 'list_decisions': {
      const f = { ...args, limit: args.limit as number } as Parameters<ChatSources['decisions']['list']>[0];
      if (f.since) f.since = new Date(f.since).toISOString();
      if (f.until) f.until = new Date(f.until).toISOString();
      const page = await src.decisions.list(f);
      return { data: { items: page.items.map(decisionBrief), more: page.nextCursor !== null }, decisionIds: page.items.map((d) => d.id) };
    }
    case 'get_decision': {
      const d = await src.decisions.get(args.decisionId as string);
      if (!d) throw new ToolError('UNKNOWN_DECISION', `decision ${String(args.decisionId)} does not exist`);
      return { data: decisionDetail(d), decisionIds: [d.id] };
    }
    case 'get_anchor_status': {
      const d = await src.decisions.get(args.decisionId as string);
      if (!d) throw new ToolError('UNKNOWN_DECISION', `decision ${String(args.decisionId)} does not exist`);
      const { proof: _p, leaf: _leaf, ...anchor } = d.anchor;
      const v = await src.audit.verify(d.id);
      return {
        data: {
          decisionId: d.id,
          hash: d.hash,
          anchor,
          verify: { verified: v.verified, checks: v.checks, details: v.details, anchoredAt: v.anchoredAt },
        },
        decisionIds: [d.id],
      };
    }
    case 'get_agent_thresholds': {
      const items = src.agents
        .describe()
        .filter((a) => !args.agent || a.name === args.agent)
        .map(({ name, enabled, thresholds }) => ({ name, enabled, thresholds }));
      return { data: { items, policy: src.agents.policy }, decisionIds: [] };
    }
  }
}

const isTool = (name: string): name is ToolName => (TOOL_NAMES as readonly string[]).includes(name);

/** Runs one tool call; every failure becomes an error result for the model. */
export async function runTool(src: ChatSources, call: ToolCall, onError: (err: unknown) => void): Promise<ToolOutcome> {
  const name = call.function.name;
  const fail = (code: string, message: string): ToolOutcome => ({
    name,
    ok: false,
    content: boundedJson({ ok: false, error: { code, message } }),
    decisionIds: [],
  });
  if (!isTool(name))
    return fail(
      'UNKNOWN_TOOL',
      `there is no tool "${name.slice(0, 64)}"; this chat is read-only and offers only: ${TOOL_NAMES.join(', ')}`,
    );
  let raw: unknown;
  try {
    raw = call.function.arguments.trim() ? JSON.parse(call.function.arguments) : {};
  } catch {
    return fail('INVALID_ARGUMENTS', 'arguments are not valid JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail('INVALID_ARGUMENTS', 'arguments must be a JSON object');
  const { error, value } = ARGS[name].validate(raw, { abortEarly: false, convert: true });
  if (error) return fail('INVALID_ARGUMENTS', error.message);
  try {
    const { data, decisionIds } = await execute(src, name, value as Json);
    return { name, ok: true, content: boundedJson({ ok: true, ...data }), decisionIds };
  } catch (err) {
    if (err instanceof ToolError) return fail(err.code, err.message);
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status < 500)
      return fail(String((err as { code?: unknown }).code ?? 'REJECTED'), (err as Error).message);
    onError(err);
    return fail('TOOL_FAILED', 'the lookup failed on the server; try again or answer without it');
  }
}
