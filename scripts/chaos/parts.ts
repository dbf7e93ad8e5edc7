// The moving parts of `npm run chaos`: a redis-server with AOF (appendfsync always), a shared MongoDB
// (the embedded wire server, in this process), copilot instances on fixed ports that can be killed and
// started again, dashboards that count the decisions they see, and a sender that keeps every batch
// until one instance acknowledged it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { startServer, type ServerChild } from '../bench/child.js';
import { SERVER_SCRIPT } from '../bench/copilot.js';
import type { BenchSignal } from '../bench/signals.js';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The project's own redis-server, persisting every write before it answers (AOF, appendfsync always). */
export async function startRedisAof(dir: string, port: number): Promise<RedisServer> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('error', (err) => reject(new Error(`redis-server could not start (apt-get install -y redis-server): ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** One copilot instance on its own port and data folder, started again on the same port after a kill. */
export class Instance {
  child: ServerChild | null = null;
  kills = 0;
  readonly restartMs: number[] = [];

  constructor(
    readonly index: number,
    readonly port: number,
    private readonly root: string,
    private readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const t0 = performance.now();
    this.child = await startServer({
      script: SERVER_SCRIPT,
      cwd: this.root,
      env: { ...this.env, PORT: String(this.port), HOST: '127.0.0.1', DATA_DIR: join(this.dir, `instance-${this.index}`) },
      timeoutMs: 60_000,
      ...(process.env.CHAOS_LOGS ? { logFile: join(process.env.CHAOS_LOGS, `instance-${this.index}.log`) } : {}),
    });
    if (this.kills > 0) this.restartMs.push(performance.now() - t0);
  }

  /** SIGKILL, then started again at once on the same port. */
  async crash(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    child.kill();
    await child.exited;
    this.kills += 1;
    await this.start();
  }

  async stop(): Promise<void> {
    await this.child?.stop(10_000);
    this.child = null;
  }
}

/** A dashboard on one instance, subscribed to every station, counting the decisions it is sent. */
export class Dashboard {
  readonly seen = new Set<string>();
  /** When each decision reached it (performance.now() of this process). */
  readonly seenAt = new Map<string, number>();
  /** How long after it was made (its record's createdAt, this machine's clock) each decision reached it. */
  readonly deliveredMs: number[] = [];
  reconnects = 0;
  recovered = 0;
  private readonly socket: Socket;

  constructor(
    readonly instance: number,
    url: string,
    token: string,
  ) {
    this.socket = io(`${url}/dashboard`, {
      transports: ['websocket'],
      auth: { token },
      reconnectionDelay: 200,
      reconnectionDelayMax: 1000,
    });
    this.socket.on('decision:created', (d: { id: string; createdAt: string }) => {
      this.seen.add(d.id);
      if (!this.seenAt.has(d.id)) {
        this.seenAt.set(d.id, performance.now());
        this.deliveredMs.push(Date.now() - Date.parse(d.createdAt));
      }
    });
    let connected = false;
    this.socket.on('connect', () => {
      if (this.socket.recovered) {
        // Its rooms and what it missed while away came back with it.
        this.recovered += 1;
        return;
      }
      if (connected) this.reconnects += 1;
      connected = true;
      this.socket.emit('subscribe', { stationIds: '*' }, () => undefined);
    });
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
  }

  close(): void {
    this.socket.close();
  }
}

export interface SendResult {
  /** Per station, how many of its signals an instance acknowledged (accepted or duplicate). */
  acked: Map<string, number>;
  ackedTotal: number;
  /** Batches sent again after an instance failed to answer. */
  retries: number;
  latenciesMs: number[];
  /** Per acknowledged signal id: when the request that was acknowledged left, and which instance took it. */
  sentAt: Map<string, { at: number; instance: number }>;
}

/**
 * Sends the signals in batches, round robin over the instances, at `rate` signals/s; a batch that an
 * instance did not answer 202 is sent to the next one until one does. Every id answered accepted or
 * duplicate counts once as acknowledged.
 */
export async function sendAll(
  signals: readonly BenchSignal[],
  instances: readonly Instance[],
  token: string,
  o: { batch: number; rate: number; concurrency: number; onProgress?(sent: number): void },
): Promise<SendResult> {
  const acked = new Map<string, number>();
  const done = new Set<string>();
  let retries = 0;
  const latenciesMs: number[] = [];
  const sentAt = new Map<string, { at: number; instance: number }>();
  let next = 0;
  const started = performance.now();
  const batches: BenchSignal[][] = [];
  for (let i = 0; i < signals.length; i += o.batch) batches.push(signals.slice(i, i + o.batch));

  const post = async (batch: BenchSignal[], attempt: number): Promise<void> => {
    const target = instances[(batches.indexOf(batch) + attempt) % instances.length];
    const t0 = performance.now();
    try {
      const res = await fetch(`${target.url}/api/data/signals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ signals: batch }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json().catch(() => null)) as { results?: { id: string; status: string }[] } | null;
      if (res.status !== 202 || !body?.results) throw new Error(`answered ${res.status}`);
      latenciesMs.push(performance.now() - t0);
      const byId = new Map(batch.map((s) => [s.id, s]));
      for (const r of body.results) {
        if (r.status === 'rejected' || done.has(r.id)) continue;
        done.add(r.id);
        sentAt.set(r.id, { at: t0, instance: target.index });
        const s = byId.get(r.id)!;
        acked.set(s.stationId, (acked.get(s.stationId) ?? 0) + 1);
      }
    } catch {
      retries += 1;
      await new Promise((r) => setTimeout(r, 200));
      return post(batch, attempt + 1);
    }
  };

  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= batches.length) return;
      // Paced: batch i leaves no earlier than its share of the run at `rate`.
      const due = started + ((i * o.batch) / o.rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await post(batches[i], 0);
      o.onProgress?.(Math.min(signals.length, (i + 1) * o.batch));
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return { acked, ackedTotal: done.size, retries, latenciesMs, sentAt };
}
