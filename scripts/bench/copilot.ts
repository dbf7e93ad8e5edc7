// The copilot as the benchmarks run it: on embedded defaults in a child process, its first admin
// generated, its demo stations seeded, and the facts a result file records about the code measured.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { adminEnv, signIn, startServer, type Admin, type ServerChild } from './child.js';
import type { BenchStation } from './signals.js';

export interface CopilotOptions {
  /** The repository root: the child runs the built start.ts from here. */
  root: string;
  dataDir: string;
  admin: Admin;
  /** Demo stations seeded at the first start. */
  stations: number;
  cpuProfDir?: string;
  /** CPUs the copilot runs on (`taskset -c`). */
  cpus?: string;
  /** Settings over the bench's own (e.g. the simulator fed in-process). */
  env?: Record<string, string>;
}

/** What `npm start` runs: the compiled server, built (incrementally) by `buildServer`. */
export const SERVER_SCRIPT = 'dist/start.js';

/** `npm run build`: the contracts and dist/, so the figures are those of what `npm start` runs. */
export function buildServer(root: string): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

export function copilotEnv(o: Pick<CopilotOptions, 'dataDir' | 'admin' | 'stations'>): Record<string, string> {
  // Empty MONGODB_URI / REDIS_URL force the embedded defaults whatever the caller's shell holds.
  return {
    PORT: '0',
    DATA_DIR: o.dataDir,
    LOG_LEVEL: 'warn',
    SEED_DEMO: '1',
    SIMULATE: '0',
    SIMULATE_STATIONS: String(o.stations),
    MONGODB_URI: '',
    REDIS_URL: '',
    // At bench rates batches fill in well under a second: the 1 s window measures anchoring latency under load.
    ANCHOR_BATCH_MS: '1000',
    // Every station's signals come through one admin's sockets here; the per-sender limit (2,000/s by
    // default, with its own tests) would cap the whole load instead of one sender's.
    RATE_SIGNALS_PER_S: '1000000',
    // The load's sockets sign in once: an access token expiring after its 15 min would end them (a soak
    // runs for an hour; renewing over auth:renew has its own tests).
    ACCESS_TOKEN_TTL_S: '86400',
    ...adminEnv(o.admin),
  };
}

/** Starts the copilot, waits for its embedded chain and signs in as its admin. */
export async function startCopilot(
  o: CopilotOptions,
  started: (child: ServerChild) => void,
): Promise<{ child: ServerChild; token: string }> {
  const child = await startServer({
    script: SERVER_SCRIPT,
    cwd: o.root,
    env: { ...copilotEnv(o), ...o.env },
    cpuProfDir: o.cpuProfDir,
    cpus: o.cpus,
  });
  // The caller owns the child from here, so that a failure below still stops it.
  started(child);
  await chainUp(child.url);
  return { child, token: await signIn(child.url, o.admin) };
}

/** The embedded chain starts beside the server: measure anchoring only once it is there. */
async function chainUp(url: string): Promise<void> {
  const until = performance.now() + 60_000;
  for (;;) {
    const res = await fetch(`${url}/api/health`);
    const state = ((await res.json()) as { parts?: { chain?: { state?: string; detail?: string } } }).parts?.chain;
    if (state?.state === 'embedded' || state?.state === 'up') return;
    if (performance.now() > until) throw new Error(`the copilot's chain was not up after 60 s: ${JSON.stringify(state)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The seeded stations; registers `count` when the demo seeding is not available. */
export async function stationsOf(url: string, token: string, count: number): Promise<BenchStation[]> {
  const authorization = `Bearer ${token}`;
  const list = async () => {
    const res = await fetch(`${url}/api/stations?limit=1000`, { headers: { authorization } });
    if (!res.ok) throw new Error(`GET /api/stations answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { items: BenchStation[] }).items.map((s) => ({ id: s.id, capacity: s.capacity }));
  };
  const seeded = await list();
  if (seeded.length > 0) return seeded;
  for (let i = 1; i <= count; i++) {
    const id = `bench-${String(i).padStart(3, '0')}`;
    const body = {
      id,
      name: `Bench ${i}`,
      location: { lat: 52.52 + i * 0.01, lng: 13.4 + i * 0.01 },
      capacity: { bays: 4, chargers: 6, batterySlots: 40 },
    };
    const res = await fetch(`${url}/api/stations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify(body),
    });
    if (res.status !== 201 && res.status !== 409) throw new Error(`POST /api/stations answered ${res.status}: ${await res.text()}`);
  }
  return list();
}

export const machine = () => ({ cpus: cpus().length, model: cpus()[0]?.model ?? null, node: process.version });

/** The code measured: other work may be uncommitted while the bench runs, so say so in the result. */
export function revision(root: string): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}
