// Runs a server under test in its own process, so the load generator never
// shares its event loop, and reads its Prometheus metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

export interface ServerChild {
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL at once: a crash, for what it loses. */
  kill(): void;
  /** Settles when the process has exited: its code, or the signal that ended it (SIGKILL after a stop's grace). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** Script path relative to cwd: a .ts file runs as `node --import tsx <script>`, a .js file as it is. */
  script: string;
  cwd: string;
  env: Record<string, string>;
  /** When set, the child writes V8 CPU profiles here on exit. */
  cpuProfDir?: string;
  timeoutMs?: number;
  /** CPUs the child (and whatever it starts) may run on, as `taskset -c` takes them: e.g. "1". */
  cpus?: string;
  /** Appends everything the child prints to this file too (debugging a run). */
  logFile?: string;
}

const LISTENING = /listening on (http:\/\/[^\s]+)/;

export function startServer(opts: StartOptions): Promise<ServerChild> {
  const args = opts.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  if (opts.cpuProfDir) args.push('--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir);
  args.push(opts.script);
  // taskset execs the command in its own process: the pid stays the server's.
  const [command, argv] = opts.cpus ? ['taskset', ['-c', opts.cpus, process.execPath, ...args]] : [process.execPath, args];
  const proc: ChildProcess = spawn(command, argv, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Keep the tail of the output for error messages; a server that fails to start says why on stderr.
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  proc.stderr!.on('data', keep);
  if (opts.logFile) {
    const file = createWriteStream(opts.logFile, { flags: 'a' });
    proc.stdout!.on('data', (b: Buffer) => file.write(b));
    proc.stderr!.on('data', (b: Buffer) => file.write(b));
    proc.once('exit', () => file.end());
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );

  const stop = async (graceMs = 20_000): Promise<number | null> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    const { code } = await exited;
    clearTimeout(timer);
    return code;
  };

  return new Promise((resolve, reject) => {
    let out = '';
    let listening = false;
    const timer = setTimeout(() => {
      void stop(2000);
      reject(new Error(`${opts.script} did not print its URL within ${opts.timeoutMs ?? 60_000} ms; output:\n${out}${tail}`));
    }, opts.timeoutMs ?? 60_000);
    // Keep reading stdout after the URL: a full pipe would block the server's writes.
    proc.stdout!.on('data', (chunk: Buffer) => {
      if (listening) return;
      out += chunk.toString();
      const m = LISTENING.exec(out);
      if (m) {
        listening = true;
        clearTimeout(timer);
        resolve({ url: m[1], pid: proc.pid!, stop, kill: () => void proc.kill('SIGKILL'), exited });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.script} exited with code ${code} before listening; output:\n${out}${tail}`));
    });
  });
}

export interface Admin {
  email: string;
  password: string;
}

/** The first admin of a fresh copilot child: pass `adminEnv(admin)` in its env, then `signIn`. */
export function benchAdmin(): Admin {
  // 18 random bytes are 24 base64url characters: no guessable default, nothing printed.
  return { email: 'bench@localhost.localdomain', password: randomBytes(18).toString('base64url') };
}

export const adminEnv = (a: Admin): Record<string, string> => ({ ADMIN_EMAIL: a.email, ADMIN_PASSWORD: a.password });

/** An access token for `admin` (POST /api/auth/login). */
export async function signIn(url: string, admin: Admin): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(admin),
  });
  const body = (await res.json().catch(() => null)) as { accessToken?: unknown } | null;
  if (!res.ok || typeof body?.accessToken !== 'string')
    throw new Error(`login as ${admin.email} answered ${res.status}: ${JSON.stringify(body)}`);
  return body.accessToken;
}

/** Parses the Prometheus text format into `name{labels}` -> value (labels kept verbatim). */
export async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`GET ${url}/metrics answered ${res.status}`);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/** Sums a metric over all its label sets. */
export function sumOf(m: Map<string, number>, name: string): number {
  let total = 0;
  for (const [k, v] of m) if (k === name || k.startsWith(`${name}{`)) total += v;
  return total;
}

/**
 * Every thread's profile, main thread first: Node writes one file per thread
 * (the main thread, tsx's loader thread, the embedded database's worker).
 */
export async function threadProfiles(dir: string): Promise<{ thread: number; file: string }[]> {
  const out: { thread: number; file: string }[] = [];
  for (const f of await readdir(dir)) {
    const m = /\.\d+\.(\d+)\.\d+\.cpuprofile$/.exec(f);
    if (m) out.push({ thread: Number(m[1]), file: join(dir, f) });
  }
  return out.sort((a, b) => a.thread - b.thread);
}
