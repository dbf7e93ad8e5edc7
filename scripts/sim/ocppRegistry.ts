// The simulated charge points' accounts on the server: registered through the admin API, with the
// passwords it shows once kept in a file for the next run.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { login, TransportError, type Credentials } from './transports.js';

export interface RegistryOptions {
  /** The server's http(s) base URL. */
  url: string;
  /** An admin's credentials: registering charge points needs one. */
  creds: Credentials;
  /** Charge point passwords (shown once at registration), kept for the next run; null keeps none. */
  passwordsPath: string | null;
  warn?: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ChargePointRegistry {
  private passwords = new Map<string, string>();

  constructor(private readonly o: RegistryOptions) {}

  /** Reads the passwords saved by earlier runs. */
  async load(): Promise<void> {
    this.passwords = await loadPasswords(this.o.passwordsPath);
  }

  /** Keeps the passwords for the next run (when there is a file for them). */
  async save(): Promise<void> {
    if (this.o.passwordsPath) await savePasswords(this.o.passwordsPath, this.passwords);
  }

  /** A charge point's password from an earlier run, if kept. */
  saved(identity: string): string | undefined {
    return this.passwords.get(identity);
  }

  /**
   * POST .../charge-points: the new password, or null when the station has no room for the charge point.
   * `replace` removes it first; a taken identity without a usable password is removed and registered again.
   */
  async register(stationId: string, identity: string, replace: boolean): Promise<string | null> {
    const path = `/stations/${encodeURIComponent(stationId)}/charge-points`;
    if (replace) await this.remove(stationId, identity);
    let res = await this.admin('POST', path, { identity, connectors: 1 });
    if (res.status === 409 && errorCode(res.body) === 'CHARGE_POINT_EXISTS') {
      // Registered by an earlier run whose password is lost: a new registration is the only way to a new one.
      if (!(await this.remove(stationId, identity)))
        throw new TransportError(`charge point ${identity} is registered at another station than ${stationId}: remove it there first`);
      res = await this.admin('POST', path, { identity, connectors: 1 });
    }
    if (res.status === 409 && errorCode(res.body) === 'CHARGER_CAPACITY') {
      this.o.warn?.(`ocpp: ${identity} not registered (${describe(res.body)}); its signals go over JSON`);
      return null;
    }
    const password = (res.body as { password?: unknown } | null)?.password;
    if (res.status !== 201 || typeof password !== 'string')
      throw new TransportError(`registering charge point ${identity} failed (${res.status}): ${describe(res.body)}`);
    this.passwords.set(identity, password);
    return password;
  }

  /** DELETE .../charge-points/:identity; whether the station had it. */
  private async remove(stationId: string, identity: string): Promise<boolean> {
    const res = await this.admin('DELETE', `/stations/${encodeURIComponent(stationId)}/charge-points/${encodeURIComponent(identity)}`);
    this.passwords.delete(identity);
    if (res.status !== 204 && res.status !== 404)
      throw new TransportError(`removing charge point ${identity} failed (${res.status}): ${describe(res.body)}`);
    return res.status === 204;
  }

  /** A request to the admin API with the session's token, signing in again once if it expired; 429/5xx/network retried. */
  private async admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const { creds } = this.o;
    let relogged = false;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.o.url}/api${path}`, {
          method,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${creds.token ?? ''}` },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        if (attempt < 4) {
          await sleep(250 * 2 ** attempt);
          continue;
        }
        throw new TransportError(`${method} /api${path} failed: ${(err as Error).message}`);
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON: keep the text for the message.
      }
      if ((res.status === 429 || res.status >= 500) && attempt < 4) {
        await sleep(250 * 2 ** attempt);
        continue;
      }
      if (res.status === 401 && errorCode(parsed) === 'TOKEN_EXPIRED' && creds.login && !relogged) {
        relogged = true;
        Object.assign(creds, await login(this.o.url, creds.login.email, creds.login.password));
        continue;
      }
      if (res.status === 401 || res.status === 403)
        throw new TransportError(
          `${method} /api${path} answered ${res.status}: ${describe(parsed)}; --ocpp registers charge points, which needs an admin`,
        );
      return { status: res.status, body: parsed };
    }
  }
}

function errorCode(body: unknown): string | undefined {
  const e = (body as { error?: { code?: unknown } } | null)?.error;
  return e && typeof e === 'object' && typeof e.code === 'string' ? e.code : undefined;
}

function describe(body: unknown): string {
  const e = (body as { error?: { message?: unknown } } | null)?.error;
  if (e && typeof e === 'object' && typeof e.message === 'string') return e.message;
  return typeof body === 'string' ? body.slice(0, 200) : (JSON.stringify(body)?.slice(0, 200) ?? '');
}

async function loadPasswords(path: string | null): Promise<Map<string, string>> {
  if (!path || !existsSync(path)) return new Map();
  return new Map(Object.entries(JSON.parse(await readFile(path, 'utf8')) as Record<string, string>));
}

async function savePasswords(path: string, passwords: Map<string, string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(Object.fromEntries(passwords), null, 2)}\n`, { encoding: 'utf8', mode: 0o600 });
}
