// The /dashboard namespace: clients subscribe to stations and receive live events.
import type { Namespace } from 'socket.io';
import Joi from 'joi';
import { listen, type ArgOf, type BusEventName, type EventBus, type ListenerErrorSink } from '../eventBus/index.js';
import type { DecisionRecord, StationState } from '../eventBus/types.js';
import { inScope, type Identity, type PublicUser } from '../services/access/index.js';
import type { InAppDelivery } from '../services/notify/index.js';
import { stationSummary, type StationStore } from '../services/pipeline/index.js';
import { protoKeyRefusal } from '../services/platform/index.js';
import { bucketOf } from '../utils/ids.js';
import { requireSocketUser } from './auth.js';
import { guardSessions, type SocketQuota } from './session.js';
import { watchers } from './dashboardWatch.js';

const ALL_ROOM = 'all';
const room = (stationId: string) => `station:${stationId}`;

/**
 * The intervals a dashboard may take `station:updated` at instead of once per signal: at most one event
 * per station per interval, carrying the latest state. A screen of 200 stations at 1,500 signals/s gets
 * 1,500 events a second per signal, and reads none of them faster than it paints; a fixed set keeps the
 * rooms and the timers bounded whatever clients ask.
 */
export const EVERY_MS = [250, 500, 1000, 2000, 5000] as const;
type Every = 0 | (typeof EVERY_MS)[number];
/** The phases of an interval a coalesced station is sent in: its id picks one. */
const SLOTS = 10;
export const slotOf = (stationId: string) => bucketOf(stationId, SLOTS);
/** The rooms of one interval: `station:<id>` and `all` per signal, `station:<id>~<ms>` and `all~<ms>` coalesced. */
const roomEvery = (name: string, every: Every) => (every ? `${name}~${every}` : name);

/** Station rooms one socket may be in by id; past that, "*" (every station in scope) is the way. */
export const MAX_SUBSCRIBED = 1000;

const subscribeSchema = Joi.object({
  stationIds: Joi.alternatives()
    .try(Joi.string().valid('*'), Joi.array().items(Joi.string().max(64)).min(1).max(MAX_SUBSCRIBED).unique())
    .required(),
  every: Joi.number()
    .valid(0, ...EVERY_MS)
    .default(0)
    .messages({ 'any.only': `"every" must be 0 (every signal) or one of ${EVERY_MS.join(', ')} (ms)` }),
});

/** What a live dashboard shows; the full record (evidence, rejected, trail) is one GET /api/decisions/:id away. */
export function decisionSummary(r: DecisionRecord) {
  return {
    id: r.id,
    stationId: r.stationId,
    signalId: r.signalId,
    ts: r.ts,
    status: r.status,
    risk: r.risk,
    actions: r.actions.map((a) => ({ agent: a.agent, action: a.action, params: a.params, urgency: a.urgency })),
    rejected: r.rejected.length,
    conflicts: r.conflicts.length,
    hash: r.hash,
    explanation: { text: r.explanation.text, source: r.explanation.source },
    anchor: { status: r.anchor.status },
    createdAt: r.createdAt,
  };
}

export interface DashboardDeps {
  identity: Identity;
  bus: EventBus;
  stations: Pick<StationStore, 'has' | 'predictedWait'>;
  report: ListenerErrorSink;
  quota: SocketQuota;
  /** Other instances' dashboards get this one's events through the adapter (socket/cluster.ts). */
  clustered?: boolean;
}

/** A dashboard subscribes and renews now and then; it receives far more than it sends. */
const DASHBOARD_EVENTS_PER_S = 20;

/** Live notifications to a user's open dashboards (the notification service is built with it). */
export function dashboardDelivery(ns: Namespace): InAppDelivery {
  return {
    created: (userId, n) => void ns.to(`user:${userId}`).emit('notification:created', n),
    updated: (userId, n) => void ns.to(`user:${userId}`).emit('notification:updated', n),
  };
}

/** Returns the stop of its timers. */
export function attachDashboard(ns: Namespace, s: DashboardDeps): () => void {
  ns.use(requireSocketUser(s.identity, 'operator', 'auditor'));
  guardSessions(ns, s.identity, { quota: s.quota, eventsPerS: DASHBOARD_EVENTS_PER_S });
  ns.on('connection', (socket) => {
    const user = socket.data.user as PublicUser;
    // Notifications go to the user's own room.
    void socket.join(`user:${user.id}`);
    const handle = (join: boolean) => (payload: unknown, cb: unknown) => {
      const ack = typeof cb === 'function' ? (cb as (a: unknown) => void) : () => undefined;
      const refused = protoKeyRefusal(payload);
      if (refused) {
        ack(refused);
        return;
      }
      const { error, value } = subscribeSchema.validate(payload);
      if (error) {
        ack({
          ok: false,
          error: {
            code: 'VALIDATION_FAILED',
            message: error.message,
            details: [{ field: error.details[0].path.join('.') || 'stationIds' }],
          },
        });
        return;
      }
      const ids: string[] | '*' = value.stationIds;
      const every: Every = value.every;
      if (ids !== '*') {
        // Out of scope reads as unknown: ids cannot be probed.
        const unknown = ids.filter((id) => !s.stations.has(id) || !inScope(user, id));
        if (unknown.length) {
          ack({
            ok: false,
            error: { code: 'UNKNOWN_STATION', message: `unknown stations: ${unknown.join(', ')}`, details: [{ field: 'stationIds' }] },
          });
          return;
        }
      }
      // "*" is every station the user may see: the all-stations room only for all-scope users.
      const rooms = (ids === '*' ? (user.stationScope === 'all' ? [ALL_ROOM] : user.stationScope.map(room)) : ids.map(room)).map((r) =>
        roomEvery(r, every),
      );
      if (join && ids !== '*') {
        const held = [...socket.rooms].filter((r) => r.startsWith('station:') && !rooms.includes(r)).length;
        if (held + rooms.length > MAX_SUBSCRIBED) {
          ack({
            ok: false,
            error: {
              code: 'TOO_MANY_SUBSCRIPTIONS',
              message: `a dashboard follows at most ${MAX_SUBSCRIBED} stations by id; unsubscribe some, or subscribe to "*"`,
              details: [{ field: 'stationIds' }],
            },
          });
          return;
        }
      }
      if (join) void socket.join(rooms);
      else for (const r of rooms) void socket.leave(r);
      watching.changed();
      ack({ ok: true, stationIds: ids, ...(every ? { every } : {}) });
    };
    socket.on('disconnect', () => watching.changed());
    socket.on('subscribe', handle(true));
    socket.on('unsubscribe', handle(false));
  });

  // Building and encoding a payload per signal is hot-path work: skip it when nobody is watching.
  const watching = watchers(ns, s.clustered === true);
  const watchedAt = (stationId: string, every: Every) =>
    watching.has(roomEvery(ALL_ROOM, every)) || watching.has(roomEvery(room(stationId), every));
  const INTERVALS: Every[] = [0, ...EVERY_MS];
  // Decisions are few: with other instances they are always sent, so a dashboard that subscribed on
  // another instance a moment ago misses none while word of it travels.
  const watched = (stationId: string) => s.clustered === true || INTERVALS.some((every) => watchedAt(stationId, every));
  /** Every room a station's events reach, per signal or coalesced: a socket in several gets one copy. */
  const everyRoom = (stationId: string) => INTERVALS.flatMap((every) => [roomEvery(room(stationId), every), roomEvery(ALL_ROOM, every)]);

  const updatedEvent = (state: StationState, signalId: string) => ({
    id: state.id,
    stationId: state.id,
    signalId,
    version: state.version,
    station: stationSummary(state, s.stations.predictedWait(state)),
  });
  // Per interval, the latest update of each station not yet sent: bounded by the stations, as a
  // station's next update replaces its entry, and the summary is built once, when it is sent. Stations
  // are spread over SLOTS phases of the interval by their id, so a screen of 200 stations gets a few
  // dozen every tenth of it, not 200 at once (one burst to build here and one to lay out there).
  const coalesced = EVERY_MS.map((every) => {
    const step = every / SLOTS;
    const latest = new Map<string, { state: StationState; signalId: string; slot: number }>();
    let timer: NodeJS.Timeout | null = null;
    const tick = () => {
      timer = null;
      const slot = Math.floor(Date.now() / step) % SLOTS;
      for (const [id, u] of latest) {
        if (u.slot !== slot) continue;
        latest.delete(id);
        ns.to([roomEvery(room(id), every), roomEvery(ALL_ROOM, every)]).emit('station:updated', updatedEvent(u.state, u.signalId));
      }
      if (latest.size) schedule();
    };
    // The next slot boundary, so each slot's tick falls inside it however late the timer runs.
    const schedule = () => {
      timer = setTimeout(tick, step - (Date.now() % step) + 1).unref();
    };
    return {
      every,
      add(state: StationState, signalId: string) {
        latest.set(state.id, { state, signalId, slot: latest.get(state.id)?.slot ?? slotOf(state.id) });
        if (!timer) schedule();
      },
    };
  });

  const on = <E extends BusEventName>(event: E, handler: (payload: ArgOf<E>) => void) =>
    listen(s.bus, event, 'socket.dashboard', handler, s.report);
  on('station.updated', ({ state, signalId }) => {
    if (watchedAt(state.id, 0)) ns.to([room(state.id), ALL_ROOM]).emit('station:updated', updatedEvent(state, signalId));
    for (const c of coalesced) if (watchedAt(state.id, c.every)) c.add(state, signalId);
  });
  on('decision.logged', ({ record }) => {
    if (!watched(record.stationId)) return;
    ns.to(everyRoom(record.stationId)).emit('decision:created', decisionSummary(record));
  });
  on('decision.anchored', ({ id, stationId, anchor }) => {
    if (!watched(stationId)) return;
    const { status, reason, batch, root, txHash, blockNumber, chainId, contract } = anchor;
    ns.to(everyRoom(stationId)).emit('decision:anchored', {
      id,
      stationId,
      status,
      reason,
      batchId: batch,
      root,
      txHash,
      blockNumber,
      chainId,
      contract,
    });
  });
  on('decision.approved', ({ id, stationId, approval }) => {
    if (!watched(stationId)) return;
    ns.to(everyRoom(stationId)).emit('decision:approved', {
      id,
      stationId,
      outcome: approval.outcome,
      by: approval.by,
      note: approval.note,
      at: approval.at,
      hash: approval.hash,
    });
  });
  on('decision.outcome', ({ id, stationId, outcome: o }) => {
    if (!watched(stationId)) return;
    ns.to(everyRoom(stationId)).emit('decision:outcome', {
      id,
      stationId,
      ref: o.ref,
      kind: o.kind,
      actionId: o.actionId,
      action: o.action,
      target: o.target,
      actuator: o.actuator,
      outcome: o.outcome,
      detail: o.detail,
      at: o.at,
      latencyMs: o.latencyMs,
      hash: o.hash,
    });
  });
  on('plan.updated', ({ stationId, plan, decisionId, cause }) => {
    if (!watched(stationId)) return;
    ns.to(everyRoom(stationId)).emit('plan:updated', { id: stationId, stationId, decisionId, cause, actions: plan.actions });
  });
  on('decision.explained', (e) => {
    if (!watched(e.stationId)) return;
    ns.to(everyRoom(e.stationId)).emit('decision:explained', e);
  });
  return () => watching.stop();
}
