// Deterministic template explanations. They quote only numbers found in the
// proposals' evidence, so an auditor can check every figure against the record.
import type { ActionName, AgentName, Decision, Evidence, Proposal, StoppedAction } from '../../../eventBus/types.js';
import { planKey } from '../../../agents/index.js';

export const TEMPLATE_PROMPT_VERSION = 'template-v2';

const ACTION_PHRASES: Record<ActionName, string> = {
  offer_incentive: 'offer arriving drivers an incentive to use a nearby station',
  divert_staff: 'move staff over from a less busy nearby station',
  open_bay: 'open another swap bay',
  request_rebalance: 'bring charged packs over from a nearby station',
  prioritize_charging: 'charge the packs on hand first',
  offer_surplus: 'offer surplus charged packs to nearby stations',
  quarantine_battery: 'take a worn battery pack out of circulation',
  schedule_maintenance: 'schedule maintenance for a charger at risk of failing',
  take_charger_offline: 'take a faulty charger offline',
  derate_charger: "lower a hot charger's power (derate it)",
  reset_charger: 'reset a faulted charger remotely',
  escalate_ticket: 'open a fault ticket for a technician',
  curtail_charging: 'reduce charging power to stay under the grid limit',
  defer_charging: 'postpone charging while power is expensive',
  boost_charging: 'charge more while power is cheap',
  flag_anomaly: 'flag an unusual reading for review',
  veto: "block another agent's proposal",
};

const AGENT_LABELS: Record<AgentName, string> = {
  traffic: 'Traffic',
  logistics: 'Logistics',
  mechanic: 'Mechanic',
  energy: 'Energy',
  auditor: 'Auditor',
};

// Most specific suffix first: `tempTrendCPerMin` is C per min, not min.
const UNITS: [RegExp, string][] = [
  [/CPerMin$/, 'C per min'],
  [/PerMin$/, 'per min'],
  [/PerKWh$/, 'per kWh'],
  [/PerMinute$/, 'per min'],
  [/Min$/, 'min'],
  [/Minutes$/, 'min'],
  [/KW$/, 'kW'],
  [/Km$/, 'km'],
  [/Pct$/, '%'],
  [/C$/, 'C'],
  [/S$/, 's'],
  [/Seconds$/, 's'],
];

/** `predictedWaitMin` -> `predicted wait min`. */
export function humanizeKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[_.]/g, ' ')
    .toLowerCase();
}

interface KeyLabel {
  plain: string;
  /** Name without the unit suffix, and the unit, when the key ends in one. */
  name: string | null;
  unit: string | null;
}

// Evidence keys are a small fixed set, and this runs for every decision: label each key once.
const keyLabels = new Map<string, KeyLabel>();

function labelOf(key: string): KeyLabel {
  let label = keyLabels.get(key);
  if (label) return label;
  label = { plain: humanizeKey(key), name: null, unit: null };
  for (const [re, unit] of UNITS) {
    if (re.test(key) && key.replace(re, '') !== '') {
      label.name = humanizeKey(key.replace(re, ''));
      label.unit = unit;
      break;
    }
  }
  if (keyLabels.size < 10_000) keyLabels.set(key, label);
  return label;
}

/** One evidence entry as text, its unit taken from the key's suffix: `drawKW: 48.5` -> `draw 48.5 kW`. */
export function formatEntry(key: string, value: number | string | boolean): string {
  const label = labelOf(key);
  if (typeof value === 'boolean') return `${label.plain}: ${value ? 'yes' : 'no'}`;
  if (typeof value === 'number' && label.unit)
    return label.unit === '%' ? `${label.name} ${value}%` : `${label.name} ${value} ${label.unit}`;
  return `${label.plain} ${String(value)}`;
}

function formatEvidence(evidence: Evidence): string {
  // The agent's own order reads best (it puts the deciding figures first); it survives JSON round trips.
  const parts = Object.keys(evidence).map((k) => formatEntry(k, evidence[k]));
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function describe(p: Proposal): string {
  return `${AGENT_LABELS[p.agent]}: ${ACTION_PHRASES[p.action] ?? p.action}${formatEvidence(p.evidence)}.`;
}

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

export function templateExplanation(decision: Decision): string {
  const lines: string[] = [];
  const changes = decision.changes ?? { started: [], adjusted: [], stopped: [] };
  const words = (k: number, what: string) => `${NUMBER_WORDS[k] ?? 'many'} ${what}${k === 1 ? '' : 's'}`;
  // Counts in words: the only digits in the text are evidence figures and ids.
  const parts = [
    changes.started.length ? `${words(changes.started.length, 'action')} started` : '',
    changes.adjusted.length ? `${words(changes.adjusted.length, 'action')} adjusted` : '',
    changes.stopped.length ? `${words(changes.stopped.length, 'action')} stopped` : '',
  ].filter(Boolean);
  const after =
    decision.signalType === 'operator_release' ? "at an operator's request" : `after a ${decision.signalType.replace(/_/g, ' ')} signal`;
  lines.push(`Station ${decision.stationId}, ${after}, the plan changes: ${parts.join(', ') || 'nothing started or stopped'}.`);
  const adjusted = new Set(changes.adjusted.map((a) => a.id));
  for (const a of decision.actions) lines.push(`${adjusted.has(planKey(a)) ? 'Adjusted. ' : ''}${describe(a)}`);
  // Adjusted by the plan itself, not by an agent's new want: a curtailment's per-charger setpoints reshaped.
  const wanted = new Set(decision.actions.map(planKey));
  for (const a of changes.adjusted) {
    if (wanted.has(a.id)) continue;
    const chargers = Object.keys(a.to).filter((k) => k.startsWith('kW:')).length;
    lines.push(
      `Adjusted. ${AGENT_LABELS[a.agent]}: ${ACTION_PHRASES[a.action] ?? a.action}, its power shared again among ${words(chargers, 'charger')}.`,
    );
  }
  for (const s of changes.stopped) lines.push(stoppedLine(s));
  for (const r of decision.rejected) {
    lines.push(
      `Not done: ${AGENT_LABELS[r.proposal.agent]} wanted to ${ACTION_PHRASES[r.proposal.action] ?? r.proposal.action}, set aside by the ${humanizeKey(r.rule)} rule.`,
    );
  }
  lines.push(`Risk is ${decision.risk.level}.`);
  if (decision.status === 'pending_approval') lines.push('An operator must approve this before it is carried out.');
  return lines.join(' ');
}

function stoppedLine(s: StoppedAction): string {
  switch (s.reason) {
    case 'operator':
      return operatorLine(s);
    case 'released':
      return `Stopped: ${AGENT_LABELS[s.agent]} no longer will ${ACTION_PHRASES[s.action] ?? s.action} (no longer needed).`;
    case 'expired':
      return `Stopped: ${AGENT_LABELS[s.agent]} no longer will ${ACTION_PHRASES[s.action] ?? s.action} (its time ran out).`;
    case 'superseded':
      return `Stopped: ${AGENT_LABELS[s.agent]} no longer will ${ACTION_PHRASES[s.action] ?? s.action} (superseded by the ${humanizeKey(s.note.split(':')[0] ?? 'priority')} rule).`;
    case 'done':
      return `Done: ${AGENT_LABELS[s.agent]}'s request to ${ACTION_PHRASES[s.action] ?? s.action} is complete (the packs are due now).`;
    case 'cancelled':
      return `Cancelled: ${AGENT_LABELS[s.agent]} no longer needs to ${ACTION_PHRASES[s.action] ?? s.action} (cancelled before the packs left).`;
    case 'failed':
      return `Not carried out: the equipment did not ${ACTION_PHRASES[s.action] ?? s.action} (${s.note}); it is out of the plan and not proposed again for a while.`;
  }
}

/** An operator's release, said plainly: what came back, and who said so. */
function operatorLine(s: StoppedAction): string {
  const who = s.operator ? `the operator ${s.operator.by}` : 'an operator';
  const note = s.operator?.note ? ` Their note: "${s.operator.note}".` : '';
  if (s.action === 'take_charger_offline') return `Returned to service: ${who} returned charger ${s.target} to service.${note}`;
  if (s.action === 'quarantine_battery') return `Released: ${who} released battery pack ${s.target} from quarantine.${note}`;
  if (s.action === 'escalate_ticket' && s.note.startsWith('closed with '))
    return `Closed with it: the fault ticket for charger ${s.target}.`;
  return `Stopped by ${who}: ${AGENT_LABELS[s.agent]} no longer will ${ACTION_PHRASES[s.action] ?? s.action}.${note}`;
}

/** What the decision logger gives every record at birth. */
export const TEMPLATE_EXPLAINER = { promptVersion: TEMPLATE_PROMPT_VERSION, explain: templateExplanation };
