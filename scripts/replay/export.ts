// Reads what a replay needs from a running copilot over its API (an auditor's token is enough).
import type { AgentName, Signal, StationRegistration, SupervisorPolicy } from '../../eventBus/types.js';
import { thresholdsOf, type LogLine } from './log.js';

async function get<T>(base: string, token: string, path: string): Promise<T> {
  const res = await fetch(`${base.replace(/\/$/, '')}/api${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /api${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as T;
}

/** The replay log of every station the token may see. */
export async function exportLog(base: string, token: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  const stations: (StationRegistration & { registeredAt?: string | null })[] = [];
  for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
    const page: { items: (StationRegistration & { registeredAt?: string | null })[]; nextCursor: string | null } = await get(
      base,
      token,
      `/stations?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    stations.push(...page.items);
    cursor = page.nextCursor;
  }
  for (const s of stations)
    lines.push({
      kind: 'station',
      station: { id: s.id, name: s.name, location: s.location, capacity: s.capacity },
      ...(s.registeredAt ? { registeredAt: s.registeredAt } : {}),
    });
  const agents: { items: { name: AgentName; enabled: boolean; thresholds: unknown }[]; policy: SupervisorPolicy } = await get(
    base,
    token,
    '/agents',
  );
  const plan: { policyVersion: string } | null = stations.length
    ? await get(base, token, `/stations/${encodeURIComponent(stations[0]!.id)}/plan`)
    : null;
  lines.push({
    kind: 'settings',
    thresholds: thresholdsOf(agents.items),
    policy: agents.policy,
    policyVersion: plan?.policyVersion ?? '',
    disabled: agents.items.filter((a) => !a.enabled).map((a) => a.name),
  });
  for (let after: string | null = null, first = true; first || after !== null; first = false) {
    const page: { items: (Signal & { receivedAt?: string })[]; nextCursor: string | null } = await get(
      base,
      token,
      `/audit/signals?limit=5000${after ? `&after=${after}` : ''}`,
    );
    for (const { receivedAt, ...signal } of page.items)
      lines.push({ kind: 'signal', signal: signal as Signal, ...(receivedAt ? { receivedAt } : {}) });
    after = page.nextCursor;
  }
  for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
    const page: { items: { id: string; stationId: string; hash: string }[]; nextCursor: string | null } = await get(
      base,
      token,
      `/decisions?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    for (const d of page.items) lines.push({ kind: 'decision', id: d.id, stationId: d.stationId, hash: d.hash });
    cursor = page.nextCursor;
  }
  return lines;
}
