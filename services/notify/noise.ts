// How often: flapping conditions collapse into one notification and a summary, and each user has
// a cap. State in memory, bounded; time is always the caller's.
import type { Alert } from './rules.js';

export const DEFAULT_DEBOUNCE_MS = 10 * 60_000;
/**
 * Flapping windows open at once. A window is one (station, condition) that notified in the last
 * DEFAULT_DEBOUNCE_MS: 10,000 is 2,000 stations with five conditions each flapping together.
 */
export const DEFAULT_MAX_OPEN_WINDOWS = 10_000;

export interface Summary<F = unknown> {
  stationId?: string;
  conditionKey: string;
  /** Occurrences in the window, the first (already notified) included. */
  count: number;
  windowMs: number;
  /** The first occurrence's alert, to address and word the summary. */
  alert: Alert;
  /** What the caller kept with the window (the first occurrence's notifications). */
  first?: F;
}

interface Window<F> {
  openedAt: number;
  count: number;
  alert: Alert;
  first?: F;
}

/**
 * Collapses a flapping condition per (station, condition key): the first occurrence notifies, the
 * repeats within the window are counted, and when the window closes one summary reports the count
 * (none if nothing repeated). What the caller keeps with a window (`keepFirst`) goes with it, so a
 * condition that fired once leaves nothing behind. At `maxOpen` windows the oldest closes early: its
 * summary goes out sooner rather than a burst of new conditions growing the state without bound.
 */
export class Debouncer<F = unknown> {
  /** In the order the windows opened (a closed window reopens at the end), so the oldest is first. */
  private readonly open = new Map<string, Window<F>>();

  constructor(
    readonly windowMs = DEFAULT_DEBOUNCE_MS,
    readonly maxOpen = DEFAULT_MAX_OPEN_WINDOWS,
  ) {}

  private static key(a: Pick<Alert, 'stationId' | 'conditionKey'>): string {
    return `${a.stationId ?? '*'}|${a.conditionKey}`;
  }

  get size(): number {
    return this.open.size;
  }

  /** Whether this occurrence notifies now, plus the summaries of windows that closed before it. */
  offer(alert: Alert, nowMs: number): { notify: boolean; closed: Summary<F>[] } {
    const closed = this.flush(nowMs);
    const k = Debouncer.key(alert);
    const w = this.open.get(k);
    if (w) {
      if (alert.counted !== false) w.count += 1;
      return { notify: false, closed };
    }
    for (const [oldest, o] of this.open) {
      if (this.open.size < this.maxOpen) break;
      this.open.delete(oldest);
      this.close(o, closed);
    }
    this.open.set(k, { openedAt: nowMs, count: 1, alert });
    return { notify: true, closed };
  }

  /** Keeps `first` with the alert's open window, to be handed back in its summary. */
  keepFirst(alert: Alert, first: F): void {
    const w = this.open.get(Debouncer.key(alert));
    if (w) w.first = first;
  }

  /** Summaries of the windows closed by `nowMs`; the scan stops at the first window still open. */
  flush(nowMs: number): Summary<F>[] {
    const out: Summary<F>[] = [];
    for (const [k, w] of this.open) {
      if (nowMs - w.openedAt < this.windowMs) break;
      this.open.delete(k);
      this.close(w, out);
    }
    return out;
  }

  private close(w: Window<F>, out: Summary<F>[]): void {
    if (w.count > 1)
      out.push({
        stationId: w.alert.stationId,
        conditionKey: w.alert.conditionKey,
        count: w.count,
        windowMs: this.windowMs,
        alert: w.alert,
        ...(w.first !== undefined && { first: w.first }),
      });
  }
}

/** The follow-up alert a summary becomes: "charger C1 faulted 10 times in 10 min". */
export function summaryAlert(s: Summary): Alert {
  const minutes = Math.round(s.windowMs / 60_000);
  const text = `${s.alert.subject} ${s.count} times in ${minutes} min`;
  return {
    ...s.alert,
    kind: `${s.alert.kind}_summary`,
    title: `${s.stationId ? `${s.stationId}: ` : ''}${text}`,
    body: `${text[0].toUpperCase()}${text.slice(1)}; only the first was notified (${s.alert.title}).`,
    decisionId: s.alert.decisionId,
  };
}

export const DEFAULT_RATE_CAP = 20;
export const DEFAULT_RATE_WINDOW_MS = 10 * 60_000;

/** A per-user cap over a sliding window; what is over it is counted, not sent. */
export class RateCap {
  private readonly sent = new Map<string, number[]>();
  private readonly dropped = new Map<string, number>();

  constructor(
    readonly cap = DEFAULT_RATE_CAP,
    readonly windowMs = DEFAULT_RATE_WINDOW_MS,
  ) {}

  allow(userId: string, nowMs: number): boolean {
    const recent = (this.sent.get(userId) ?? []).filter((t) => nowMs - t < this.windowMs);
    if (recent.length >= this.cap) {
      this.sent.set(userId, recent);
      this.dropped.set(userId, (this.dropped.get(userId) ?? 0) + 1);
      return false;
    }
    recent.push(nowMs);
    this.sent.set(userId, recent);
    return true;
  }

  /** How many notifications the cap held back from this user so far. */
  suppressed(userId: string): number {
    return this.dropped.get(userId) ?? 0;
  }
}
