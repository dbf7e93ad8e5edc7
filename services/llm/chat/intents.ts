// What an operator's message asks, read by keywords alone: the deterministic fallback's only
// understanding of language. Pure, so it is tested on strings.
import type { ActionName } from '../../../eventBus/types.js';

export type ActRequest = 'approval' | 'thresholds' | 'agent' | 'other';

export type Intent =
  | { kind: 'why'; stationId: string | null; decisionId: string | null; action: ActionName | null; chargerId: string | null }
  | { kind: 'act'; what: ActRequest; decisionId: string | null }
  | { kind: 'risk' }
  | { kind: 'recent'; sinceMs: number; label: string }
  | { kind: 'station'; stationId: string }
  | { kind: 'help' };

export interface StationIndex {
  has(id: string): boolean;
  list(): { id: string; name: string }[];
}

/** Most specific first: "take charger offline" is not "charging". */
const ACTION_WORDS: [RegExp, ActionName][] = [
  [/take_charger_offline|offline|out of service|shut (?:it )?down/, 'take_charger_offline'],
  [/escalat|ticket/, 'escalate_ticket'],
  [/quarantin/, 'quarantine_battery'],
  [/maintenance|service (?:the )?charger/, 'schedule_maintenance'],
  [/incentive|discount|bonus/, 'offer_incentive'],
  [/divert|staff/, 'divert_staff'],
  [/open(?:ed)? (?:a |another )?bay|open_bay/, 'open_bay'],
  [/rebalanc|more packs|packs from/, 'request_rebalance'],
  [/surplus/, 'offer_surplus'],
  [/priorit/, 'prioritize_charging'],
  [/curtail|reduce(?:d)? (?:charging|power)|shed/, 'curtail_charging'],
  [/defer|postpone|delay(?:ed)? charging/, 'defer_charging'],
  [/boost/, 'boost_charging'],
  [/anomal|flag/, 'flag_anomaly'],
  [/veto/, 'veto'],
];

const ACT =
  /\b(approve|reject|accept|deny|confirm|disable|enable|turn (?:on|off)|switch (?:on|off)|change|set|raise|lower|increase|decrease|tune|adjust|modify|override|execute|restart|reboot|dispatch|cancel|take\b.*\boffline|put\b.*\boffline)\b/;
const WHY = /\b(why|explain|reason|how come|what did)\b/;
const RISK = /\b(at risk|risks?|risky|in trouble|problems?|issues?|warnings?|alerts?|critical|danger)\b/;
const RECENT = /\b(happen(?:ed|ing)?|recent(?:ly)?|lately|today|last|past|latest|news|summary|overview|going on)\b/;

function tokens(message: string): string[] {
  return (message.match(/[A-Za-z0-9][A-Za-z0-9._:~-]*/g) ?? []).map((t) => t.replace(/[.:-]+$/, ''));
}

/** A registered station the message names by id or by name (the longest name wins), else none. */
export function mentionedStation(message: string, stations: StationIndex): string | null {
  for (const t of tokens(message)) if (stations.has(t)) return t;
  const lower = message.toLowerCase();
  let best: { id: string; len: number } | null = null;
  for (const s of stations.list()) {
    const name = s.name.toLowerCase();
    if (name.length >= 3 && lower.includes(name) && (!best || name.length > best.len)) best = { id: s.id, len: name.length };
  }
  return best?.id ?? null;
}

function window(lower: string): { sinceMs: number; label: string } {
  const n = /\b(?:last|past)\s+(\d{1,4})?\s*(minute|min|hour|hr|h|day)s?\b/.exec(lower);
  if (n) {
    const count = n[1] ? Number(n[1]) : 1;
    const unit = n[2].startsWith('m') ? 60_000 : n[2] === 'day' ? 86_400_000 : 3_600_000;
    const name = n[2].startsWith('m') ? 'minute' : n[2] === 'day' ? 'day' : 'hour';
    return { sinceMs: count * unit, label: `the last ${count === 1 ? name : `${count} ${name}s`}` };
  }
  if (/\btoday\b/.test(lower)) return { sinceMs: -1, label: 'today (UTC)' };
  return { sinceMs: 3_600_000, label: 'the last hour' };
}

export function classify(message: string, stationId: string | undefined, stations: StationIndex): Intent {
  const lower = message.toLowerCase();
  const named = mentionedStation(message, stations);
  const decisionId = tokens(message).find((t) => t.startsWith('dec-')) ?? null;
  if (WHY.test(lower)) {
    const action = ACTION_WORDS.find(([re]) => re.test(lower))?.[1] ?? null;
    const chargerId = /\bcharger\s+([A-Za-z0-9][A-Za-z0-9._:-]*)/i.exec(message)?.[1]?.replace(/[.:-]+$/, '') ?? null;
    return { kind: 'why', stationId: named ?? stationId ?? null, decisionId, action, chargerId };
  }
  if (ACT.test(lower)) {
    const what: ActRequest = /\b(approve|reject|accept|deny|confirm)\b/.test(lower)
      ? 'approval'
      : /threshold|limit|budget|policy/.test(lower)
        ? 'thresholds'
        : /\bagents?\b/.test(lower)
          ? 'agent'
          : 'other';
    return { kind: 'act', what, decisionId };
  }
  if (RISK.test(lower)) return { kind: 'risk' };
  if (RECENT.test(lower)) return { kind: 'recent', ...window(lower) };
  const station = named ?? stationId;
  if (station) return { kind: 'station', stationId: station };
  return { kind: 'help' };
}
