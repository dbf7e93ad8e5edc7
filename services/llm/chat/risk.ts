// Which stations are at risk, from what the services already know: the live state against the
// agents' thresholds, and the risk the supervisor gave each station's recent decisions.
import type { AgentThresholds, DecisionRecord, StationState } from '../../../eventBus/types.js';
import type { AuditQuery } from '../../audit/index.js';
import type { AgentRegistry, DecisionQuery, StationStore } from '../../pipeline/index.js';

export interface ChatSources {
  stations: StationStore;
  decisions: DecisionQuery;
  audit: AuditQuery;
  agents: AgentRegistry;
}

export interface StationRisk {
  stationId: string;
  name: string;
  level: 'medium' | 'high';
  reasons: string[];
  /** Decisions behind the reasons (newest first), for citations. */
  decisionIds: string[];
}

/** Recent decisions looked at (newest first across all stations); older ones do not make a station "at risk". */
export const RECENT_DECISIONS = 200;

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Risks visible in the live state alone; `high` marks the ones that need someone now. */
export function stateRisks(s: StationState, waitMin: number, t: AgentThresholds): { reasons: string[]; high: boolean } {
  const reasons: string[] = [];
  let high = false;
  for (const c of Object.values(s.chargers)) {
    if (c.status === 'faulted' || c.status === 'offline')
      reasons.push(`charger ${c.id} ${c.status}${c.lastErrorCode ? ` (${c.lastErrorCode})` : ''}`);
    if (c.tempC !== null && c.tempC >= t.mechanic.tempLimitC) {
      reasons.push(`charger ${c.id} at ${c.tempC} C (limit ${t.mechanic.tempLimitC} C)`);
      high = true;
    }
  }
  if (waitMin >= t.traffic.waitMinutesHigh) reasons.push(`predicted wait ${round1(waitMin)} min (limit ${t.traffic.waitMinutesHigh} min)`);
  const { drawKW, limitKW } = s.power;
  if (drawKW !== null && limitKW && drawKW >= limitKW * t.energy.curtailFraction)
    reasons.push(`power draw ${drawKW} kW of a ${limitKW} kW limit`);
  if (s.inventory.updatedAt && s.inventory.charged === 0) {
    reasons.push('no charged packs in stock');
    high = true;
  }
  const worn = Object.values(s.batteries).filter((b) => !b.quarantined && b.sohPct < t.mechanic.sohQuarantinePct);
  if (worn.length) reasons.push(`${worn.length} battery pack(s) below ${t.mechanic.sohQuarantinePct}% health not quarantined`);
  return { reasons, high };
}

/** Stations at risk, highest level and most reasons first. */
export async function stationsAtRisk(src: ChatSources, limit: number): Promise<StationRisk[]> {
  const [recent, pending] = await Promise.all([
    src.decisions.list({ limit: RECENT_DECISIONS }),
    src.decisions.list({ status: 'pending_approval', limit: 50 }),
  ]);
  const latest = new Map<string, DecisionRecord>();
  for (const d of recent.items) if (!latest.has(d.stationId)) latest.set(d.stationId, d);
  const waiting = new Map<string, DecisionRecord[]>();
  for (const d of pending.items) waiting.set(d.stationId, [...(waiting.get(d.stationId) ?? []), d]);

  const out: StationRisk[] = [];
  const t = src.agents.thresholds;
  for (const s of src.stations.list()) {
    const { reasons, high } = stateRisks(s, src.stations.predictedWait(s), t);
    let level: StationRisk['level'] = high ? 'high' : 'medium';
    const decisionIds: string[] = [];
    const d = latest.get(s.id);
    if (d && d.risk.level !== 'low') {
      const why = d.risk.reasons.length ? ` (${d.risk.reasons.slice(0, 2).join('; ')})` : '';
      reasons.push(
        `latest decision has ${d.risk.level} risk${why}${d.status === 'pending_approval' ? " and waits for an operator's approval" : ''}`,
      );
      decisionIds.push(d.id);
      if (d.risk.level === 'high') level = 'high';
    }
    const earlier = (waiting.get(s.id) ?? []).filter((p) => !decisionIds.includes(p.id));
    if (earlier.length) {
      reasons.push(
        earlier.length === 1
          ? "an earlier decision waits for an operator's approval"
          : `${earlier.length} earlier decisions wait for an operator's approval`,
      );
      decisionIds.push(...earlier.map((p) => p.id));
      level = 'high';
    }
    if (reasons.length) out.push({ stationId: s.id, name: s.name, level, reasons, decisionIds });
  }
  out.sort((a, b) =>
    a.level === b.level ? b.reasons.length - a.reasons.length || (a.stationId < b.stationId ? -1 : 1) : a.level === 'high' ? -1 : 1,
  );
  return out.slice(0, limit);
}
