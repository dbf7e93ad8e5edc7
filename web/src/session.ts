// The signed-in session: who the user is, the access token (in memory only) and the refresh token (in
// sessionStorage, so a reload of the tab stays signed in and closing it signs out). The access token is
// refreshed a minute before it expires; a reused or revoked refresh token ends the session.
import { useSyncExternalStore } from 'react';
import type { Tokens, User } from './types';

const STORE_KEY = 'copilot.refresh';

interface State {
  user: User | null;
  /** Why the last session ended, when it was not the user's doing. */
  endedBecause: string | null;
  /** Restoring a session from the tab's refresh token at load. */
  restoring: boolean;
}

type Listener = () => void;

async function post<T>(path: string, body: unknown, token?: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`/api${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export class SessionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fields: string[],
  ) {
    super(message);
  }
}

function errorOf(body: unknown, status: number): SessionError {
  const e = (body as { error?: { code?: string; message?: string; details?: { field?: string }[] } } | undefined)?.error;
  return new SessionError(
    e?.code ?? `HTTP_${status}`,
    e?.message ?? `the server answered ${status}`,
    (e?.details ?? []).map((d) => d.field ?? '').filter(Boolean),
  );
}

class Session {
  private state: State = { user: null, endedBecause: null, restoring: false };
  private access: string | null = null;
  private refreshToken: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<Listener>();

  get snapshot(): State {
    return this.state;
  }

  get signedIn(): boolean {
    return this.state.user !== null;
  }

  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  private set(patch: Partial<State>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  private adopt(t: Tokens): void {
    this.access = t.accessToken;
    this.refreshToken = t.refreshToken;
    sessionStorage.setItem(STORE_KEY, t.refreshToken);
    if (this.timer) clearTimeout(this.timer);
    // A minute early, or halfway through a short-lived token.
    const inMs = Math.max(5_000, Math.min(t.expiresIn * 1000 - 60_000, (t.expiresIn * 1000) / 2));
    this.timer = setTimeout(() => void this.refresh(), inMs);
    this.set({ user: t.user, endedBecause: null, restoring: false });
  }

  private clear(reason: string | null): void {
    this.access = null;
    this.refreshToken = null;
    sessionStorage.removeItem(STORE_KEY);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.set({ user: null, endedBecause: reason, restoring: false });
  }

  /** The access token for a request or a socket handshake (null when signed out). */
  async token(): Promise<string | null> {
    if (this.refreshing) await this.refreshing;
    return this.access;
  }

  async signIn(email: string, password: string): Promise<void> {
    const r = await post<Tokens>('/auth/login', { email, password });
    if (r.status !== 200) throw errorOf(r.body, r.status);
    this.adopt(r.body);
  }

  /** Asks for a one-time code; the server answers the same whether or not the account exists. */
  async requestCode(email: string): Promise<string> {
    const r = await post<{ message: string }>('/auth/otp/request', { email });
    if (r.status !== 202) throw errorOf(r.body, r.status);
    return r.body.message;
  }

  async signInWithCode(email: string, code: string): Promise<void> {
    const r = await post<Tokens>('/auth/otp/verify', { email, code });
    if (r.status !== 200) throw errorOf(r.body, r.status);
    this.adopt(r.body);
  }

  /** Changes the password; every other session of the user ends, this one goes on with new tokens. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const r = await post<Tokens>('/auth/password', { currentPassword, newPassword }, this.access ?? undefined);
    if (r.status !== 200) throw errorOf(r.body, r.status);
    this.adopt(r.body);
  }

  /** Rotates the refresh token; false (and signed out) when the server refuses it. */
  refresh(): Promise<boolean> {
    if (this.refreshing) return this.refreshing;
    const token = this.refreshToken ?? sessionStorage.getItem(STORE_KEY);
    if (!token) return Promise.resolve(false);
    this.refreshing = post<Tokens>('/auth/refresh', { refreshToken: token })
      .then(
        (r) => {
          if (r.status === 200) {
            this.adopt(r.body);
            return true;
          }
          this.clear(r.status === 401 ? 'Your session ended. Sign in again.' : `Could not renew the session (${r.status}).`);
          return false;
        },
        () => {
          // The server is unreachable: keep the session and try again shortly.
          if (this.timer) clearTimeout(this.timer);
          this.timer = setTimeout(() => void this.refresh(), 5_000);
          return false;
        },
      )
      .finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** At load: a refresh token kept by this tab brings the session back. */
  async restore(): Promise<void> {
    if (!sessionStorage.getItem(STORE_KEY)) return;
    this.set({ restoring: true });
    const ok = await this.refresh();
    if (!ok && this.state.restoring) this.set({ restoring: false });
  }

  /** The server refused the session (revoked, disabled): signed out with the reason. */
  ended(reason: string): void {
    this.clear(reason);
  }

  async signOut(): Promise<void> {
    const token = this.refreshToken;
    this.clear(null);
    if (token) await post('/auth/logout', { refreshToken: token }).catch(() => undefined);
  }
}

export const session = new Session();

export function useSession(): State {
  return useSyncExternalStore(session.subscribe, () => session.snapshot);
}
