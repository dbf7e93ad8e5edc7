// Every station in the user's scope, live: a map of what needs attention and a sortable table. Rows are
// memoised on the station object, which the live store replaces only when that station changed, so a
// burst of updates re-renders the few rows it touched.
import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { Link, useLocation } from 'wouter';
import { useLiveEvery, VIEW_EVERY_MS } from '../live';
import { StationMap } from '../components/StationMap';
import type { StationSummary } from '../types';
import './stations.css';

/** A charger this hot or hotter is shown as a warning. */
export const HOT_C = 70;

type SortKey = 'name' | 'queue' | 'wait' | 'charged' | 'chargers' | 'temp' | 'power' | 'actions';
type Dir = 'ascending' | 'descending';

export function maxTempOf(s: StationSummary): number | null {
  let max: number | null = null;
  for (const c of s.chargers) if (typeof c.tempC === 'number' && (max === null || c.tempC > max)) max = c.tempC;
  return max;
}

export function overLimit(s: StationSummary): boolean {
  return s.power.drawKW !== null && s.power.limitKW !== null && s.power.drawKW > s.power.limitKW;
}

/** Chargers counted by status, in a fixed order so the cell reads the same from row to row. */
export function chargerCounts(s: StationSummary): [string, number][] {
  const order = ['available', 'occupied', 'faulted', 'offline'];
  const n = new Map<string, number>();
  for (const c of s.chargers) n.set(c.status, (n.get(c.status) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]));
}

const down = (s: StationSummary) => s.chargers.filter((c) => c.status === 'faulted' || c.status === 'offline').length;

// Fixed column widths (table-layout: fixed): a changed cell then costs the browser its row, not a
// measurement of all 200 rows to size the columns again.
const COLUMNS: { key: SortKey; label: string; width?: string; value: (s: StationSummary) => number | string }[] = [
  { key: 'name', label: 'Station', width: '11rem', value: (s) => s.name.toLowerCase() },
  { key: 'queue', label: 'Queue', width: '5.5rem', value: (s) => s.queueWaiting },
  { key: 'wait', label: 'Predicted wait', width: '8.5rem', value: (s) => s.predictedWaitMin },
  { key: 'charged', label: 'Charged packs', width: '8.5rem', value: (s) => s.inventory.charged },
  // Sorted by the chargers out of service: the ones to look at come first when descending.
  { key: 'chargers', label: 'Chargers', width: '10rem', value: (s) => down(s) },
  { key: 'temp', label: 'Max temp', width: '7rem', value: (s) => maxTempOf(s) ?? -Infinity },
  { key: 'power', label: 'Power', width: '9rem', value: (s) => s.power.drawKW ?? -Infinity },
  { key: 'actions', label: 'Actions in force', value: (s) => s.actions.length },
];

function fmt(n: number | null, digits = 0): string {
  return n === null ? '–' : n.toFixed(digits);
}

/** Draw against the limit, as far as the station has reported either. */
export function powerText(s: StationSummary): string {
  const { drawKW, limitKW } = s.power;
  if (drawKW === null && limitKW === null) return '–';
  return limitKW === null ? `${fmt(drawKW)} kW, no limit` : `${fmt(drawKW)} / ${fmt(limitKW)} kW`;
}

export function stationHref(id: string): string {
  return `/stations/${encodeURIComponent(id)}`;
}

export function ActionTags({ actions }: { actions: StationSummary['actions'] }) {
  if (!actions.length) return <span className="notice">none</span>;
  return (
    <ul className="st-actions">
      {actions.map((a) => (
        <li key={a.id}>
          <span className={a.status === 'pending_approval' ? 'tag warn' : 'tag'} title={`${a.agent} agent`}>
            {a.action.replace(/_/g, ' ')} {a.target !== 'station' ? a.target : ''}
            {a.status === 'pending_approval' ? ' (awaiting approval)' : ''}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Every row is this tall (stations.css keeps each cell on its lines), so the rows on screen can be computed. */
export const ROW_PX = 56;
/** Rows rendered above and below the ones on screen, so a scroll shows rows already laid out. */
const OVERSCAN = 8;

/**
 * The rows on screen, as [first, end): only those are rendered. Laying out and painting a 200-row table
 * on every update was where the long tasks were (bench:console with the table hidden had none), so the
 * rows off screen are spacers. The page scrolls, not the table, so the window follows the page.
 */
function useVisibleRows(count: number, body: RefObject<HTMLTableSectionElement | null>): [number, number] {
  const [range, setRange] = useState<[number, number]>([0, Math.min(count, 30)]);
  // Measured before the browser paints (and before any other task sees the DOM): a list that grows
  // from empty never shows a frame with the new row count and none of its rows.
  useLayoutEffect(() => {
    let frame: number | null = null;
    const measure = () => {
      frame = null;
      const el = body.current;
      if (!el) return;
      const top = el.getBoundingClientRect().top;
      const first = Math.max(0, Math.floor(-top / ROW_PX) - OVERSCAN);
      const end = Math.min(count, first + Math.ceil(window.innerHeight / ROW_PX) + 2 * OVERSCAN);
      setRange((r) => (r[0] === first && r[1] === end ? r : [first, end]));
    };
    const soon = () => {
      if (frame === null) frame = requestAnimationFrame(measure);
    };
    measure();
    addEventListener('scroll', soon, { passive: true });
    addEventListener('resize', soon);
    return () => {
      removeEventListener('scroll', soon);
      removeEventListener('resize', soon);
      if (frame !== null) cancelAnimationFrame(frame);
    };
  }, [count, body]);
  return range;
}

function Spacer({ rows }: { rows: number }) {
  if (rows <= 0) return null;
  return (
    <tr aria-hidden="true" className="st-spacer">
      <td colSpan={COLUMNS.length} style={{ height: rows * ROW_PX }} />
    </tr>
  );
}

const Row = memo(function Row({ s, index }: { s: StationSummary; index: number }) {
  const temp = maxTempOf(s);
  const over = overLimit(s);
  return (
    <tr data-station={s.id} aria-rowindex={index + 2}>
      <th scope="row" data-col="name">
        <Link href={stationHref(s.id)}>{s.name}</Link>
        <div className="st-id">{s.id}</div>
      </th>
      <td data-col="queue" className="num">
        {s.queueWaiting}
      </td>
      <td data-col="wait" className="num">
        {fmt(s.predictedWaitMin, 1)} min
      </td>
      <td data-col="charged" className="num">
        {s.inventory.charged} / {s.capacity.batterySlots}
      </td>
      <td data-col="chargers">
        {s.chargers.length === 0 ? (
          <span className="notice">none reported</span>
        ) : (
          chargerCounts(s).map(([status, n]) => (
            <span key={status} className={status === 'faulted' || status === 'offline' ? 'tag bad' : 'tag'}>
              {n} {status}
            </span>
          ))
        )}
      </td>
      <td data-col="temp" className="num">
        {temp === null ? '–' : <span className={temp >= HOT_C ? 'tag bad' : undefined}>{fmt(temp)} °C</span>}
      </td>
      <td data-col="power" className="num">
        <span className={over ? 'tag bad' : undefined} title={over ? 'Over the limit' : undefined}>
          {powerText(s)}
        </span>
      </td>
      <td data-col="actions">
        <ActionTags actions={s.actions} />
      </td>
    </tr>
  );
});

export function Stations() {
  const { stations, connected } = useLiveEvery(VIEW_EVERY_MS);
  const [sort, setSort] = useState<{ key: SortKey; dir: Dir }>({ key: 'name', dir: 'ascending' });
  const [, navigate] = useLocation();

  const list = useMemo(() => [...stations.values()], [stations]);
  const rows = useMemo(() => {
    const col = COLUMNS.find((c) => c.key === sort.key)!;
    const sign = sort.dir === 'ascending' ? 1 : -1;
    return list.slice().sort((a, b) => {
      const x = col.value(a);
      const y = col.value(b);
      // Ties keep a stable order by id, so rows do not jump about as values change.
      return (x < y ? -1 : x > y ? 1 : 0) * sign || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
  }, [list, sort]);

  const body = useRef<HTMLTableSectionElement>(null);
  const [first, end] = useVisibleRows(rows.length, body);
  const open = useCallback((id: string) => navigate(stationHref(id)), [navigate]);
  const sortBy = (key: SortKey) =>
    setSort((p) => ({
      key,
      dir: p.key === key ? (p.dir === 'ascending' ? 'descending' : 'ascending') : key === 'name' ? 'ascending' : 'descending',
    }));

  return (
    <div className="st-page">
      <h1>Stations</h1>
      <p className="notice" aria-live="polite">
        {list.length} {list.length === 1 ? 'station' : 'stations'} in your scope{connected ? '' : ' (reconnecting...)'}
      </p>
      <StationMap stations={list} onOpen={open} />
      {list.length === 0 ? (
        <p className="notice">{connected ? 'No stations in your scope yet.' : 'Loading stations...'}</p>
      ) : (
        <div className="table-wrap">
          <table className="st-table" aria-rowcount={rows.length + 1}>
            <caption className="st-sr-only">Stations, sorted by {COLUMNS.find((c) => c.key === sort.key)!.label}</caption>
            <colgroup>
              {COLUMNS.map((c) => (
                <col key={c.key} style={c.width ? { width: c.width } : undefined} />
              ))}
            </colgroup>
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th key={c.key} scope="col" aria-sort={sort.key === c.key ? sort.dir : undefined}>
                    <button type="button" onClick={() => sortBy(c.key)}>
                      {c.label}
                      <span aria-hidden="true" className="st-sort">
                        {sort.key === c.key ? (sort.dir === 'ascending' ? ' ▲' : ' ▼') : ''}
                      </span>
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody ref={body}>
              <Spacer rows={first} />
              {rows.slice(first, end).map((s, i) => (
                <Row key={s.id} s={s} index={first + i} />
              ))}
              <Spacer rows={rows.length - end} />
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
