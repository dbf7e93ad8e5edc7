// The live picture from `/dashboard`: every station in scope and the latest decisions and notifications.
// Socket events are folded into plain maps at once, and views are told at most once per animation frame,
// so a burst of events costs one render, not one per event.
import { io, type Socket } from 'socket.io-client';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { api } from './api';
import { session } from './session';
import type { Approval, DecisionSummary, Notification, Page, StationSummary } from './types';

/** Decisions kept for the feed: the newest first; older ones are a page of `GET /api/decisions` away. */
export const FEED_MAX = 300;
/** Samples kept per station for the live charts. */
export const HISTORY_MAX = 600;
/**
 * Every station in scope arrives at most once a second (the server keeps the latest per station): a
 * screen of 200 stations at 1,500 signals/s otherwise parses 1,500 events a second it cannot show. A
 * station whose page is open is followed per signal as well (`follow`), for its charts.
 */
export const STATIONS_EVERY_MS = 1000;

export interface Sample {
  /** Seconds since the epoch, of the station's signal time. */
  t: number;
  queue: number;
  charged: number;
  drawKW: number | null;
  limitKW: number | null;
  maxTempC: number | null;
}

export interface LiveState {
  connected: boolean;
  stations: ReadonlyMap<string, StationSummary>;
  decisions: readonly DecisionSummary[];
  notifications: readonly Notification[];
  unread: number;
  /** Bumped on every change: a cheap key for memoised views. */
  rev: number;
}

type Listener = () => void;
type DecisionPatch = Partial<DecisionSummary> & { id: string };

function sampleOf(s: StationSummary): Sample {
  const temps = s.chargers.map((c) => c.tempC).filter((t): t is number => typeof t === 'number');
  return {
    t: (s.updatedAt ? Date.parse(s.updatedAt) : Date.now()) / 1000,
    queue: s.queueWaiting,
    charged: s.inventory.charged,
    drawKW: s.power.drawKW,
    limitKW: s.power.limitKW,
    maxTempC: temps.length ? Math.max(...temps) : null,
  };
}

class Live {
  private socket: Socket | null = null;
  private state: LiveState = { connected: false, stations: new Map(), decisions: [], notifications: [], unread: 0, rev: 0 };
  private stations = new Map<string, StationSummary>();
  private decisions: DecisionSummary[] = [];
  private notifications: Notification[] = [];
  private unread = 0;
  private connected = false;
  private readonly history = new Map<string, Sample[]>();
  private readonly listeners = new Set<Listener>();
  private readonly decisionListeners = new Set<(id: string, event: string) => void>();
  private frame: number | null = null;
  /** Stations followed per signal, with how many views follow each. */
  private readonly followed = new Map<string, number>();
  private unwatchSession: (() => void) | null = null;

  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  get snapshot(): LiveState {
    return this.state;
  }

  /** Samples of a station's charts, oldest first (a shared array: read, do not keep). */
  historyOf(stationId: string): readonly Sample[] {
    return this.history.get(stationId) ?? [];
  }

  /** Told when a decision is explained, anchored, approved or gets an outcome (a detail view reloads). */
  onDecision(l: (id: string, event: string) => void): () => void {
    this.decisionListeners.add(l);
    return () => this.decisionListeners.delete(l);
  }

  private changed(): void {
    if (this.frame !== null) return;
    const flush = () => {
      this.frame = null;
      this.state = {
        connected: this.connected,
        stations: new Map(this.stations),
        decisions: this.decisions.slice(),
        notifications: this.notifications.slice(),
        unread: this.unread,
        rev: this.state.rev + 1,
      };
      for (const l of this.listeners) l();
    };
    // A hidden tab gets no animation frames: a timer keeps the state current there.
    this.frame = document.hidden ? (setTimeout(flush, 250) as unknown as number) : requestAnimationFrame(flush);
  }

  /**
   * Follows a station per signal while a view needs it (its page's charts); returns the unfollow. The
   * subscription is renewed on every reconnection.
   */
  follow(stationId: string): () => void {
    const n = this.followed.get(stationId) ?? 0;
    this.followed.set(stationId, n + 1);
    if (n === 0 && this.socket?.connected) this.socket.emit('subscribe', { stationIds: [stationId] }, () => undefined);
    return () => {
      const left = (this.followed.get(stationId) ?? 1) - 1;
      if (left > 0) {
        this.followed.set(stationId, left);
        return;
      }
      this.followed.delete(stationId);
      if (this.socket?.connected) this.socket.emit('unsubscribe', { stationIds: [stationId] }, () => undefined);
    };
  }

  private record(s: StationSummary): void {
    // Per signal and once a second are two streams of the same station: the older of the two is dropped.
    const known = this.stations.get(s.id);
    if (known && known.version > s.version) return;
    this.stations.set(s.id, s);
    let h = this.history.get(s.id);
    if (!h) this.history.set(s.id, (h = []));
    const sample = sampleOf(s);
    if (h.length && h[h.length - 1].t >= sample.t) h[h.length - 1] = sample;
    else h.push(sample);
    if (h.length > HISTORY_MAX) h.splice(0, h.length - HISTORY_MAX);
  }

  private patchDecision(p: DecisionPatch, event: string): void {
    const i = this.decisions.findIndex((d) => d.id === p.id);
    if (i >= 0) this.decisions[i] = { ...this.decisions[i], ...p };
    for (const l of this.decisionListeners) l(p.id, event);
    this.changed();
  }

  /** Loads what is in scope and follows it live; called once signed in. */
  async start(): Promise<void> {
    if (this.socket) return;
    const socket = io('/dashboard', {
      transports: ['websocket'],
      // Read on every (re)connection, so a refreshed token is used.
      auth: (cb) => void session.token().then((token) => cb({ token })),
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.connected = true;
      this.changed();
      socket.emit('subscribe', { stationIds: '*', every: STATIONS_EVERY_MS }, () => undefined);
      if (this.followed.size) socket.emit('subscribe', { stationIds: [...this.followed.keys()] }, () => undefined);
      void this.load();
    });
    socket.on('disconnect', () => {
      this.connected = false;
      this.changed();
    });
    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      // A refused token: renew the session once; the socket retries with the new one.
      const code = err.data?.code;
      if (code === 'AUTH_REQUIRED' || code === 'INVALID_TOKEN' || code === 'TOKEN_EXPIRED') void session.refresh();
    });
    // The server closes a socket whose token expired (and says so first); it does not reconnect by
    // itself after a server-side close, so renew and reconnect. Other endings (account disabled, role
    // changed) end the session through the next API call.
    socket.on('auth:revoked', (e: { code?: string }) => {
      if (e.code === 'TOKEN_EXPIRED') void session.refresh().then((ok) => ok && this.socket === socket && socket.connect());
    });
    // The session renews its access token before it expires: the open socket is handed the new one,
    // so it is not closed at the old token's expiry.
    let renewed: string | null = null;
    this.unwatchSession = session.subscribe(
      () =>
        void session.token().then((token) => {
          if (!token || token === renewed || !socket.connected) return;
          renewed = token;
          socket.emit('auth:renew', { token }, () => undefined);
        }),
    );
    socket.on('station:updated', (e: { station: StationSummary }) => {
      this.record(e.station);
      this.changed();
    });
    socket.on('decision:created', (d: DecisionSummary) => {
      if (this.decisions.some((x) => x.id === d.id)) return;
      this.decisions.unshift(d);
      if (this.decisions.length > FEED_MAX) this.decisions.length = FEED_MAX;
      for (const l of this.decisionListeners) l(d.id, 'created');
      this.changed();
    });
    socket.on('decision:explained', (e: { id: string; explanation?: DecisionSummary['explanation'] }) =>
      this.patchDecision({ id: e.id, ...(e.explanation ? { explanation: e.explanation } : {}) }, 'explained'),
    );
    socket.on('decision:anchored', (e: { id: string; status: string }) =>
      this.patchDecision({ id: e.id, anchor: { ...e, status: e.status } }, 'anchored'),
    );
    socket.on('decision:approved', (e: Approval & { id: string }) =>
      this.patchDecision({ id: e.id, status: e.outcome === 'approved' ? 'executed' : 'rejected', approval: e }, 'approved'),
    );
    socket.on('decision:outcome', (e: { id: string }) => this.patchDecision({ id: e.id }, 'outcome'));
    socket.on('notification:created', (n: Notification) => {
      this.notifications = [n, ...this.notifications.filter((x) => x.id !== n.id)].slice(0, 100);
      this.unread++;
      this.changed();
    });
    socket.on('notification:updated', (n: Notification) => {
      const had = this.notifications.find((x) => x.id === n.id);
      this.notifications = [n, ...this.notifications.filter((x) => x.id !== n.id)].slice(0, 100);
      if (had?.readAt && !n.readAt) this.unread++;
      this.changed();
    });
  }

  /** The stations in scope and the newest decisions, read after every (re)connection. */
  private async load(): Promise<void> {
    let cursor: string | null = null;
    do {
      const page: Page<StationSummary> = await api('/stations', { query: { limit: 1000, cursor } });
      for (const s of page.items) this.record(s);
      cursor = page.nextCursor;
    } while (cursor);
    const recent = await api<Page<DecisionSummary>>('/decisions', { query: { limit: 100 } });
    const known = new Set(this.decisions.map((d) => d.id));
    this.decisions = [...this.decisions, ...recent.items.filter((d) => !known.has(d.id))]
      .sort((a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0))
      .slice(0, FEED_MAX);
    const notes = await api<{ items: Notification[]; unread: number }>('/notifications', { query: { limit: 50 } });
    this.notifications = notes.items;
    this.unread = notes.unread;
    this.changed();
  }

  markRead(id: string): void {
    const n = this.notifications.find((x) => x.id === id);
    if (!n || n.readAt) return;
    this.notifications = this.notifications.map((x) => (x.id === id ? { ...x, readAt: new Date().toISOString() } : x));
    this.unread = Math.max(0, this.unread - 1);
    this.changed();
  }

  stop(): void {
    this.unwatchSession?.();
    this.unwatchSession = null;
    this.socket?.close();
    this.socket = null;
    this.stations = new Map();
    this.decisions = [];
    this.notifications = [];
    this.unread = 0;
    this.history.clear();
    this.connected = false;
    this.changed();
  }
}

export const live = new Live();

export function useLive(): LiveState {
  return useSyncExternalStore(live.subscribe, () => live.snapshot);
}

/**
 * One value of the live state (a number, a flag): the view re-renders only when that value changes,
 * not on every frame the store is told of (the frame around the pages, the bell).
 */
export function useLiveValue<T extends string | number | boolean | null>(select: (s: LiveState) => T): T {
  return useSyncExternalStore(live.subscribe, () => select(live.snapshot));
}

/** How often the station views take the live state: four times a second reads as live to a person. */
export const VIEW_EVERY_MS = 250;

/**
 * The live state, taken at most every `ms` (the first change at once). The store tells views once per
 * animation frame; with 200 stations and 50 decisions a second that is a table and map laid out and
 * painted every frame, which is where the long tasks came from. Re-renders from the frame around the page
 * read the state held here, so they change nothing in the DOM.
 */
export function useLiveEvery(ms: number): LiveState {
  const [state, setState] = useState(() => live.snapshot);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    const take = () => {
      timer = null;
      last = performance.now();
      setState(live.snapshot);
    };
    const off = live.subscribe(() => {
      if (timer === null) timer = setTimeout(take, Math.max(0, last + ms - performance.now()));
    });
    // A change between the first render and this subscription would otherwise wait for the next one.
    take();
    return () => {
      off();
      if (timer !== null) clearTimeout(timer);
    };
  }, [ms]);
  return state;
}
