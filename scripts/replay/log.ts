// The replay log (`npm run export` writes it, `npm run replay` reads it): NDJSON, one record a line.
// What a fresh pipeline needs to remake the decisions: the stations, the agents' settings, the signals
// in the order the server took them in, and the decisions the server made (id and hash) to compare.
import type { AgentName, AgentThresholds, Decision, Signal, StationRegistration, SupervisorPolicy } from '../../eventBus/types.js';
import { DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import { canonicalDecision } from '../../services/audit/index.js';
import { OfflinePipeline, nearbyReach, policyVersionOf } from '../../services/pipeline/index.js';

export type LogLine =
  | { kind: 'station'; station: StationRegistration; registeredAt?: string }
  | { kind: 'settings'; thresholds: AgentThresholds; policy: SupervisorPolicy; policyVersion: string; disabled: AgentName[] }
  | { kind: 'signal'; signal: Signal; receivedAt?: string }
  | { kind: 'decision'; id: string; stationId: string; hash: string };

export function parseLog(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        throw new Error(`line ${i + 1} is not JSON`);
      }
    });
}

export interface ReplayReport {
  signals: number;
  decisionsRecorded: number;
  decisionsReplayed: number;
  identical: number;
  /** Same id, another hash. */
  differing: string[];
  /** Recorded but not made again. */
  missing: string[];
  /** Made again but never recorded. */
  extra: string[];
  policyVersion: { recorded: string; replayed: string };
  ok: boolean;
}

/** Feeds the log's signals through a fresh offline pipeline and compares every decision hash. */
export function replay(lines: LogLine[]): ReplayReport {
  const stations = lines.flatMap((l) => (l.kind === 'station' ? [l.station] : []));
  const settings = lines.find((l): l is Extract<LogLine, { kind: 'settings' }> => l.kind === 'settings');
  if (!settings) throw new Error('the log has no settings line (thresholds and policy)');
  if (stations.length === 0) throw new Error('the log has no station');
  const replayedVersion = policyVersionOf(settings.thresholds, settings.policy);
  // A station joins between the signals received before and after its registration, as it did live
  // (it is a neighbour, in others' `nearby`, only from then on). Logs without the times register all first.
  const timed = lines
    .flatMap((l) => (l.kind === 'station' && l.registeredAt !== undefined ? [l] : []))
    .sort((a, b) => (a.registeredAt! < b.registeredAt! ? -1 : a.registeredAt! > b.registeredAt! ? 1 : 0));
  const upFront = lines.flatMap((l) => (l.kind === 'station' && l.registeredAt === undefined ? [l.station] : []));
  const pipeline = new OfflinePipeline(
    upFront,
    { thresholds: settings.thresholds, policy: settings.policy, policyVersion: replayedVersion, disabled: settings.disabled },
    nearbyReach(settings.thresholds),
  );
  const made = new Map<string, string>();
  let signals = 0;
  let joined = 0;
  for (const l of lines) {
    if (l.kind !== 'signal') continue;
    while (joined < timed.length && (l.receivedAt === undefined || timed[joined]!.registeredAt! <= l.receivedAt))
      pipeline.register(timed[joined++]!.station);
    signals++;
    const d: Decision | null = pipeline.ingest(l.signal);
    if (d) made.set(d.id, canonicalDecision(d).hash);
  }
  while (joined < timed.length) pipeline.register(timed[joined++]!.station);
  const recorded = new Map(lines.flatMap((l) => (l.kind === 'decision' ? [[l.id, l.hash] as const] : [])));
  const differing = [...recorded].filter(([id, h]) => made.has(id) && made.get(id) !== h).map(([id]) => id);
  const missing = [...recorded.keys()].filter((id) => !made.has(id));
  const extra = [...made.keys()].filter((id) => !recorded.has(id));
  const identical = [...recorded].filter(([id, h]) => made.get(id) === h).length;
  return {
    signals,
    decisionsRecorded: recorded.size,
    decisionsReplayed: made.size,
    identical,
    differing,
    missing,
    extra,
    policyVersion: { recorded: settings.policyVersion, replayed: replayedVersion },
    ok: differing.length === 0 && missing.length === 0 && extra.length === 0,
  };
}

/** Thresholds as GET /api/agents lists them (per agent), back into one object. */
export function thresholdsOf(items: { name: AgentName; thresholds: unknown }[]): AgentThresholds {
  const out = structuredClone(DEFAULT_THRESHOLDS) as unknown as Record<string, unknown>;
  for (const a of items) out[a.name] = a.thresholds;
  return out as unknown as AgentThresholds;
}
