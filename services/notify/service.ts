// Turns bus events into notifications: the rules pick who and how, this stores the in-app copy,
// hands it to the dashboard (deps.deliver) and to web push (deps.push), and answers the user's own list.
import Joi from 'joi';
import { isValidObjectId, type Model } from 'mongoose';
import type { Logger } from 'pino';
import { listen, type EventBus, type ListenerErrorSink } from '../../eventBus/index.js';
import type { Models, NotificationDoc } from '../../models/index.js';
import type { NotificationPrefsDoc } from '../../models/notificationPrefs.js';
import type { PublicUser } from '../access/index.js';
import { AppError } from '../platform/index.js';
import type { PartReport } from '../platform/index.js';
import { Debouncer, RateCap, summaryAlert, type Summary } from './noise.js';
import {
  DEFAULT_PREFS,
  SEVERITIES,
  alertFromAnchorBacklog,
  alertFromAnchorBatch,
  alertFromDecision,
  alertsFromHealth,
  resolveChannels,
  resolveRecipients,
  type Alert,
  type NotificationPrefs,
} from './rules.js';
import { own } from '../../utils/own.js';

/** What the dashboard and the push service receive; carries `id` and `stationId` like every server event. */
export interface NotificationView {
  id: string;
  kind: string;
  severity: string;
  title: string;
  body: string;
  stationId: string | null;
  decisionId: string | null;
  readAt: string | null;
  createdAt: string;
}

export interface PushPayload {
  title: string;
  body: string;
  severity: string;
  notificationId: string;
  decisionId?: string;
  stationId?: string;
  /** Where the dashboard shows it. */
  url: string;
}

/** Where in-app notifications go live: the dashboard emits them to the user's sockets. */
export interface InAppDelivery {
  /** `notification:created` */
  created(userId: string, n: NotificationView): void;
  /** `notification:updated`: a notification completed with its count, unread again. */
  updated(userId: string, n: NotificationView): void;
}

export interface NotificationServiceDeps {
  models: Pick<Models, 'Notification' | 'Sub'>;
  /** Live delivery to open dashboards; without it notifications are only stored (and pushed). */
  deliver?: InAppDelivery;
  /** Sends a web push to the user's subscriptions; without it there is no push channel. */
  push?: (userId: string, payload: PushPayload) => Promise<unknown>;
  prefs: Model<NotificationPrefsDoc>;
  users: { list(): PublicUser[] };
  /** Milliseconds; drives noise control and createdAt. Tests inject a fake one. */
  clock?: () => number;
  debounceMs?: number;
  rateCap?: number;
  rateWindowMs?: number;
  logger?: Pick<Logger, 'warn' | 'error'>;
  /**
   * Several instances: claims a condition cluster-wide for `ttlMs` (Redis SET NX); false when another
   * instance claimed it first. What every instance sees of its own (a part of its health going down) is
   * then notified by one of them. Absent: this process is the only one.
   */
  claim?: (key: string, ttlMs: number) => Promise<boolean>;
  /** Opens a sealed notification text for its reader (one-time codes); null when it cannot be opened. */
  open?: (sealed: string) => string | null;
}

const HHMM = Joi.string().pattern(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
export const prefsSchema = Joi.object<NotificationPrefs>({
  onCall: Joi.boolean().required(),
  pushMinSeverity: Joi.string()
    .valid(...SEVERITIES)
    .required(),
  quietHours: Joi.object({
    start: HHMM.required(),
    end: HHMM.required(),
    tzOffsetMin: Joi.number().integer().min(-840).max(840).required(),
  })
    .allow(null)
    .required(),
});

/** The body the reader sees: a sealed text opened while it is valid, else the stored body (which never holds it). */
function bodyOf(d: NotificationDoc, open: ((sealed: string) => string | null) | undefined, nowMs: number): string {
  if (!d.sealed) return d.body;
  if (new Date(d.sealed.until).getTime() <= nowMs) return 'This sign-in code has expired.';
  return open?.(d.sealed.data) ?? d.body;
}

function view(d: NotificationDoc & { _id: unknown }, body: string = d.body): NotificationView {
  return {
    id: String(d._id),
    kind: d.kind,
    severity: d.severity,
    title: d.title,
    body,
    stationId: d.stationId ?? null,
    decisionId: d.decisionId ?? null,
    readAt: d.readAt ? new Date(d.readAt).toISOString() : null,
    createdAt: new Date(d.createdAt).toISOString(),
  };
}

function notFound(id: string): AppError {
  return new AppError(404, 'UNKNOWN_NOTIFICATION', `notification ${id} does not exist`, [{ field: 'id' }]);
}

/** The notifications sent for a flapping window's first occurrence, kept with the window. */
type FirstSent = Promise<{ userId: string; n: NotificationView }[]>;

export class NotificationService {
  private readonly prefsByUser = new Map<string, NotificationPrefs>();
  private readonly debouncer: Debouncer<FirstSent>;
  private readonly cap: RateCap;
  private readonly clock: () => number;
  private lastHealth: Record<string, PartReport> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private detach: (() => void) | null = null;

  constructor(private readonly deps: NotificationServiceDeps) {
    this.clock = deps.clock ?? Date.now;
    this.debouncer = new Debouncer(deps.debounceMs);
    this.cap = new RateCap(deps.rateCap, deps.rateWindowMs);
  }

  async load(): Promise<void> {
    for (const p of await this.deps.prefs.find({}).lean<NotificationPrefsDoc[]>()) {
      this.prefsByUser.set(p.userId, { onCall: p.onCall, pushMinSeverity: p.pushMinSeverity, quietHours: p.quietHours ?? null });
    }
  }

  /** Subscribes to the bus, and closes debounce windows every `flushMs` so their summaries go out without waiting for a repeat. */
  attach(bus: EventBus, report: ListenerErrorSink, flushMs = 30_000): void {
    // The decision's own station state (in the payload) tells a fault from a recovery.
    const offLogged = listen(
      bus,
      'decision.logged',
      'notifications',
      ({ record, state }) => this.offer(alertFromDecision(record, (id) => own(state.chargers, id)?.status)),
      report,
    );
    const offBatch = listen(bus, 'anchor.batch', 'notifications', (e) => this.offer(alertFromAnchorBatch(e)), report);
    this.detach = () => {
      offLogged();
      offBatch();
    };
    this.timer = setInterval(() => this.flush(), flushMs);
    this.timer.unref();
  }

  /** Stops listening to the bus and the flush timer. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.detach?.();
    this.detach = null;
  }

  private lastBacklog = 0;

  /** Feed the anchoring backlog: crossing `threshold` leaves notifies once per crossing. */
  onAnchorBacklog(backlog: number, threshold: number): void {
    const alert = alertFromAnchorBacklog(this.lastBacklog, backlog, threshold);
    this.lastBacklog = backlog;
    if (alert) void this.offer(alert);
  }

  /** Feed a health report (from the readiness check): a db or chain that goes down notifies once. */
  /** Resolves once what it notified is stored and delivered. */
  onHealth(parts: Record<string, PartReport>): Promise<void> {
    const sent = alertsFromHealth(this.lastHealth, parts).map((a) => this.offerOnce(a));
    this.lastHealth = parts;
    return Promise.all(sent).then(() => undefined);
  }

  /**
   * An alert every instance raises for itself: only the instance that claims its condition for the
   * debounce window notifies. A claim that cannot be made (Redis is what is down) notifies anyway:
   * a duplicate is better than none.
   */
  private async offerOnce(alert: Alert): Promise<void> {
    const claim = this.deps.claim;
    const mine = claim ? await claim(`${alert.stationId ?? '*'}|${alert.conditionKey}`, this.debouncer.windowMs).catch(() => true) : true;
    if (mine) await this.offer(alert);
  }

  /** Completes the notifications of the flapping windows that closed by now with their counts. */
  flush(): void {
    for (const s of this.debouncer.flush(this.clock())) this.summarise(s);
  }

  /** Resolves once the notification it sends (if any) is stored and delivered, or failed. */
  private offer(alert: Alert | null): Promise<void> {
    if (!alert) return Promise.resolve();
    // Decided synchronously, in bus order, so two repeats arriving together cannot both notify.
    const { notify, closed } = this.debouncer.offer(alert, this.clock());
    for (const s of closed) this.summarise(s);
    if (!notify) return Promise.resolve();
    const first = this.dispatchTo(alert);
    this.debouncer.keepFirst(
      alert,
      first.catch(() => []),
    );
    return first.then(
      () => undefined,
      (err: unknown) => this.deps.logger?.error({ err, kind: alert.kind }, 'notification dispatch failed'),
    );
  }

  /**
   * A flapping condition notifies once: the first occurrence at once, and when its window closes that
   * same notification gets the count (updated in place, unread again, `notification:updated`).
   */
  private summarise(s: Summary<FirstSent>): void {
    const first = s.first;
    if (!first) return this.run(summaryAlert(s));
    const sum = summaryAlert(s);
    const body = `${sum.title.replace(/^[^:]*: /, '')}. First: ${s.alert.body}`;
    void first.then(async (sent) => {
      for (const { userId, n } of sent) {
        try {
          await this.deps.models.Notification.updateOne({ _id: n.id }, { $set: { title: sum.title, body, readAt: null } });
          this.deps.deliver?.updated(userId, { ...n, title: sum.title, body, readAt: null });
        } catch (err) {
          this.deps.logger?.warn({ err, userId }, 'notification update failed');
        }
      }
    });
  }

  private run(alert: Alert): void {
    this.dispatch(alert).catch((err: unknown) => this.deps.logger?.error({ err, kind: alert.kind }, 'notification dispatch failed'));
  }

  prefsOf(userId: string): NotificationPrefs {
    return this.prefsByUser.get(userId) ?? DEFAULT_PREFS;
  }

  /** Resolves recipients and channels, stores and delivers; resolves to the notifications created. */
  async dispatch(alert: Alert): Promise<NotificationView[]> {
    return (await this.dispatchTo(alert)).map((x) => x.n);
  }

  private async dispatchTo(alert: Alert): Promise<{ userId: string; n: NotificationView }[]> {
    const now = this.clock();
    const recipients = resolveRecipients(alert, this.deps.users.list(), (id) => this.prefsOf(id)).filter((u) => this.cap.allow(u.id, now));
    const out: { userId: string; n: NotificationView }[] = [];
    for (const u of recipients) {
      const doc: NotificationDoc = {
        userId: u.id,
        kind: alert.kind,
        severity: alert.severity,
        title: alert.title,
        body: alert.body,
        createdAt: new Date(now),
      };
      if (alert.stationId !== undefined) doc.stationId = alert.stationId;
      if (alert.decisionId !== undefined) doc.decisionId = alert.decisionId;
      const created = await this.deps.models.Notification.create(doc);
      const n = view({ ...doc, _id: created._id });
      out.push({ userId: u.id, n });
      try {
        this.deps.deliver?.created(u.id, n);
      } catch (err) {
        this.deps.logger?.warn({ err, userId: u.id }, 'in-app delivery failed');
      }
      if (this.deps.push) {
        const subscribed = (await this.deps.models.Sub.exists({ userId: u.id })) !== null;
        if (resolveChannels(alert.severity, this.prefsOf(u.id), subscribed, now).includes('push')) {
          const payload: PushPayload = {
            title: n.title,
            body: n.body,
            severity: n.severity,
            notificationId: n.id,
            ...(n.decisionId ? { decisionId: n.decisionId } : {}),
            ...(n.stationId ? { stationId: n.stationId } : {}),
            url: n.decisionId ? `/decisions/${encodeURIComponent(n.decisionId)}` : '/notifications',
          };
          this.deps.push(u.id, payload).catch((err: unknown) => this.deps.logger?.warn({ err, userId: u.id }, 'push delivery failed'));
        }
      }
    }
    return out;
  }

  /** How many notifications the per-user cap held back. */
  suppressed(userId: string): number {
    return this.cap.suppressed(userId);
  }

  /** The user's own notifications, newest first; `cursor` is the last id of the previous page. */
  async list(
    userId: string,
    opts: { unreadOnly?: boolean; limit: number; cursor?: string | null },
  ): Promise<{ items: NotificationView[]; unread: number; nextCursor: string | null }> {
    const filter: Record<string, unknown> = { userId };
    if (opts.unreadOnly) filter.readAt = null;
    if (opts.cursor) {
      if (!isValidObjectId(opts.cursor)) throw new AppError(400, 'VALIDATION_FAILED', '"cursor" is not valid', [{ field: 'cursor' }]);
      filter._id = { $lt: opts.cursor };
    }
    const docs = await this.deps.models.Notification.find(filter)
      .sort({ _id: -1 })
      .limit(opts.limit + 1)
      .lean<(NotificationDoc & { _id: unknown })[]>();
    const now = this.clock();
    const items = docs.slice(0, opts.limit).map((d) => view(d, bodyOf(d, this.deps.open, now)));
    const unread = await this.deps.models.Notification.countDocuments({ userId, readAt: null });
    return { items, unread, nextCursor: docs.length > opts.limit ? items[items.length - 1].id : null };
  }

  /** Marks one of the user's notifications read (idempotent); another user's id reads as unknown. */
  async markRead(userId: string, id: string): Promise<NotificationView> {
    if (!isValidObjectId(id)) throw notFound(id);
    const doc = await this.deps.models.Notification.findOne({ _id: id, userId }).lean<NotificationDoc & { _id: unknown }>();
    if (!doc) throw notFound(id);
    if (!doc.readAt) {
      doc.readAt = new Date(this.clock());
      await this.deps.models.Notification.updateOne({ _id: id, userId }, { $set: { readAt: doc.readAt } });
    }
    return view(doc, bodyOf(doc, this.deps.open, this.clock()));
  }

  getPrefs(userId: string): NotificationPrefs {
    return this.prefsOf(userId);
  }

  async setPrefs(userId: string, raw: unknown): Promise<NotificationPrefs> {
    const { error, value } = prefsSchema.validate(raw, { abortEarly: false, convert: false });
    if (error) {
      const details = error.details.map((d) => ({ field: d.path.join('.') || 'body', message: d.message }));
      throw new AppError(400, 'VALIDATION_FAILED', details.map((d) => d.message).join('; '), details);
    }
    const prefs = value;
    await this.deps.prefs.updateOne({ userId }, { $set: { ...prefs, userId, updatedAt: new Date(this.clock()) } }, { upsert: true });
    this.prefsByUser.set(userId, prefs);
    return prefs;
  }
}
