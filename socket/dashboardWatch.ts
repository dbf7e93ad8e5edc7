// Which stations dashboards watch, across instances. Building and sending a station's update per signal
// is hot-path work, skipped when nobody watches; with several instances behind Redis the watchers may be
// on another one. Each instance tells the others the station rooms its dashboards are in (through the
// adapter's server-side events) when they change and every few seconds; what another instance has not
// repeated for a while is forgotten, so a dead instance's watchers stop costing anything.
import { randomUUID } from 'node:crypto';
import type { Namespace } from 'socket.io';

/** How often an instance repeats its rooms, and how long another instance's go unrepeated before they are dropped. */
export const WATCH_REPEAT_MS = 5_000;
export const WATCH_FORGET_MS = 3 * WATCH_REPEAT_MS;
const EVENT = 'copilot:watching';

/** Rooms that say what a dashboard watches (not its own socket room, not a user's notifications room). */
const isWatchRoom = (room: string) => room === 'all' || room.startsWith('all~') || room.startsWith('station:');

export interface Watchers {
  /** Whether any dashboard, here or on another instance, is in the room. */
  has(room: string): boolean;
  /** A local subscription changed: the other instances are told soon. */
  changed(): void;
  stop(): void;
}

export function watchers(ns: Namespace, clustered: boolean): Watchers {
  const local = (room: string) => (ns.adapter.rooms.get(room)?.size ?? 0) > 0;
  if (!clustered) return { has: local, changed: () => undefined, stop: () => undefined };

  const me = randomUUID();
  const remote = new Map<string, { rooms: Set<string>; at: number }>();
  const tell = () => {
    const rooms = [...ns.adapter.rooms.keys()].filter(isWatchRoom);
    ns.serverSideEmit(EVENT, { from: me, rooms });
  };
  ns.on(EVENT, (m: { from?: unknown; rooms?: unknown }) => {
    if (typeof m?.from !== 'string' || m.from === me || !Array.isArray(m.rooms)) return;
    remote.set(m.from, { rooms: new Set(m.rooms.filter((r): r is string => typeof r === 'string')), at: Date.now() });
  });
  let soon: NodeJS.Timeout | null = null;
  const repeat = setInterval(() => {
    const stale = Date.now() - WATCH_FORGET_MS;
    for (const [from, w] of remote) if (w.at < stale) remote.delete(from);
    tell();
  }, WATCH_REPEAT_MS).unref();
  return {
    has: (room) => local(room) || [...remote.values()].some((w) => w.rooms.has(room)),
    changed: () => {
      soon ??= setTimeout(() => {
        soon = null;
        tell();
      }, 20).unref();
    },
    stop: () => {
      clearInterval(repeat);
      if (soon) clearTimeout(soon);
    },
  };
}
