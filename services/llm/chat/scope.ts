// What the chat may read for one user: the same sources, narrowed to the user's stations, so
// tools, citations and the fallback never show (or confirm) a station or decision out of scope.
import type { StationStore } from '../../pipeline/index.js';
import type { DecisionQuery, DecisionFilter } from '../../pipeline/index.js';
import type { AuditQuery } from '../../audit/index.js';
import { AppError } from '../../platform/index.js';
import type { ChatSources } from './risk.js';

export function scopedSources(src: ChatSources, scope: string[] | 'all'): ChatSources {
  if (scope === 'all') return src;
  const allowed = new Set(scope);
  // Views over the live objects: everything not overridden (predictedWait, thresholds...) reads through.
  const stations = Object.create(src.stations, {
    has: { value: (id: string) => allowed.has(id) && src.stations.has(id) },
    get: { value: (id: string) => (allowed.has(id) ? src.stations.get(id) : undefined) },
    list: { value: () => src.stations.list().filter((s) => allowed.has(s.id)) },
    size: { get: () => src.stations.list().filter((s) => allowed.has(s.id)).length },
  }) as StationStore;
  const decisions = Object.create(src.decisions, {
    list: {
      value: (f: DecisionFilter) =>
        f.stationId && !allowed.has(f.stationId)
          ? Promise.resolve({ items: [], nextCursor: null })
          : src.decisions.list({ ...f, ...(f.stationId ? {} : { stationIds: [...allowed] }) }),
    },
    get: { value: async (id: string) => ((await visible(id)) ? src.decisions.get(id) : null) },
    getDoc: { value: async (id: string) => ((await visible(id)) ? src.decisions.getDoc(id) : null) },
  }) as DecisionQuery;
  const visible = async (id: string) => {
    const doc = await src.decisions.getDoc(id);
    return doc !== null && allowed.has(doc.stationId);
  };
  const audit = Object.create(src.audit, {
    verify: {
      value: async (id: string) => {
        if (!(await visible(id))) throw new AppError(404, 'UNKNOWN_DECISION', `decision ${id} does not exist`, [{ field: 'id' }]);
        return src.audit.verify(id);
      },
    },
  }) as AuditQuery;
  return { stations, decisions, audit, agents: src.agents };
}
