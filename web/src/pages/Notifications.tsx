// The signed-in user's notifications (live from the dashboard socket, older ones a page away), marking
// them read, web push opt-in and the notification preferences.
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { api, describe } from '../api';
import { live, useLive } from '../live';
import { PushOptIn } from '../components/PushOptIn';
import type { Notification } from '../types';
import './admin.css';

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
const TAG: Record<string, string> = { critical: 'tag bad', high: 'tag warn', medium: 'tag', low: 'tag ok' };

interface Prefs {
  onCall: boolean;
  pushMinSeverity: (typeof SEVERITIES)[number];
  quietHours: { start: string; end: string; tzOffsetMin: number } | null;
}

function Item({ n, onRead }: { n: Notification; onRead: (id: string) => Promise<void> }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const read = () => {
    setBusy(true);
    setError(null);
    onRead(n.id)
      .catch((err: unknown) => setError(describe(err)))
      .finally(() => setBusy(false));
  };
  return (
    <li className={n.readAt ? 'note' : 'note unread'} aria-label={n.title}>
      <div className="note-head">
        <span className={TAG[n.severity] ?? 'tag'}>{n.severity}</span>
        <strong>{n.title}</strong>
        <time dateTime={n.createdAt}>{new Date(n.createdAt).toLocaleString()}</time>
      </div>
      <p className="note-body">{n.body}</p>
      <div className="note-foot">
        {n.decisionId && <Link href={`/decisions/${encodeURIComponent(n.decisionId)}`}>Decision {n.decisionId}</Link>}
        {n.stationId && <Link href={`/stations/${encodeURIComponent(n.stationId)}`}>Station {n.stationId}</Link>}
        {n.readAt ? (
          <small className="notice">Read</small>
        ) : (
          <button type="button" onClick={read} disabled={busy}>
            Mark read
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </li>
  );
}

function PrefsForm() {
  const [prefs, setPrefs] = useState<Prefs | null>(null);
  const [quiet, setQuiet] = useState(false);
  const [start, setStart] = useState('22:00');
  const [end, setEnd] = useState('07:00');
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    api<Prefs>('/notifications/prefs').then(
      (p) => {
        setPrefs(p);
        setQuiet(p.quietHours !== null);
        if (p.quietHours) {
          setStart(p.quietHours.start);
          setEnd(p.quietHours.end);
        }
      },
      (err: unknown) => setStatus({ ok: false, text: describe(err) }),
    );
  }, []);
  if (!prefs) return status ? <p className="error">{status.text}</p> : <p className="notice">Loading preferences...</p>;

  const save = (e: FormEvent) => {
    e.preventDefault();
    // Quiet hours are the user's local time; the server needs the offset to know when that is.
    const body: Prefs = { ...prefs, quietHours: quiet ? { start, end, tzOffsetMin: -new Date().getTimezoneOffset() } : null };
    setStatus(null);
    api<Prefs>('/notifications/prefs', { method: 'PUT', body }).then(
      (p) => {
        setPrefs(p);
        setStatus({ ok: true, text: 'Preferences saved.' });
      },
      (err: unknown) => setStatus({ ok: false, text: describe(err) }),
    );
  };
  return (
    <form className="prefs" onSubmit={save} aria-label="Notification preferences">
      <label className="check">
        <input type="checkbox" checked={prefs.onCall} onChange={(e) => setPrefs({ ...prefs, onCall: e.target.checked })} />
        On call (off call, you are told only when nobody eligible is on call)
      </label>
      <label>
        Push from severity
        <select
          aria-label="Push from severity"
          value={prefs.pushMinSeverity}
          onChange={(e) => setPrefs({ ...prefs, pushMinSeverity: e.target.value as Prefs['pushMinSeverity'] })}
        >
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="check">
        <input type="checkbox" checked={quiet} onChange={(e) => setQuiet(e.target.checked)} />
        Quiet hours (no push then, except critical)
      </label>
      {quiet && (
        <div className="row">
          <label>
            Quiet from
            <input type="time" required value={start} onChange={(e) => setStart(e.target.value)} />
          </label>
          <label>
            Quiet until
            <input type="time" required value={end} onChange={(e) => setEnd(e.target.value)} />
          </label>
        </div>
      )}
      <div className="row">
        <button type="submit">Save preferences</button>
        {status && (
          <span role={status.ok ? 'status' : 'alert'} className={status.ok ? 'notice' : 'error'}>
            {status.text}
          </span>
        )}
      </div>
    </form>
  );
}

export function Notifications() {
  const { notifications, unread } = useLive();
  const [older, setOlder] = useState<Notification[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // The live store holds the newest page; this finds where the next page starts.
  useEffect(() => {
    api<{ items: Notification[]; nextCursor: string | null }>('/notifications', { query: { limit: 50 } }).then(
      (p) => setCursor(p.nextCursor),
      (err: unknown) => setError(describe(err)),
    );
  }, []);

  const more = () => {
    if (!cursor) return;
    api<{ items: Notification[]; nextCursor: string | null }>('/notifications', { query: { limit: 50, cursor } }).then(
      (p) => {
        setOlder((o) => [...o, ...p.items]);
        setCursor(p.nextCursor);
      },
      (err: unknown) => setError(describe(err)),
    );
  };

  const markRead = async (id: string) => {
    const n = await api<Notification>(`/notifications/${encodeURIComponent(id)}/read`, { method: 'POST' });
    live.markRead(id);
    setOlder((o) => o.map((x) => (x.id === id ? n : x)));
  };

  const known = new Set(notifications.map((n) => n.id));
  const all = [...notifications, ...older.filter((n) => !known.has(n.id))].filter((n) => !unreadOnly || !n.readAt);
  return (
    <section className="notes">
      <h1>Notifications</h1>
      <div className="row">
        <span className="notice">{unread === 0 ? 'Nothing unread.' : `${unread} unread`}</span>
        <label className="check">
          <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} />
          Unread only
        </label>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {all.length === 0 ? (
        <p className="notice">No notifications.</p>
      ) : (
        <ul className="note-list" aria-label="Notifications">
          {all.map((n) => (
            <Item key={n.id} n={n} onRead={markRead} />
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" onClick={more}>
          Load older
        </button>
      )}
      <div className="note-settings">
        <section className="panel" aria-labelledby="push-heading">
          <h2 id="push-heading">Push notifications</h2>
          <PushOptIn />
        </section>
        <section className="panel" aria-labelledby="prefs-heading">
          <h2 id="prefs-heading">Preferences</h2>
          <PrefsForm />
        </section>
      </div>
    </section>
  );
}
