// The decisions feed: what /dashboard pushes (live.ts), newest first, filtered by station and status, with
// older pages from the API on demand. At 50 decisions/s it stays cheap: the feed is redrawn four times a
// second, a bounded window of rows in a fixed-layout table, each row memoised on the decision object
// (live.ts replaces it only when that decision changes).
import { memo, useEffect, useMemo, useState, type MouseEvent, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { api, describe } from '../api';
import { useLiveEvery } from '../live';
import type { DecisionSummary, Page } from '../types';
import './decisions.css';

/** Rows rendered at first; each "Show more" adds as many. */
const WINDOW = 50;
/** How often the feed takes in what arrived; a table laid out on every frame costs long tasks. */
const REDRAW_MS = 250;

export const STATUSES = ['executed', 'pending_approval', 'approved', 'rejected'] as const;

const STATUS_LABEL: Record<string, string> = {
  executed: 'executed',
  pending_approval: 'awaiting approval',
  approved: 'approved',
  rejected: 'rejected',
};

/** The record keeps `pending_approval` once answered (its hash covers it); the answer says what became of it. */
export function statusOf(d: Pick<DecisionSummary, 'status' | 'approval'>): string {
  return d.approval?.outcome ?? d.status;
}

const TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

export function when(iso: string | null | undefined): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : TIME.format(t);
}

export const words = (name: string) => name.replace(/_/g, ' ');

export function StatusTag({ status }: { status: string }) {
  const tone = status === 'pending_approval' ? 'warn' : status === 'rejected' ? 'bad' : 'ok';
  return <span className={`tag ${tone}`}>{STATUS_LABEL[status] ?? words(status)}</span>;
}

export function RiskTag({ risk }: { risk: DecisionSummary['risk'] }) {
  if (!risk?.level) return <span className="tag">-</span>;
  const tone = risk.level === 'high' ? 'bad' : risk.level === 'medium' ? 'warn' : 'ok';
  return (
    <span className={`tag ${tone}`} title={typeof risk.score === 'number' ? `score ${risk.score}` : undefined}>
      {risk.level}
    </span>
  );
}

export function AnchorTag({ status }: { status: string | undefined }) {
  const tone = status === 'anchored' ? 'ok' : status === 'failed' ? 'bad' : 'warn';
  return <span className={`tag ${tone}`}>{status ?? 'unknown'}</span>;
}

/** A plain table of rows already formatted. */
export function Table({ head, rows }: { head: string[]; rows: ReactNode[][] }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function actionsText(d: DecisionSummary): string {
  if (!d.actions.length) return 'stops actions only';
  return d.actions
    .map((a) => {
      const p = a.params ?? {};
      const target = a.target ?? p.chargerId ?? p.batteryId;
      return `${words(a.action)}${typeof target === 'string' ? ` ${target}` : ''}`;
    })
    .join(', ');
}

export const decisionHref = (id: string) => `/decisions/${encodeURIComponent(id)}`;

const Row = memo(function Row({ d }: { d: DecisionSummary }) {
  const href = decisionHref(d.id);
  return (
    <tr data-href={href}>
      <td>
        <Link href={href}>{when(d.ts)}</Link>
      </td>
      <td>{d.stationId}</td>
      <td>{actionsText(d)}</td>
      <td>
        <StatusTag status={statusOf(d)} />
      </td>
      <td>
        <RiskTag risk={d.risk} />
      </td>
      <td>
        <AnchorTag status={d.anchor?.status} />
      </td>
    </tr>
  );
});

const StationSelect = memo(function StationSelect(p: { ids: string; value: string; onChange: (v: string) => void }) {
  return (
    <label>
      Station
      <select value={p.value} onChange={(e) => p.onChange(e.target.value)}>
        <option value="">All stations</option>
        {p.ids.split('\n').map((id) => id && <option key={id}>{id}</option>)}
      </select>
    </label>
  );
});

interface Older {
  items: DecisionSummary[];
  /** Where the next page starts. */
  cursor: string | null;
  /** The API has nothing older. */
  done: boolean;
  loading: boolean;
  error: string | null;
}

const NO_OLDER: Older = { items: [], cursor: null, done: false, loading: false, error: null };

export function Decisions() {
  // The live state a few times a second: the page does not re-render on every frame the store is told of.
  const { decisions, stations } = useLiveEvery(REDRAW_MS);
  const [, navigate] = useLocation();
  const [station, setStation] = useState('');
  const [status, setStatus] = useState('');
  const [shown, setShown] = useState(WINDOW);
  const [older, setOlder] = useState<Older>(NO_OLDER);
  useEffect(() => {
    setShown(WINDOW);
    setOlder(NO_OLDER);
  }, [station, status]);

  // A string: the select re-renders only when the set of ids changes, not on every station update.
  const ids = useMemo(
    () => [...new Set([...stations.keys(), ...decisions.map((d) => d.stationId)])].sort().join('\n'),
    [stations, decisions],
  );
  const matching = useMemo(() => {
    const live = decisions.filter((d) => (!station || d.stationId === station) && (!status || statusOf(d) === status));
    const seen = new Set(live.map((d) => d.id));
    return [...live, ...older.items.filter((d) => !seen.has(d.id))];
  }, [decisions, older.items, station, status]);
  const rows = matching.slice(0, shown);

  async function loadOlder(): Promise<void> {
    const last = matching[matching.length - 1];
    setOlder((o) => ({ ...o, loading: true, error: null }));
    try {
      const page = await api<Page<DecisionSummary>>('/decisions', {
        query: { limit: 50, stationId: station, status, ...(older.cursor ? { cursor: older.cursor } : { until: last?.ts }) },
      });
      setOlder((o) => ({
        items: [...o.items, ...page.items],
        cursor: page.nextCursor,
        done: !page.nextCursor,
        loading: false,
        error: null,
      }));
      setShown((n) => Math.max(n, matching.length + page.items.length));
    } catch (err) {
      setOlder((o) => ({ ...o, loading: false, error: describe(err) }));
    }
  }

  // One handler for the whole table: a click anywhere on a row opens it (the time is the keyboard's link).
  function open(e: MouseEvent<HTMLTableSectionElement>): void {
    const target = e.target as HTMLElement;
    const tr = target.closest<HTMLElement>('tr[data-href]');
    if (tr?.dataset.href && !target.closest('a')) navigate(tr.dataset.href);
  }

  return (
    <section className="decisions">
      <h1>Decisions</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <StationSelect ids={ids} value={station} onChange={setStation} />
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <p className="notice" aria-live="polite">
          {rows.length} of {matching.length} shown
        </p>
      </form>
      <div className="table-wrap">
        <table className="feed">
          <colgroup>
            <col className="c-time" />
            <col className="c-station" />
            <col />
            <col className="c-tag" />
            <col className="c-tag" />
            <col className="c-tag" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Station</th>
              <th scope="col">Actions</th>
              <th scope="col">Status</th>
              <th scope="col">Risk</th>
              <th scope="col">Anchor</th>
            </tr>
          </thead>
          <tbody onClick={open}>
            {rows.map((d) => (
              <Row key={d.id} d={d} />
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 && <p className="notice">No decisions yet{station || status ? ' for these filters' : ''}.</p>}
      <p className="more">
        {matching.length > shown && (
          <button type="button" onClick={() => setShown((n) => n + WINDOW)}>
            Show more
          </button>
        )}
        {matching.length <= shown && !older.done && (
          <button type="button" disabled={older.loading} onClick={() => void loadOlder()}>
            {older.loading ? 'Loading...' : 'Load older decisions'}
          </button>
        )}
        {older.error && (
          <span role="alert" className="error">
            {older.error}
          </span>
        )}
      </p>
    </section>
  );
}
