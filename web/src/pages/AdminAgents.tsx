// Admin: the agents' thresholds, one form each. The server validates (as for PATCH /api/agents/:name)
// and its refusal is shown next to the field it names.
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, describe } from '../api';
import { Alert } from './AdminAlert';

interface AgentInfo {
  name: string;
  enabled: boolean;
  counters: { proposed: number; accepted: number; rejected: number };
  thresholds: Record<string, unknown>;
}

const shown = (v: unknown) => (Array.isArray(v) ? v.join(', ') : String(v));

function AgentForm({ agent, saved, onSaved }: { agent: AgentInfo; saved: boolean; onSaved: (a: AgentInfo) => void }) {
  const keys = Object.keys(agent.thresholds).filter((k) => typeof agent.thresholds[k] !== 'object' || Array.isArray(agent.thresholds[k]));
  const [draft, setDraft] = useState<Record<string, string>>(() => Object.fromEntries(keys.map((k) => [k, shown(agent.thresholds[k])])));
  const [enabled, setEnabled] = useState(agent.enabled);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(
    saved ? { ok: true, text: `Saved ${agent.name}: in force for the next signals.` } : null,
  );

  const save = (e: FormEvent) => {
    e.preventDefault();
    setFieldErrors({});
    setStatus(null);
    // Only what changed: the server keeps a changed threshold as an override of the configured one.
    const thresholds: Record<string, unknown> = {};
    for (const k of keys) {
      const was = agent.thresholds[k];
      const now = draft[k].trim();
      if (now === shown(was)) continue;
      if (Array.isArray(was))
        thresholds[k] = now
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      // An empty or unreadable number goes as null, for the server to refuse by name.
      else thresholds[k] = now === '' || !Number.isFinite(Number(now)) ? null : Number(now);
    }
    const body = { ...(enabled !== agent.enabled ? { enabled } : {}), ...(Object.keys(thresholds).length ? { thresholds } : {}) };
    if (!Object.keys(body).length) return setStatus({ ok: true, text: 'Nothing changed.' });
    api<AgentInfo>(`/agents/${encodeURIComponent(agent.name)}`, { method: 'PATCH', body }).then(onSaved, (err: unknown) => {
      // The server names the field as thresholds.<agent>.<key>: shown next to that input.
      const prefix = `thresholds.${agent.name}.`;
      const mine = err instanceof ApiError ? err.fields.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length)) : [];
      const msg = err instanceof Error ? err.message : String(err);
      if (mine.length) setFieldErrors(Object.fromEntries(mine.map((k) => [k.split('.')[0], msg])));
      setStatus({ ok: false, text: mine.length ? 'Not saved: nothing changed.' : `Not saved: ${describe(err)}` });
    });
  };

  const id = (k: string) => `agent-${agent.name}-${k}`;
  return (
    <form className="agent" onSubmit={save} aria-label={`Agent ${agent.name}`}>
      <fieldset>
        <legend>{agent.name}</legend>
        <p className="notice">
          Proposed {agent.counters.proposed}, accepted {agent.counters.accepted}, rejected {agent.counters.rejected}
        </p>
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          Enabled
        </label>
        <div className="thresholds">
          {keys.map((k) => (
            <div key={k} className="threshold">
              <label htmlFor={id(k)}>{Array.isArray(agent.thresholds[k]) ? `${k} (comma-separated)` : k}</label>
              <input
                id={id(k)}
                type={Array.isArray(agent.thresholds[k]) ? 'text' : 'number'}
                step="any"
                value={draft[k]}
                aria-invalid={fieldErrors[k] ? true : undefined}
                aria-describedby={fieldErrors[k] ? `${id(k)}-error` : undefined}
                onChange={(e) => setDraft({ ...draft, [k]: e.target.value })}
              />
              {fieldErrors[k] && (
                <span id={`${id(k)}-error`} className="error field-error">
                  {fieldErrors[k]}
                </span>
              )}
            </div>
          ))}
        </div>
        <div className="row">
          <button type="submit">Save {agent.name}</button>
          {status && (
            <span role={status.ok ? 'status' : 'alert'} className={status.ok ? 'notice' : 'error'}>
              {status.text}
            </span>
          )}
        </div>
      </fieldset>
    </form>
  );
}

export function Agents() {
  const [agents, setAgents] = useState<AgentInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const fail = (err: unknown) => setError(describe(err));
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    api<{ items: AgentInfo[] }>('/agents').then((r) => setAgents(r.items), fail);
  }, []);
  const onSaved = (a: AgentInfo) => {
    setAgents((as) => as.map((x) => (x.name === a.name ? a : x)));
    setSaved(a.name);
  };
  return (
    <section className="panel admin-section" aria-labelledby="agents-heading">
      <h2 id="agents-heading">Agent thresholds</h2>
      <p className="notice">Changes are audited and anchored, kept across restarts, and apply to the next signals.</p>
      <Alert text={error} />
      <div className="agents">
        {agents.map((a) => (
          // A saved agent remounts its form, so the inputs show what is now in force.
          <AgentForm key={`${a.name}:${JSON.stringify(a.thresholds)}:${a.enabled}`} agent={a} saved={saved === a.name} onSaved={onSaved} />
        ))}
      </div>
    </section>
  );
}
