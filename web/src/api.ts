// Calls to the copilot's REST API with the session's bearer token. A 401 refreshes the session once and
// retries; an error answer becomes an ApiError naming the field the server named.
import { session } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: { field?: string }[] };
}

async function toError(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => ({}))) as ErrorBody;
  const e = body.error ?? {};
  const fields = (e.details ?? []).map((d) => d.field).filter((f): f is string => typeof f === 'string');
  return new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText, fields);
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  /** Without the session's token (sign-in, refresh). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

function urlOf(path: string, query?: CallOptions['query']): string {
  const u = new URL(`/api${path}`, location.origin);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  return u.pathname + u.search;
}

async function send(path: string, o: CallOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(urlOf(path, o.query), {
    method: o.method ?? (o.body !== undefined ? 'POST' : 'GET'),
    headers,
    body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
    signal: o.signal,
  });
}

/** The JSON answer of `/api<path>`, or an ApiError. 204 answers undefined. */
export async function api<T>(path: string, o: CallOptions = {}): Promise<T> {
  let res = await send(path, o, o.anonymous ? null : await session.token());
  if (res.status === 401 && !o.anonymous && session.signedIn) {
    // The access token expired or was revoked: one refresh, then one retry.
    if (await session.refresh()) res = await send(path, o, await session.token());
  }
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401 && !o.anonymous) session.ended(err.message);
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A short text for an error shown to the user. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) return err.fields.length ? `${err.message} (${err.fields.join(', ')})` : err.message;
  return err instanceof Error ? err.message : String(err);
}
