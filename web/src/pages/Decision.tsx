// One decision in full (`GET /api/decisions/:id`): why, what it started and stopped, what lost and to which
// rule, the evidence and risk, the operator's answer and the equipment's, and its anchor. It reads the
// record again whenever /dashboard reports something for it; operators answer pending ones here.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Link } from 'wouter';
import { ApiError, api, describe } from '../api';
import { live } from '../live';
import { useSession } from '../session';
import type { Approval } from '../types';
import { AnchorDetails, VerifyDecision, type Anchor } from './Audit';
import { AnchorTag, RiskTag, StatusTag, Table, statusOf, when, words } from './Decisions';
import './decisions.css';

type Params = Record<string, unknown>;

interface Proposal {
  agent: string;
  action: string;
  params?: Params;
  urgency?: number;
  confidence?: number;
  evidence?: Params;
}

interface PlanAction {
  id: string;
  agent: string;
  action: string;
  target: string;
  params?: Params;
  status?: string;
}

interface Outcome {
  ref: string;
  kind: string;
  action: string;
  target: string;
  actuator: string;
  outcome: string;
  detail: string | null;
  at: string;
  latencyMs: number;
  anchor?: Anchor;
}

/** The full record, as far as this page shows it (docs/api.md, `GET /decisions/:id`). */
interface DecisionRecord {
  id: string;
  stationId: string;
  signalId: string;
  signalType: string;
  ts: string;
  status: string;
  actions: Proposal[];
  changes?: {
    started: PlanAction[];
    adjusted: (PlanAction & { from: Params; to: Params })[];
    stopped: (PlanAction & { reason: string; note: string; operator?: { by: string; note: string | null } })[];
  };
  rejected: { proposal: Proposal; rule: string; reason: string }[];
  conflicts: { resource: string; between: [string, string]; winner: string; rule: string }[];
  trail: { rule: string; note: string }[];
  risk: { level: string; score: number; reasons: string[] };
  nearby?: { id: string; name: string; distanceKm: number; predictedWaitMin: number; charged: number; queueWaiting: number }[];
  policyVersion: string;
  stateVersion: number;
  hash: string;
  explanation: { text: string; source: string; model?: string; promptVersion?: string } | null;
  anchor?: Anchor;
  approval?: Approval | null;
  outcomes?: Outcome[];
}

const value = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const paramsText = (p: Params | undefined) =>
  Object.entries(p ?? {})
    .map(([k, v]) => `${k} ${value(v)}`)
    .join(', ') || '-';

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = `dec-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function Actions({ rec }: { rec: DecisionRecord }) {
  const c = rec.changes ?? { started: [], adjusted: [], stopped: [] };
  if (!c.started.length && !c.adjusted.length && !c.stopped.length) return <p className="notice">The plan did not change.</p>;
  return (
    <>
      {c.started.length > 0 && (
        <>
          <h3>Started</h3>
          <Table
            head={['Action', 'Agent', 'Target', 'Settings', 'State']}
            rows={c.started.map((a) => [words(a.action), a.agent, a.target, paramsText(a.params), words(a.status ?? '-')])}
          />
        </>
      )}
      {c.adjusted.length > 0 && (
        <>
          <h3>Adjusted</h3>
          <Table
            head={['Action', 'Agent', 'Target', 'From', 'To']}
            rows={c.adjusted.map((a) => [words(a.action), a.agent, a.target, paramsText(a.from), paramsText(a.to)])}
          />
        </>
      )}
      {c.stopped.length > 0 && (
        <>
          <h3>Stopped</h3>
          <Table
            head={['Action', 'Agent', 'Target', 'Why', 'Note']}
            rows={c.stopped.map((a) => [
              words(a.action),
              a.agent,
              a.target,
              a.reason,
              a.operator ? `${a.note} (by ${a.operator.by})` : a.note,
            ])}
          />
        </>
      )}
    </>
  );
}

function LosingProposals({ rec }: { rec: DecisionRecord }) {
  return (
    <>
      {rec.rejected.length === 0 && rec.conflicts.length === 0 && <p className="notice">No proposal lost: every one was taken.</p>}
      {rec.rejected.length > 0 && (
        <Table
          head={['Agent', 'Proposed', 'Beaten by rule', 'Why']}
          rows={rec.rejected.map((r) => [r.proposal.agent, words(r.proposal.action), words(r.rule), r.reason])}
        />
      )}
      {rec.conflicts.length > 0 && (
        <>
          <h3>Conflicts</h3>
          <Table
            head={['Resource', 'Between', 'Winner', 'Rule']}
            rows={rec.conflicts.map((c) => [c.resource, c.between.map(words).join(' / '), words(c.winner), words(c.rule)])}
          />
        </>
      )}
      <h3>The rules, in order</h3>
      <ol className="trail">
        {rec.trail.map((t, i) => (
          <li key={i}>
            <strong>{words(t.rule)}</strong>: {t.note}
          </li>
        ))}
      </ol>
    </>
  );
}

function Evidence({ rec }: { rec: DecisionRecord }) {
  return (
    <>
      <p>
        Risk <RiskTag risk={rec.risk} /> score {rec.risk.score}
        {rec.risk.reasons.length > 0 && `: ${rec.risk.reasons.join('; ')}`}
      </p>
      {rec.actions.map((a, i) => (
        <div key={i} className="evidence">
          <h3>
            {a.agent}: {words(a.action)}
            <small>
              {' '}
              urgency {a.urgency ?? '-'}, confidence {a.confidence ?? '-'}
            </small>
          </h3>
          <dl className="kv">
            {Object.entries(a.evidence ?? {}).map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{value(v)}</dd>
              </div>
            ))}
          </dl>
        </div>
      ))}
      {rec.nearby && rec.nearby.length > 0 && (
        <>
          <h3>Nearby stations as the agents saw them</h3>
          <Table
            head={['Station', 'Distance', 'Wait', 'Charged', 'Queue']}
            rows={rec.nearby.map((n) => [n.name, `${n.distanceKm} km`, `${n.predictedWaitMin} min`, n.charged, n.queueWaiting])}
          />
        </>
      )}
      <p className="notice">
        Signal {rec.signalType} {rec.signalId}, station state version {rec.stateVersion}, policy {rec.policyVersion}
      </p>
    </>
  );
}

/** `onRefused`: the server says it is no longer pending (answered elsewhere, or its actions left the plan). */
function Answer({ id, onAnswered, onRefused }: { id: string; onAnswered: (a: Approval) => void; onRefused: () => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function answer(kind: 'approve' | 'reject'): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      onAnswered(await api<Approval>(`/decisions/${encodeURIComponent(id)}/${kind}`, { body: note.trim() ? { note: note.trim() } : {} }));
    } catch (err) {
      setError(describe(err));
      if (err instanceof ApiError && err.status === 409) onRefused();
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="answer" onSubmit={(e) => e.preventDefault()}>
      <label>
        Note
        <textarea rows={2} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      <p className="row">
        <button type="button" className="primary" disabled={busy} onClick={() => void answer('approve')}>
          Approve
        </button>
        <button type="button" disabled={busy} onClick={() => void answer('reject')}>
          Reject
        </button>
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

interface ApprovalProps {
  rec: DecisionRecord;
  operator: boolean;
  onAnswered: (a: Approval) => void;
  onRefused: () => void;
}

function ApprovalView({ rec, operator, onAnswered, onRefused }: ApprovalProps) {
  const a = rec.approval;
  if (a)
    return (
      <div role="status">
        <p>
          <StatusTag status={a.outcome} /> by {a.by} at {when(a.at)}
        </p>
        {a.note && <blockquote>{a.note}</blockquote>}
        {a.anchor && (
          <p className="notice">
            The answer's own anchor: <AnchorTag status={a.anchor.status} />
          </p>
        )}
      </div>
    );
  if (rec.status !== 'pending_approval') return <p className="notice">No approval needed: the actions went into force at once.</p>;
  return (
    <>
      <p>Waiting for an operator: its actions are not in force until approved.</p>
      {operator && <Answer id={rec.id} onAnswered={onAnswered} onRefused={onRefused} />}
    </>
  );
}

function Outcomes({ outcomes }: { outcomes: Outcome[] }) {
  return (
    <Table
      head={['Action', 'Target', 'Command', 'Answer', 'Detail', 'At', 'Anchor']}
      rows={outcomes.map((o) => [
        words(o.action),
        o.target,
        o.kind,
        `${o.outcome} (${o.actuator}, ${Math.round(o.latencyMs)} ms)`,
        o.detail ?? '-',
        when(o.at),
        <AnchorTag key="a" status={o.anchor?.status} />,
      ])}
    />
  );
}

export function DecisionPage({ id }: { id: string }) {
  const { user } = useSession();
  const [rec, setRec] = useState<DecisionRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setRec(await api<DecisionRecord>(`/decisions/${encodeURIComponent(id)}`));
      setError(null);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 ? 'No such decision in your stations.' : describe(err));
    }
  }, [id]);
  useEffect(() => {
    setRec(null);
    void load();
    // Events for one decision come in bursts (explained, anchored, outcomes): one read after the burst.
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = live.onDecision((changed) => {
      if (changed !== id) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void load(), 150);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [id, load]);

  if (error && !rec)
    return (
      <section>
        <h1>Decision</h1>
        <p className="error">{error}</p>
        <Link href="/decisions">All decisions</Link>
      </section>
    );
  if (!rec) return <p className="notice">Loading the decision...</p>;
  const canVerify = user?.role === 'auditor' || user?.role === 'admin';
  return (
    <article className="decision">
      <p>
        <Link href="/decisions">All decisions</Link>
      </p>
      <h1>Decision</h1>
      <p className="mono hex">{rec.id}</p>
      <p className="facts">
        <Link href={`/stations/${encodeURIComponent(rec.stationId)}`}>{rec.stationId}</Link>
        <span>{when(rec.ts)}</span>
        <StatusTag status={statusOf(rec)} />
        <RiskTag risk={rec.risk} />
      </p>
      {error && <p className="error">{error}</p>}
      <Section title="Explanation">
        <p className="explanation">{rec.explanation?.text ?? 'Not explained yet.'}</p>
        {rec.explanation && (
          <p className="notice">
            Source: {rec.explanation.source}
            {rec.explanation.model ? `, model ${rec.explanation.model}` : ''}
            {rec.explanation.promptVersion ? ` (${rec.explanation.promptVersion})` : ''}
          </p>
        )}
      </Section>
      <Section title="Approval">
        <ApprovalView
          rec={rec}
          operator={user?.role === 'operator'}
          onAnswered={(a) => setRec((r) => (r ? { ...r, approval: a } : r))}
          onRefused={() => void load()}
        />
      </Section>
      <Section title="Actions">
        <Actions rec={rec} />
      </Section>
      <Section title="Losing proposals">
        <LosingProposals rec={rec} />
      </Section>
      <Section title="Evidence and risk">
        <Evidence rec={rec} />
      </Section>
      {rec.outcomes && rec.outcomes.length > 0 && (
        <Section title="Outcomes">
          <Outcomes outcomes={rec.outcomes} />
        </Section>
      )}
      <Section title="Anchor">
        <AnchorDetails anchor={rec.anchor} hash={rec.hash} />
        {canVerify && <VerifyDecision id={rec.id} />}
      </Section>
    </article>
  );
}
