// Admin: users (create, disable, enable), each station's device keys, and the agents' switches and
// thresholds. The server validates everything; a refusal is shown with the field it names.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, describe } from '../api';
import { useLive } from '../live';
import { useSession } from '../session';
import type { Role, StationSummary, User } from '../types';
import { Agents } from './AdminAgents';
import { Alert } from './AdminAlert';
import './admin.css';

interface DeviceKey {
  keyId: string;
  status: 'active' | 'revoked';
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
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
