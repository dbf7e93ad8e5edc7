// One station: live charts from the samples the live store keeps, the plan in force (read again whenever
// the station's version moves, since every plan change is a folded signal), its chargers and its decisions.
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'wouter';
import type uPlot from 'uplot';
import { api, ApiError, describe } from '../api';
import { live, type Sample } from '../live';
import { LiveChart, type ChartSeries } from '../components/LiveChart';
import { ActionTags, HOT_C, maxTempOf, overLimit, powerText } from './Stations';
import { useLiveEvery, VIEW_EVERY_MS } from '../live';
import type { DecisionSummary, Page, StationSummary } from '../types';
import './stations.css';

/** `GET /api/stations/:id/plan`, as far as the page reads it. */
interface PlanAction {
  id: string;
  agent: string;
  action: string;
  target: string;
  params?: Record<string, unknown>;
  urgency?: string;
  since?: string;
  until?: string | null;
  status: 'active' | 'pending_approval';
  decisionId?: string;
  execution?: string;
}

interface StationPlan {
  stationId: string;
  actions: PlanAction[];
  changedAt: string | null;
}

interface PlanState {
  id: string;
  plan?: StationPlan;
  missing?: boolean;
  error?: string;
}

const QUEUE: ChartSeries[] = [{ label: 'Waiting', stroke: '#0b6bcb' }];
const STOCK: ChartSeries[] = [{ label: 'Charged packs', stroke: '#1a7f37' }];
const POWER: ChartSeries[] = [
  { label: 'Draw kW', stroke: '#0b6bcb' },
  { label: 'Limit kW', stroke: '#c0352b', dash: [6, 4] },
];
const TEMP: ChartSeries[] = [{ label: 'Max charger °C', stroke: '#d9480f' }];

/**
 * The plan of `id`, loaded again when `version` moves. Answers may come back out of order when versions move
 * quickly; an answer older than the one shown is dropped, a newer one always shown (no request is cancelled,
 * so a busy station still gets its plan).
 */
function usePlan(id: string, version: number | undefined): PlanState | null {
  const [state, setState] = useState<PlanState | null>(null);
  const issued = useRef(0);
  const shown = useRef(0);
  useEffect(() => {
    const seq = ++issued.current;
    const show = (next: (prev: PlanState | null) => PlanState) => {
      if (seq <= shown.current) return;
      shown.current = seq;
      setState(next);
    };
    api<StationPlan>(`/stations/${encodeURIComponent(id)}/plan`).then(
      (plan) => show(() => ({ id, plan })),
      (err: unknown) =>
        show((prev) =>
          err instanceof ApiError && err.status === 404
            ? { id, missing: true }
            : { id, plan: prev?.id === id ? prev.plan : undefined, error: describe(err) },
        ),
    );
  }, [id, version]);
  return state?.id === id ? state : null;
}

/** The station's decisions: a page from the API, then the live feed's on top. */
function useDecisions(id: string, feed: readonly DecisionSummary[]): { items: DecisionSummary[]; error: string | null } {
  const [past, setPast] = useState<{ id: string; items: DecisionSummary[]; error: string | null } | null>(null);
  useEffect(() => {
    let current = true;
    api<Page<DecisionSummary>>('/decisions', { query: { stationId: id, limit: 50 } }).then(
      (p) => current && setPast({ id, items: p.items, error: null }),
      (err: unknown) => current && setPast({ id, items: [], error: describe(err) }),
    );
    return () => {
      current = false;
    };
  }, [id]);
  const items = useMemo(() => {
    const byId = new Map<string, DecisionSummary>();
    if (past?.id === id) for (const d of past.items) byId.set(d.id, d);
    for (const d of feed) if (d.stationId === id) byId.set(d.id, { ...byId.get(d.id), ...d });
    return [...byId.values()].sort((a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0));
  }, [past, feed, id]);
  return { items, error: past?.id === id ? past.error : null };
}

/** The charts' columns from the samples, skipping any that would step back in time (uPlot needs x sorted). */
function columnsOf(h: readonly Sample[]) {
  const t: number[] = [];
  const queue: number[] = [];
  const charged: number[] = [];
  const draw: (number | null)[] = [];
  const limit: (number | null)[] = [];
  const temp: (number | null)[] = [];
  for (const s of h) {
    if (t.length && s.t <= t[t.length - 1]) continue;
    t.push(s.t);
    queue.push(s.queue);
    charged.push(s.charged);
    draw.push(s.drawKW);
    limit.push(s.limitKW);
    temp.push(s.maxTempC);
  }
  return {
    queue: [t, queue] as uPlot.AlignedData,
    stock: [t, charged] as uPlot.AlignedData,
    power: [t, draw, limit] as uPlot.AlignedData,
    temp: [t, temp] as uPlot.AlignedData,
  };
}

const when = (ts: string | null | undefined) => (ts ? new Date(ts).toLocaleString() : '–');

function paramsText(p: Record<string, unknown> | undefined): string {
  if (!p) return '';
  return Object.entries(p)
    .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

function Figures({ s }: { s: StationSummary }) {
  const temp = maxTempOf(s);
  return (
    <dl className="st-figures">
      <div>
        <dt>Queue</dt>
        <dd data-fig="queue">{s.queueWaiting}</dd>
      </div>
      <div>
        <dt>Predicted wait</dt>
        <dd>{s.predictedWaitMin} min</dd>
      </div>
      <div>
        <dt>Charged packs</dt>
        <dd>
          {s.inventory.charged} / {s.capacity.batterySlots}
        </dd>
      </div>
      <div>
        <dt>Power</dt>
        <dd className={overLimit(s) ? 'st-bad' : undefined}>{powerText(s)}</dd>
      </div>
      <div>
        <dt>Max charger temp</dt>
        <dd className={temp !== null && temp >= HOT_C ? 'st-bad' : undefined}>{temp === null ? '–' : `${temp} °C`}</dd>
      </div>
      <div>
        <dt>Bays open</dt>
        <dd>
          {s.bays.open} / {s.bays.total}
        </dd>
      </div>
    </dl>
  );
}

function Charts({ s }: { s: StationSummary }) {
  // The store replaces the station object whenever it records a sample: that is when the charts change.
  const cols = useMemo(() => columnsOf(live.historyOf(s.id)), [s]);
  const temp = maxTempOf(s);
  return (
    <section className="st-charts" aria-label="Live charts">
      <LiveChart title="Queue" summary={`${s.queueWaiting} waiting`} series={QUEUE} data={cols.queue} fromZero integer />
      <LiveChart
        title="Charged stock"
        summary={`${s.inventory.charged} of ${s.capacity.batterySlots}`}
        series={STOCK}
        data={cols.stock}
        fromZero
        integer
      />
      <LiveChart
        title="Power"
        summary={s.power.drawKW === null && s.power.limitKW === null ? 'no reading' : powerText(s)}
        series={POWER}
        data={cols.power}
        fromZero
      />
      <LiveChart title="Charger temperature" summary={temp === null ? 'no reading' : `max ${temp} °C`} series={TEMP} data={cols.temp} />
    </section>
  );
}

function PlanTable({ plan }: { plan: StationPlan }) {
  if (!plan.actions.length) return <p className="notice">Nothing in force.</p>;
  return (
    <div className="table-wrap">
      <table className="st-plan">
        <thead>
          <tr>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Agent</th>
            <th scope="col">Status</th>
            <th scope="col">Setpoints</th>
            <th scope="col">Since</th>
            <th scope="col">Decision</th>
          </tr>
        </thead>
        <tbody>
          {plan.actions.map((a) => (
            <tr key={a.id} data-action={a.id}>
              <td>{a.action.replace(/_/g, ' ')}</td>
              <td>{a.target}</td>
              <td>{a.agent}</td>
              <td>
                <span className={a.status === 'pending_approval' ? 'tag warn' : 'tag ok'}>
                  {a.status === 'pending_approval' ? 'awaiting approval' : 'active'}
                </span>
                {a.execution && a.status === 'active' ? <div className="st-id">{a.execution}</div> : null}
              </td>
              <td>{paramsText(a.params)}</td>
              <td>{when(a.since)}</td>
              <td>{a.decisionId ? <Link href={`/decisions/${encodeURIComponent(a.decisionId)}`}>open</Link> : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Chargers({ s }: { s: StationSummary }) {
  if (!s.chargers.length) return <p className="notice">No charger has reported yet.</p>;
  return (
    <div className="table-wrap">
      <table className="st-chargers">
        <thead>
          <tr>
            <th scope="col">Charger</th>
            <th scope="col">Status</th>
            <th scope="col">Temperature</th>
          </tr>
        </thead>
        <tbody>
          {s.chargers.map((c) => (
            <tr key={c.id} data-charger={c.id}>
              <td>{c.id}</td>
              <td>
                <span className={c.status === 'faulted' || c.status === 'offline' ? 'tag bad' : 'tag'}>{c.status}</span>
              </td>
              <td className={c.tempC !== null && c.tempC >= HOT_C ? 'st-bad' : undefined}>{c.tempC === null ? '–' : `${c.tempC} °C`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DecisionList({ items }: { items: DecisionSummary[] }) {
  if (!items.length) return <p className="notice">No decisions yet.</p>;
  return (
    <ul className="st-decisions">
      {items.map((d) => (
        <li key={d.id}>
          <Link href={`/decisions/${encodeURIComponent(d.id)}`}>{when(d.ts)}</Link>{' '}
          <span className={d.status === 'pending_approval' ? 'tag warn' : 'tag'}>{d.status.replace(/_/g, ' ')}</span>{' '}
          {d.risk?.level ? <span className={d.risk.level === 'high' ? 'tag bad' : 'tag'}>risk {d.risk.level}</span> : null}{' '}
          <span className="st-what">{d.actions.map((a) => a.action.replace(/_/g, ' ')).join(', ') || 'no action'}</span>
        </li>
      ))}
    </ul>
  );
}

export function StationPage({ id }: { id: string }) {
  const { stations, decisions: feed } = useLiveEvery(VIEW_EVERY_MS);
  useEffect(() => live.follow(id), [id]);
  const s = stations.get(id);
  const plan = usePlan(id, s?.version);
  const decisions = useDecisions(id, feed);

  if (plan?.missing)
    return (
      <div className="st-page">
        <h1>No such station</h1>
        <p className="notice">
          There is no station <code>{id}</code> in your scope. <Link href="/stations">All stations</Link>
        </p>
      </div>
    );

  return (
    <div className="st-page">
      <p className="st-back">
        <Link href="/stations">All stations</Link>
      </p>
      <h1>{s?.name ?? id}</h1>
      {s ? (
        <>
          <p className="st-id">{s.id}</p>
          <Figures s={s} />
          <Charts s={s} />
        </>
      ) : (
        <p className="notice">Loading the station...</p>
      )}
      <div className="st-columns">
        <section className="panel" aria-labelledby="st-plan-h">
          <h2 id="st-plan-h">Plan in force</h2>
          {plan?.error && <p className="error">{plan.error}</p>}
          {plan?.plan ? <PlanTable plan={plan.plan} /> : !plan?.error && <p className="notice">Loading the plan...</p>}
          {s && s.actions.length > 0 && !plan?.plan && <ActionTags actions={s.actions} />}
        </section>
        <section className="panel" aria-labelledby="st-chargers-h">
          <h2 id="st-chargers-h">Chargers</h2>
          {s ? <Chargers s={s} /> : <p className="notice">Loading...</p>}
        </section>
      </div>
      <section className="panel" aria-labelledby="st-decisions-h">
        <h2 id="st-decisions-h">Decisions</h2>
        {decisions.error && <p className="error">{decisions.error}</p>}
        <DecisionList items={decisions.items} />
      </section>
    </div>
  );
}
