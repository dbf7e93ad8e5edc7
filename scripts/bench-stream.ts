// `npm run bench:stream`: what the stream signal log costs per signal, on the project's own redis-server
// with AOF `appendfsync always` and `everysec`: the claim and append a sender's answer waits for (batches of
// signals, one at a time and several in flight), and reading entries back through the consumer group
// with their XACK, for all partitions at once and for one partition alone (the unit one owner works).
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { numberFlag, parseFlags, runMain } from './cli.js';
import { machine, revision } from './bench/copilot.js';
import { seededGenerator } from './bench/decide.js';
import { startRedisAof, type RedisServer } from './chaos/parts.js';
import { SignalStream } from '../services/cluster/index.js';
import type { Signal } from '../eventBus/types.js';
import { freePort } from '../utils/net.js';

const ROOT = resolve(__dirname, '..');
const USAGE = `usage: npm run bench:stream -- [options]
  --signals <n>     signals appended per case (default 20000)
  --batch <n>       signals per append, as one request's batch (default 50)
  --partitions <n>  partitions (default 16)
  --inflight <n>    appends in flight at once in the throughput case (default 8)`;

interface Options {
  signals: number;
  batch: number;
  partitions: number;
  inflight: number;
}

function parseOptions(argv: string[]): Options | null {
  const f = parseFlags(argv, {
    signals: { type: 'string' },
    batch: { type: 'string' },
    partitions: { type: 'string' },
    inflight: { type: 'string' },
    help: { type: 'boolean' },
  });
  if (f.help) return null;
  return {
    signals: numberFlag('signals', f.signals ?? '20000', 100, 10_000_000, true),
    batch: numberFlag('batch', f.batch ?? '50', 1, 1000, true),
    partitions: numberFlag('partitions', f.partitions ?? '16', 1, 1024, true),
    inflight: numberFlag('inflight', f.inflight ?? '8', 1, 256, true),
  };
}

let server: RedisServer | null = null;
let dir: string | null = null;
async function cleanup(): Promise<void> {
  await server?.stop();
  server = null;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

async function measure(o: Options, fsync: 'always' | 'everysec') {
  dir = await mkdtemp(join(tmpdir(), 'bench-stream-'));
  server = await startRedisAof(dir, await freePort());
  const redis = new Redis(server.url, { enableAutoPipelining: true });
  if (fsync !== 'always') await redis.config('SET', 'appendfsync', fsync);
  const reader = new Redis(server.url);
  const stream = new SignalStream({ redis, reader, partitions: o.partitions, prefix: 'bench:signals' });
  await stream.ensureGroups();
  const stations = Array.from({ length: 64 }, (_, i) => ({ id: `st-${i}`, capacity: { bays: 4, chargers: 8, batterySlots: 40 } }));
  const gen = seededGenerator(stations, 1, 0.1);
  const signals = Array.from({ length: o.signals }, () => gen.make() as unknown as Signal);
  const part = (s: Signal) => Number(s.stationId.slice(3)) % o.partitions;
  const batches: Signal[][] = [];
  for (let i = 0; i < signals.length; i += o.batch) batches.push(signals.slice(i, i + o.batch));
  // As ingestion appends: each signal's dedupe claim and its entry in one step (SignalStream.appendNew).
  const append = (b: Signal[]) =>
    stream.appendNew(
      b.map((signal) => ({ partition: part(signal), signal, receivedAt: Date.now(), dedupeKey: `${signal.stationId}/${signal.id}` })),
      86400,
    );

  // One batch at a time: what one sender's answer waits for.
  const one: number[] = [];
  for (const b of batches.slice(0, Math.min(batches.length, 400))) {
    const t0 = performance.now();
    await append(b);
    one.push(performance.now() - t0);
  }
  // Several in flight: how many signals a second the log takes.
  let next = 0;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: o.inflight }, async () => {
      while (next < batches.length) await append(batches[next++]);
    }),
  );
  const appendPerS = signals.length / ((performance.now() - t1) / 1000);

  // Reading back with XACK: every partition at once, then one partition alone.
  const readAll = async (parts: number[], consumer: string) => {
    let n = 0;
    const t = performance.now();
    for (;;) {
      const got = await stream.read(consumer, parts, 500, 50);
      if (got.length === 0) break;
      n += got.length;
      const byPart = new Map<number, string[]>();
      for (const e of got) byPart.set(e.partition, [...(byPart.get(e.partition) ?? []), e.id]);
      for (const [p, ids] of byPart) await stream.ack(p, ids);
    }
    return { entries: n, perS: n / ((performance.now() - t - 50) / 1000) };
  };
  const onePartition = await readAll([0], 'bench-one');
  const rest = await readAll(
    Array.from({ length: o.partitions - 1 }, (_, i) => i + 1),
    'bench-all',
  );
  redis.disconnect();
  reader.disconnect();
  await cleanup();
  return {
    fsync,
    appendBatchMs: { p50: pct(one, 50), p99: pct(one, 99), batches: one.length },
    appendPerS,
    readOnePartition: onePartition,
    readOtherPartitions: rest,
  };
}

async function run(o: Options): Promise<void> {
  const cases = [];
  for (const fsync of ['always', 'everysec'] as const) cases.push(await measure(o, fsync));
  const result = { at: new Date().toISOString(), ...revision(ROOT), machine: machine(), options: o, cases };
  const lines = cases.map(
    (c) =>
      `appendfsync ${c.fsync}: append of ${o.batch} signals p50 ${c.appendBatchMs.p50.toFixed(2)} ms, p99 ${c.appendBatchMs.p99.toFixed(2)} ms (one at a time); ${Math.round(c.appendPerS)} signals/s with ${o.inflight} in flight; read + XACK ${Math.round(c.readOnePartition.perS)} entries/s from one partition, ${Math.round(c.readOtherPartitions.perS)} entries/s from ${o.partitions - 1} at once`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  await mkdir(join(ROOT, 'bench-results'), { recursive: true });
  const file = join(ROOT, 'bench-results', `stream-${result.at.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`bench:stream: written to ${file}\n`);
}

if (require.main === module) runMain('bench:stream', USAGE, parseOptions, run, cleanup);
