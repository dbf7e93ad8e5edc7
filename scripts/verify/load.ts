// Reads a proof document from a file or from the server's proof URL.
import { readFile } from 'node:fs/promises';
import { InputError } from './errors.js';

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** Why a fetch failed, in words: node's fetch hides the socket error in `cause`. */
export function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer in time';
  if (e.cause?.code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (e.cause?.code === 'ENOTFOUND') return 'host not found (ENOTFOUND)';
  return e.cause?.message ?? e.message ?? String(err);
}

/** The server's `error.message` from an error body, if it has one. */
function errorMessage(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    return typeof parsed.error?.message === 'string' ? parsed.error.message : null;
  } catch {
    return null;
  }
}

/** The document's text. Throws InputError for an unreadable file, an unreachable URL or a non-2xx answer. */
export async function loadSource(source: string, opts: { token: string | null; timeoutMs: number }): Promise<string> {
  if (!isUrl(source)) {
    try {
      return await readFile(source, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(`cannot read ${source}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token}`;
  let res: Response;
  let body: string;
  try {
    res = await fetch(source, { headers, signal: AbortSignal.timeout(opts.timeoutMs) });
    body = await res.text();
  } catch (err) {
    throw new InputError(`GET ${source} failed: ${networkReason(err)}`);
  }
  if (!res.ok) {
    const message = errorMessage(body);
    throw new InputError(`GET ${source}: HTTP ${res.status} ${res.statusText}${message === null ? '' : `: ${message}`}`);
  }
  return body;
}
