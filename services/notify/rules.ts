// Who is told what, on which channel, and how often: pure rules over bus events, users and their
// preferences. Time is always an argument (an event's ts or the caller's clock), never read here.
import type { AnchorBatchChanged } from '../../eventBus/index.js';
import type { DecisionRecord, Proposal } from '../../eventBus/types.js';
import type { Role } from '../../models/index.js';
import type { PartReport } from '../platform/index.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Station events go to the station's operators; anchoring events to those who audit it; system events to everyone. */
export type Audience = 'station' | 'anchoring' | 'system';

export interface Alert {
  kind: string;
  severity: Severity;
  title: string;
  body: string;
  audience: Audience;
  /** What flaps: repeats of the same key at the same station are collapsed. */
  conditionKey: string;
  /** How a repeat is counted in the summary ("charger C1 faulted"). */
  subject: string;
  stationId?: string;
  decisionId?: string;
  /** False for an occurrence that is only a re-statement (a recovered charger re-escalated): collapsed, not counted. */
  counted?: boolean;
}

export interface QuietHours {
  /** Local wall time 'HH:MM'. */
  start: string;
  end: string;
  /** The user's offset from UTC in minutes (e.g. 60 for UTC+1). */
  tzOffsetMin: number;
}

export interface NotificationPrefs {
  onCall: boolean;
  pushMinSeverity: Severity;
  quietHours: QuietHours | null;
}

export const DEFAULT_PREFS: NotificationPrefs = { onCall: true, pushMinSeverity: 'high', quietHours: null };

/** Stockouts further away than this are the logistics agent's business, not a person's. */
export const STOCKOUT_NOTIFY_MINUTES = 30;
const STOCKOUT_HIGH_MINUTES = 10;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function matchAction(a: Proposal, record: DecisionRecord): Alert | null {
  const st = record.stationId;
  if (a.agent === 'mechanic' && a.action === 'escalate_ticket' && (num(a.params.level) === 3 || num(a.evidence.level) === 3)) {
    const charger = String(a.params.chargerId ?? a.evidence.chargerId ?? '?');
    const code = a.evidence.errorCode !== undefined ? ` (${String(a.evidence.errorCode)})` : '';
    return {
      kind: 'fault_escalation',
      severity: 'critical',
      title: `Charger ${charger} at ${st} needs a technician`,
      body: `Level-3 fault${code} on charger ${charger}: taken offline and escalated.`,
      audience: 'station',
      conditionKey: `charger:${charger}`,
      subject: `charger ${charger} faulted`,
      stationId: st,
      decisionId: record.id,
    };
  }
  if (a.agent === 'logistics') {
    const mts = num(a.evidence.minutesToStockout);
    if (mts !== null && mts < STOCKOUT_NOTIFY_MINUTES) {
      return {
        kind: 'stockout_predicted',
        severity: mts <= STOCKOUT_HIGH_MINUTES ? 'high' : 'medium',
        title: `Stockout at ${st} in about ${Math.round(mts)} min`,
        body: `Charged packs run out in about ${mts} min at the current swap rate (${String(a.action)} proposed).`,
        audience: 'station',
        conditionKey: 'stockout',
        subject: 'stockout predicted',
        stationId: st,
        decisionId: record.id,
      };
    }
  }
  if (a.agent === 'energy' && a.action === 'curtail_charging' && a.evidence.overLimit === true) {
    return {
      kind: 'grid_limit_breach',
      severity: 'high',
      title: `Grid limit exceeded at ${st}`,
      body: `Draw ${String(a.evidence.drawKW)} kW is over the ${String(a.evidence.limitKW)} kW limit; shedding ${String(a.params.shedKW)} kW.`,
      audience: 'station',
      conditionKey: 'grid_limit',
      subject: 'grid limit exceeded',
      stationId: st,
      decisionId: record.id,
    };
  }
  return null;
}

/**
 * At most one alert per decision, so one signal never pings a person twice: the most severe
 * condition names it, the others are mentioned in its body. Only the actions the supervisor kept
 * count: a vetoed proposal rested on data the auditor did not trust.
 */
/**
 * `chargerStatus` reads a charger's status right after the triggering signal, when known: a charger
 * reporting it is available again is re-escalated while its faults are recent, which is no new fault.
 */
export function alertFromDecision(record: DecisionRecord, chargerStatus?: (chargerId: string) => string | undefined): Alert | null {
  const found: Alert[] = [];
  if (record.status === 'pending_approval') {
    const names = record.actions.map((a) => a.action).join(', ');
    const charger = record.actions.map((a) => a.params.chargerId).find((c) => c !== undefined);
    found.push({
      kind: 'pending_approval',
      severity: 'high',
      title: `Decision at ${record.stationId} waits for an operator's approval`,
      body: `${names} needs approval (risk ${record.risk.level}: ${record.risk.reasons.join('; ') || 'no reason given'}).`,
      audience: 'station',
      // The approval a flapping charger asks for is the charger's condition, not a new one each time.
      conditionKey: charger !== undefined ? `charger:${String(charger)}` : `pending:${names}`,
      subject: charger !== undefined ? `charger ${String(charger)} faulted` : 'approval requested',
      stationId: record.stationId,
      decisionId: record.id,
    });
  }
  for (const s of record.changes.stopped) {
    if (s.reason !== 'failed') continue;
    found.push({
      kind: 'actuation_failed',
      severity: 'high',
      title: `${s.action} at ${record.stationId} was not carried out`,
      body: `The equipment did not carry out ${s.id} (${s.note}); it is out of the plan. Check the device or act by hand.`,
      audience: 'station',
      conditionKey: `actuation:${s.id}`,
      subject: `${s.id} not carried out`,
      stationId: record.stationId,
      decisionId: record.id,
    });
  }
  for (const a of record.actions) {
    const m = matchAction(a, record);
    if (m && !found.some((f) => f.kind === m.kind)) found.push(m);
  }
  if (!found.length) return null;
  const [top, ...rest] = [...found].sort((x, y) => severityRank(y.severity) - severityRank(x.severity));
  const pending = found.find((f) => f.kind === 'pending_approval');
  // A pending approval always says so, whatever outranks it: it is the one thing only a person can do.
  const title = pending && top !== pending ? `${top.title} (approval needed)` : top.title;
  const charger = top.conditionKey.startsWith('charger:') ? top.conditionKey.slice('charger:'.length) : null;
  const status = charger !== null && record.signalType === 'charger_status' ? chargerStatus?.(charger) : undefined;
  const counted = status === undefined || status === 'faulted';
  return { ...top, title, body: [top.body, ...rest.map((r) => r.title + '.')].join(' '), counted };
}

export function alertFromAnchorBatch(e: AnchorBatchChanged): Alert | null {
  if (e.status !== 'failed') return null;
  return {
    kind: 'anchoring_failed',
    severity: 'high',
    title: `Anchoring batch ${e.batchId} failed`,
    body: `${e.leafCount} records (root ${e.root.slice(0, 18)}…) were not anchored: ${e.reason ?? 'no reason given'}.`,
    audience: 'anchoring',
    conditionKey: 'anchoring',
    subject: 'anchoring failed',
  };
}

const WATCHED_PARTS: Record<string, string> = { db: 'Database', chain: 'Chain' };

/** Alerts for parts that went down since the previous report (a part that stays down is told once). */
/** The anchoring backlog crossing `threshold` leaves (once per crossing: it must fall back below first). */
export function alertFromAnchorBacklog(previous: number, backlog: number, threshold: number): Alert | null {
  if (!(backlog > threshold && previous <= threshold)) return null;
  return {
    kind: 'anchoring_backlog',
    severity: 'high',
    title: 'Anchoring is falling behind',
    body: `${backlog} records wait to be anchored (alert threshold ${threshold}); check the chain's health.`,
    audience: 'anchoring',
    conditionKey: 'anchoring-backlog',
    subject: 'anchoring backlog over threshold',
  };
}

export function alertsFromHealth(previous: Record<string, PartReport> | null, parts: Record<string, PartReport>): Alert[] {
  const out: Alert[] = [];
  for (const [name, label] of Object.entries(WATCHED_PARTS)) {
    const now = parts[name];
    if (!now || now.state !== 'down' || previous?.[name]?.state === 'down') continue;
    out.push({
      kind: `${name}_down`,
      severity: 'critical',
      title: `${label} is down`,
      body: `${label} reported down${now.detail ? `: ${now.detail}` : ''}.`,
      audience: 'system',
      conditionKey: `health:${name}`,
      subject: `${label.toLowerCase()} down`,
    });
  }
  return out;
}

export interface Recipient {
  id: string;
  role: Role;
  stationScope: string[] | 'all';
  disabled: boolean;
}

const AUDIENCE_ROLES: Record<Audience, Role[]> = {
  station: ['admin', 'operator'],
  anchoring: ['admin', 'auditor'],
  system: ['admin', 'operator', 'auditor'],
};

/**
 * Enabled users whose role is in the alert's audience and whose scope covers its station, minus
 * those off call. If nobody eligible is on call, everyone eligible is told: an alert must reach someone.
 */
export function resolveRecipients<U extends Recipient>(
  alert: Pick<Alert, 'audience' | 'stationId'>,
  users: U[],
  prefsOf: (userId: string) => NotificationPrefs,
): U[] {
  const eligible = users.filter(
    (u) =>
      !u.disabled &&
      AUDIENCE_ROLES[alert.audience].includes(u.role) &&
      (alert.stationId === undefined || u.stationScope === 'all' || u.stationScope.includes(alert.stationId)),
  );
  const onCall = eligible.filter((u) => prefsOf(u.id).onCall);
  return onCall.length ? onCall : eligible;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/** Whether `nowMs` falls in the user's quiet hours (a window may wrap midnight; start == end is empty). */
export function inQuietHours(q: QuietHours | null, nowMs: number): boolean {
  if (!q) return false;
  const local = (((Math.floor(nowMs / 60_000) + q.tzOffsetMin) % 1440) + 1440) % 1440;
  const start = minutesOf(q.start);
  const end = minutesOf(q.end);
  if (start === end) return false;
  return start < end ? local >= start && local < end : local >= start || local < end;
}

export type Channel = 'in_app' | 'push';

/** In-app always; push when subscribed, at or above the user's threshold, and not in quiet hours (critical ignores them). */
export function resolveChannels(severity: Severity, prefs: NotificationPrefs, hasPushSubscription: boolean, nowMs: number): Channel[] {
  const out: Channel[] = ['in_app'];
  if (!hasPushSubscription || severityRank(severity) < severityRank(prefs.pushMinSeverity)) return out;
  if (severity !== 'critical' && inQuietHours(prefs.quietHours, nowMs)) return out;
  out.push('push');
  return out;
}
