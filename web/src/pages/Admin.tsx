// Admin: users (create, disable, enable), each station's device keys, and the agents' switches and
// thresholds. The server validates everything; a refusal is shown with the field it names.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, describe } from '../api';
import { useLive } from '../live';
import { useSession } from '../session';
import type { Role, StationSummary, User } from '../types';
import './admin.css';

interface DeviceKey {
  keyId: string;
  status: 'active' | 'revoked';
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

interface AgentInfo {
  name: string;
  enabled: boolean;
  counters: { proposed: number; accepted: number; rejected: number };
  thresholds: Record<string, unknown>;
}

const ROLES: Role[] = ['operator', 'auditor', 'admin'];
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '-');

/** A table's head; the last column holds the row's buttons. */
function Head({ cols }: { cols: string[] }) {
  return (
    <thead>
      <tr>
        {cols.map((c) => (
          <th key={c}>{c}</th>
        ))}
        <th>
          <span className="sr-only">Actions</span>
        </th>
      </tr>
    </thead>
  );
}

function Alert({ text }: { text: string | null }) {
  return text ? (
    <p role="alert" className="error">
      {text}
    </p>
  ) : null;
}

function Users({ stations }: { stations: StationSummary[] }) {
  const me = useSession().user;
  const [users, setUsers] = useState<User[]>([]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [allStations, setAllStations] = useState(true);
  const [scope, setScope] = useState<string[]>([]);
  const [password, setPassword] = useState('');
  const [created, setCreated] = useState<{ email: string; password: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fail = (err: unknown) => setError(describe(err));

  const load = useCallback(() => {
    api<{ items: User[] }>('/auth/users').then((r) => setUsers(r.items), fail);
  }, []);
  useEffect(load, [load]);

  const create = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setCreated(null);
    const body = { email, role, stationScope: allStations ? 'all' : scope, ...(password ? { password } : {}) };
    api<{ user: User; password?: string }>('/auth/users', { body }).then((r) => {
      setCreated({ email: r.user.email, password: r.password ?? null });
      setEmail('');
      setPassword('');
      load();
    }, fail);
  };
  const toggle = (u: User) => {
    setError(null);
    api<{ user: User }>(`/auth/users/${encodeURIComponent(u.id)}`, { method: 'PATCH', body: { disabled: !u.disabled } }).then(
      (r) => setUsers((us) => us.map((x) => (x.id === u.id ? r.user : x))),
      fail,
    );
  };

  return (
    <section className="panel admin-section" aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      <div className="table-wrap">
        <table aria-label="Users">
          <Head cols={['Email', 'Role', 'Stations', 'State']} />
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>{u.role}</td>
                <td>{u.stationScope === 'all' ? 'all' : u.stationScope.join(', ')}</td>
                <td>{u.disabled ? 'disabled' : u.mustChangePassword ? 'must change password' : 'active'}</td>
                <td>
                  {u.id !== me?.id && (
                    <button type="button" onClick={() => toggle(u)} aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.email}`}>
                      {u.disabled ? 'Enable' : 'Disable'}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form className="admin-form" onSubmit={create} aria-label="New user">
        <h3>New user</h3>
        <label>
          Email
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Role
          <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={allStations} onChange={(e) => setAllStations(e.target.checked)} />
          All stations
        </label>
        {!allStations && (
          <label>
            Station scope
            <select
              aria-label="Station scope"
              multiple
              size={Math.min(6, Math.max(2, stations.length))}
              value={scope}
              onChange={(e) => setScope([...e.target.selectedOptions].map((o) => o.value))}
            >
              {stations.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.id}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Password (optional: leave empty to generate one)
          <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button type="submit">Create user</button>
      </form>
      {created && (
        <div role="status" className="once">
          <p>
            Created {created.email}.
            {created.password && (
              <>
                {' '}
                Generated password, shown this once: <code aria-label="Generated password">{created.password}</code>. They choose their own
                at first sign-in.
              </>
            )}
          </p>
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <Alert text={error} />
    </section>
  );
}

function DeviceKeys({ stations }: { stations: StationSummary[] }) {
  const [stationId, setStationId] = useState('');
  const [keys, setKeys] = useState<DeviceKey[]>([]);
  const [rotate, setRotate] = useState(true);
  const [issued, setIssued] = useState<{ stationId: string; keyId: string; deviceKey: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fail = (err: unknown) => setError(describe(err));
  const station = stationId || stations[0]?.id || '';
  const path = `/stations/${encodeURIComponent(station)}/device-keys`;

  const load = useCallback(() => {
    if (!station) return;
    api<{ items: DeviceKey[] }>(path).then((r) => setKeys(r.items), fail);
  }, [station, path]);
  useEffect(load, [load]);

  const issue = () => {
    setError(null);
    api<{ keyId: string; deviceKey: string }>(path, { body: { rotate } }).then((r) => {
      setIssued({ stationId: station, ...r });
      load();
    }, fail);
  };
  const revoke = (keyId: string) => {
    setError(null);
    api(`${path}/${encodeURIComponent(keyId)}`, { method: 'DELETE' }).then(load, fail);
  };

  return (
    <section className="panel admin-section" aria-labelledby="keys-heading">
      <h2 id="keys-heading">Device keys</h2>
      <div className="row">
        <label>
          Station
          <select
            aria-label="Station"
            value={station}
            onChange={(e) => {
              setStationId(e.target.value);
              setIssued(null);
            }}
          >
            {stations.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name === s.id ? s.id : `${s.id} (${s.name})`}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={rotate} onChange={(e) => setRotate(e.target.checked)} />
          Revoke the station's live keys (rotate)
        </label>
        <button type="button" onClick={issue} disabled={!station}>
          Issue a device key
        </button>
      </div>
      {issued && (
        <div role="status" className="once">
          <p>
            New device key for {issued.stationId} ({issued.keyId}), shown this once: copy it into the station's device now.
          </p>
          <code aria-label="New device key">{issued.deviceKey}</code>
          <button type="button" onClick={() => setIssued(null)}>
            Done
          </button>
        </div>
      )}
      <div className="table-wrap">
        <table aria-label="Device keys">
          <Head cols={['Key', 'State', 'Issued', 'Last used']} />
          <tbody>
            {keys.map((k) => (
              <tr key={k.keyId}>
                <td>
                  <code>{k.keyId}</code>
                </td>
                <td>{k.status === 'revoked' ? `revoked ${when(k.revokedAt)}` : 'active'}</td>
                <td>{when(k.createdAt)}</td>
                <td>{when(k.lastUsedAt)}</td>
                <td>
                  {k.status === 'active' && (
                    <button type="button" onClick={() => revoke(k.keyId)} aria-label={`Revoke ${k.keyId}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {station && keys.length === 0 && <p className="notice">No device keys for {station}.</p>}
      <Alert text={error} />
    </section>
  );
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

function Agents() {
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

export function Admin() {
  const { stations } = useLive();
  const list = [...stations.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  return (
    <section className="admin">
      <h1>Admin</h1>
      <Users stations={list} />
      <DeviceKeys stations={list} />
      <Agents />
    </section>
  );
}
