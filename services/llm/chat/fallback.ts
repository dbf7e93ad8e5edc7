// The chat without a language model: the common questions answered from live data by keyword
// intents, each answer marked as a fallback and citing the records it read.
import type { DecisionRecord } from '../../../eventBus/types.js';
import type { Citation } from './citations.js';
import { classify, type ActRequest, type Intent } from './intents.js';
import { stateRisks, stationsAtRisk, type ChatSources } from './risk.js';

export interface FallbackAnswer {
  reply: string;
  citations: Citation[];
  source: 'fallback';
}

const RECENT_LIMIT = 500;
const human = (action: string) => action.replace(/_/g, ' ');
const cite = (kind: Citation['kind'], id: string) => `[${kind}:${id}]`;

class Answer {
  readonly lines: string[] = [];
  readonly citations: Citation[] = [];

  constructor(reason: string) {
    this.lines.push(`Fallback answer from live data (${reason}); it covers common questions only.`);
  }

  /** Returns the citation mark and records it. */
  ref(kind: Citation['kind'], id: string): string {
    if (!this.citations.some((c) => c.kind === kind && c.id === id)) this.citations.push({ kind, id });
    return cite(kind, id);
  }

  station(src: ChatSources, id: string): string {
    const s = src.stations.get(id);
    return s && s.name !== id ? `${s.name} ${this.ref('station', id)}` : `station ${this.ref('station', id)}`;
  }

  decision(d: DecisionRecord): string {
    const acts = d.actions.map((a) => `${human(a.action)} (${a.agent})`).join(', ') || 'no action';
    return `${this.ref('decision', d.id)} at ${d.ts}: ${acts}; status ${d.status.replace(/_/g, ' ')}, risk ${d.risk.level}`;
  }

  done(): FallbackAnswer {
    return { reply: this.lines.join('\n'), citations: this.citations, source: 'fallback' };
  }
}

const matchesCharger = (d: DecisionRecord, chargerId: string) =>
  d.actions.some((a) => String(a.params.chargerId ?? '').toLowerCase() === chargerId.toLowerCase());

async function explainDecision(src: ChatSources, a: Answer, i: Extract<Intent, { kind: 'why' }>): Promise<void> {
  let d: DecisionRecord | null = i.decisionId ? await src.decisions.get(i.decisionId) : null;
  const stationId = d?.stationId ?? i.stationId;
  if (!stationId) {
    a.lines.push('Name the station (its id or name) or the decision id, e.g. "why did station st-1 take charger C1 offline".');
    return;
  }
  if (!d) {
    const found = await src.decisions.list({ stationId, action: i.action ?? undefined, limit: 20 });
    d = (i.chargerId ? found.items.find((x) => matchesCharger(x, i.chargerId!)) : undefined) ?? found.items[0] ?? null;
  }
  if (!d) {
    const latest = i.action ? (await src.decisions.list({ stationId, limit: 1 })).items[0] : undefined;
    a.lines.push(`No recorded decision at ${a.station(src, stationId)}${i.action ? ` took the action ${human(i.action)}` : ''}.`);
    if (latest) a.lines.push(`Its latest decision is ${a.decision(latest)}.`);
    return;
  }
  a.lines.push(`At ${a.station(src, stationId)}, decision ${a.decision(d)}.`);
  a.lines.push(`Why (${d.explanation.source} explanation): ${d.explanation.text}`);
  for (const r of d.rejected.slice(0, 3))
    a.lines.push(`Set aside: ${human(r.proposal.action)} (${r.proposal.agent}), by the ${human(r.rule)} rule: ${r.reason}`);
  if (d.status === 'pending_approval') a.lines.push(`It waits for an operator: POST /api/decisions/${d.id}/approve or /reject.`);
}

async function risk(src: ChatSources, a: Answer): Promise<void> {
  const list = await stationsAtRisk(src, 10);
  if (!list.length) {
    a.lines.push(
      `No station shows a risk now (${src.stations.size} stations checked against the agents' thresholds and their recent decisions).`,
    );
    return;
  }
  a.lines.push(`${list.length === 10 ? 'The 10 stations most at risk' : `${list.length} station(s) at risk`}:`);
  for (const r of list) {
    const refs = r.decisionIds.slice(0, 2).map((id) => a.ref('decision', id));
    a.lines.push(
      `- ${a.station(src, r.stationId)}, ${r.level}: ${r.reasons.slice(0, 4).join('; ')}${refs.length ? ` ${refs.join(' ')}` : ''}`,
    );
  }
}

const countBy = (items: string[]) =>
  [...items.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>())].sort((x, y) => y[1] - x[1]);

async function recent(src: ChatSources, a: Answer, i: Extract<Intent, { kind: 'recent' }>, now: number): Promise<void> {
  let since = i.sinceMs < 0 ? new Date(new Date(now).toISOString().slice(0, 10)).toISOString() : new Date(now - i.sinceMs).toISOString();
  let until: string | undefined;
  let { items, nextCursor } = await src.decisions.list({ since, limit: RECENT_LIMIT });
  if (!items.length) {
    const last = (await src.decisions.list({ limit: 1 })).items[0];
    if (!last || i.sinceMs < 0) {
      a.lines.push(`No decisions in ${i.label} (since ${since}).${last ? ` The latest one is ${a.decision(last)}.` : ''}`);
      return;
    }
    // Replayed or simulated signals carry their own (older) time: take the window that ends at the latest decision.
    until = new Date(Date.parse(last.ts) + 1).toISOString();
    since = new Date(Date.parse(last.ts) - i.sinceMs).toISOString();
    a.lines.push(
      `No decisions in ${i.label} by the wall clock; the station data runs on its own clock, its latest decision is at ${last.ts}. For the same window ending there:`,
    );
    ({ items, nextCursor } = await src.decisions.list({ since, until, limit: RECENT_LIMIT }));
  }
  const fmt = (pairs: [string, number][]) => pairs.map(([k, n]) => `${human(k)} ${n}`).join(', ');
  a.lines.push(
    `In ${i.label} (since ${since}${until ? `, until ${until}` : ''}): ${nextCursor ? 'more than ' : ''}${items.length} decisions at ${new Set(items.map((d) => d.stationId)).size} station(s).`,
  );
  a.lines.push(`By action: ${fmt(countBy(items.flatMap((d) => d.actions.map((x) => x.action))))}.`);
  a.lines.push(`Actions by agent: ${fmt(countBy(items.flatMap((d) => d.actions.map((x) => x.agent))))}.`);
  a.lines.push(`By status: ${fmt(countBy(items.map((d) => d.status)))}.`);
  const rank = (d: DecisionRecord) =>
    (d.status === 'pending_approval' ? 3 : 0) + (d.risk.level === 'high' ? 2 : d.risk.level === 'medium' ? 1 : 0);
  const notable = items
    .filter((d) => rank(d) > 0)
    .sort((x, y) => rank(y) - rank(x))
    .slice(0, 5);
  if (notable.length) {
    a.lines.push('Notable:');
    for (const d of notable) a.lines.push(`- ${a.station(src, d.stationId)}: ${a.decision(d)}`);
  }
}

const ACT_HOW: Record<ActRequest, string> = {
  approval:
    'Approve or reject a pending_approval decision in the dashboard, or with POST /api/decisions/<id>/approve or POST /api/decisions/<id>/reject (optional body { "note": "..." }); the answer is recorded and anchored.',
  thresholds:
    'Thresholds are changed by an admin with PATCH /api/agents/<name> (the change is audited); GET /api/agents shows the values in force.',
  agent:
    'An admin enables or disables an agent with PATCH /api/agents/<name> { "enabled": false }; GET /api/agents shows each agent\'s state.',
  other:
    'Actions on stations are proposed by the agents and settled by the supervisor; decisions that need a person wait for approval in the dashboard (POST /api/decisions/<id>/approve or /reject).',
};

async function act(src: ChatSources, a: Answer, i: Extract<Intent, { kind: 'act' }>): Promise<void> {
  a.lines.push(`The chat does not take actions; nothing was changed. ${ACT_HOW[i.what]}`);
  if (i.what !== 'approval' && i.what !== 'other') return;
  const named = i.decisionId ? await src.decisions.get(i.decisionId) : null;
  if (named) a.lines.push(`Decision ${a.decision(named)}.`);
  const pending = (await src.decisions.list({ status: 'pending_approval', limit: 5 })).items.filter((d) => d.id !== named?.id);
  if (pending.length) {
    a.lines.push('Decisions waiting for approval:');
    for (const d of pending) a.lines.push(`- ${a.station(src, d.stationId)}: ${a.decision(d)}`);
  }
}

async function station(src: ChatSources, a: Answer, id: string): Promise<void> {
  const s = src.stations.get(id)!;
  const wait = src.stations.predictedWait(s);
  const faulted = Object.values(s.chargers).filter((c) => c.status === 'faulted' || c.status === 'offline').length;
  const stock = s.inventory.updatedAt ? `packs ${s.inventory.charged} charged, ${s.inventory.charging} charging` : 'stock not reported yet';
  const power =
    s.power.drawKW === null
      ? 'power draw not reported yet'
      : `power ${s.power.drawKW} kW${s.power.limitKW ? ` of a ${s.power.limitKW} kW limit` : ''}`;
  a.lines.push(
    `${a.station(src, id)}: ${s.queue.waiting} waiting, predicted wait ${Math.round(wait * 10) / 10} min; ${stock}; ` +
      `chargers ${Object.keys(s.chargers).length} known, ${faulted} faulted or offline; ${power}; state as of ${s.updatedAt ?? 'registration'}.`,
  );
  const risks = stateRisks(s, wait, src.agents.thresholds).reasons;
  if (risks.length) a.lines.push(`Risks: ${risks.join('; ')}.`);
  const latest = (await src.decisions.list({ stationId: id, limit: 1 })).items[0];
  if (latest) a.lines.push(`Latest decision: ${a.decision(latest)}.`);
}

const HELP = [
  'I can answer, from live data:',
  '- "why did station <id> take charger C1 offline" (or any action): the decision and its explanation;',
  '- "which stations are at risk";',
  '- "what happened in the last hour" (or "today", "last 3 hours");',
  '- "status of <station>";',
  '- how to approve or reject a decision, or change a threshold (the chat itself never acts).',
].join('\n');

/** `now` (ms) anchors relative windows such as "the last hour". */
export async function fallbackAnswer(
  src: ChatSources,
  input: { message: string; stationId?: string },
  now: number,
  reason: string,
): Promise<FallbackAnswer> {
  const a = new Answer(reason);
  const intent = classify(input.message, input.stationId, src.stations);
  if (intent.kind === 'why') await explainDecision(src, a, intent);
  else if (intent.kind === 'risk') await risk(src, a);
  else if (intent.kind === 'recent') await recent(src, a, intent, now);
  else if (intent.kind === 'act') await act(src, a, intent);
  else if (intent.kind === 'station') await station(src, a, intent.stationId);
  else a.lines.push(HELP);
  return a.done();
}
