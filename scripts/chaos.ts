// `npm run chaos`: N copilot instances on one Redis (AOF, appendfsync always) and one MongoDB, with the
// stream signal log (SIGNAL_LOG=stream). Signals go to all of them with acknowledgements while instances
// are killed with SIGKILL at random moments and started again. Then it checks what issue 16 promises:
// every acknowledged signal is in its station's state (the stored version equals the acknowledged count),
// no decision id or hash is stored twice, which dashboards saw every decision, and that the one anchoring
// writer put every record's leaf in exactly one stored batch. Exit 1 if a signal was lost, a decision
// duplicated, or a leaf missing or anchored twice.
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mongoose from 'mongoose';
import { Redis } from 'ioredis';
import { numberFlag, parseFlags, runMain } from './cli.js';
import { benchAdmin, adminEnv, signIn } from './bench/child.js';
import { buildServer, machine, revision } from './bench/copilot.js';
import { seededGenerator } from './bench/decide.js';
import type { BenchSignal, BenchStation } from './bench/signals.js';
import { Rng } from '../simulator/rng.js';
import { startEmbeddedMongo, type EmbeddedMongo } from '../services/platform/embeddedMongo/start.js';
import { freePort } from '../utils/net.js';
import { Dashboard, Instance, sendAll, startRedisAof, type RedisServer } from './chaos/parts.js';
import { checkAnchoring } from './chaos/anchoring.js';

const ROOT = resolve(__dirname, '..');
const log = (m: string) => process.stderr.write(`chaos: ${m}\n`);

const USAGE = `usage: npm run chaos -- [options]
  --instances <n>   copilot instances (default 2)
  --kills <n>       SIGKILLs at random moments while signals flow (default 5)
  --signals <n>     signals to send (default 20000)
  --stations <n>    stations, far apart: each its own partition where the partitions allow (default 8)
  --rate <n>        signals per second over all instances (default 500)
  --partitions <n>  STREAM_PARTITIONS (default 16)
  --lease-ms <n>    STREAM_LEASE_MS: how long a dead instance's partitions wait for a new owner (default 2000)
  --seed <n>        signals and kill moments (default 1)
  --out <file>      where the result goes (default bench-results/chaos-<time>.json)
  --quiet           no progress lines`;

interface Options {
  instances: number;
  kills: number;
  signals: number;
  stations: number;
  rate: number;
  partitions: number;
  leaseMs: number;
  seed: number;
  quiet: boolean;
  out: string | null;
}

export function parseOptions(argv: string[]): Options | null {
  const f = parseFlags(argv, {
    instances: { type: 'string' },
    kills: { type: 'string' },
    signals: { type: 'string' },
    stations: { type: 'string' },
    rate: { type: 'string' },
    partitions: { type: 'string' },
    'lease-ms': { type: 'string' },
    seed: { type: 'string' },
    quiet: { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  });
  if (f.help) return null;
  return {
    instances: numberFlag('instances', f.instances ?? '2', 1, 8, true),
    kills: numberFlag('kills', f.kills ?? '5', 0, 100, true),
    signals: numberFlag('signals', f.signals ?? '20000', 1, 10_000_000, true),
    stations: numberFlag('stations', f.stations ?? '8', 1, 1000, true),
    rate: numberFlag('rate', f.rate ?? '500', 1, 100_000, false),
    partitions: numberFlag('partitions', f.partitions ?? '16', 1, 1024, true),
    leaseMs: numberFlag('lease-ms', f['lease-ms'] ?? '2000', 300, 600_000, true),
    seed: numberFlag('seed', f.seed ?? '1', 0, 2 ** 31, true),
    quiet: f.quiet === true,
    out: f.out ?? null,
  };
}

let cleanupTasks: (() => Promise<void>)[] = [];
async function cleanup(): Promise<void> {
  for (const t of cleanupTasks.reverse()) await t().catch(() => undefined);
  cleanupTasks = [];
}

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function run(o: Options): Promise<void> {
  log('building the server');
  buildServer(ROOT);
  const dir = await mkdtemp(join(tmpdir(), 'copilot-chaos-'));
  cleanupTasks.push(() => rm(dir, { recursive: true, force: true }));
  const redis: RedisServer = await startRedisAof(dir, await freePort());
  cleanupTasks.push(() => redis.stop());
  await mkdir(join(dir, 'mongo'));
  const mongo: EmbeddedMongo = await startEmbeddedMongo({ dataDir: join(dir, 'mongo') });
  cleanupTasks.push(() => mongo.stop());
  // The embedded wire server does not answer the driver's streaming monitor (services/platform/database.ts):
  // instances that take it for an outside server are told to poll, or their pools are cleared now and then.
  const dbUri = `${mongo.uri.replace(/\/?(\?.*)?$/, '/chaos')}?serverMonitoringMode=poll`;

  const admin = benchAdmin();
  const env = {
    ...adminEnv(admin),
    MONGODB_URI: dbUri,
    REDIS_URL: redis.url,
    SIGNAL_LOG: 'stream',
    STREAM_PARTITIONS: String(o.partitions),
    STREAM_LEASE_MS: String(o.leaseMs),
    CHAIN_RPC_URL: 'off',
    // Batches close within a second (the default minute would outlast the run): the check waits for them.
    ANCHOR_BATCH_MS: '1000',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ACCESS_TOKEN_TTL_S: '86400',
    SIMULATE: '0',
    SEED_DEMO: '0',
    LOG_LEVEL: process.env.CHAOS_LOGS ? 'info' : 'warn',
    LOG_FORMAT: 'json',
    RATE_SIGNALS_PER_S: '100000',
    SHED_LAG_MS: '0',
    GROQ_API_KEY: '',
  };
  const instances: Instance[] = [];
  for (let i = 0; i < o.instances; i++) {
    const inst = new Instance(i, await freePort(), ROOT, dir, env);
    await inst.start();
    instances.push(inst);
    cleanupTasks.push(() => inst.stop());
  }
  const token = await signIn(instances[0].url, admin);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  // Stations 50 km apart: none in another's reach, so each takes a partition of its own id.
  const stations: BenchStation[] = [];
  for (let i = 0; i < o.stations; i++) {
    const id = `chaos-${String(i).padStart(3, '0')}`;
    const capacity = { bays: 4, chargers: 8, batterySlots: 40 };
    const res = await fetch(`${instances[0].url}/api/stations`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ id, name: `Chaos ${i}`, location: { lat: 40 + i * 0.5, lng: 5 }, capacity }),
    });
    if (res.status !== 201) throw new Error(`registering ${id} answered ${res.status}: ${await res.text()}`);
    stations.push({ id, capacity });
  }
  // Every instance takes the registrations in (through Redis) before signals flow.
  for (const inst of instances) {
    for (let tries = 0; ; tries++) {
      const res = await fetch(`${inst.url}/api/stations?limit=1000`, { headers: auth });
      const body = (await res.json()) as { items: unknown[] };
      if (body.items.length === stations.length) break;
      if (tries > 200) throw new Error(`instance ${inst.index} never listed the ${stations.length} stations`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const dashboards = instances.map((inst) => new Dashboard(inst.index, inst.url, token));
  cleanupTasks.push(async () => dashboards.forEach((d) => d.close()));
  await Promise.all(dashboards.map((d) => d.ready()));

  const gen = seededGenerator(stations, o.seed, 0.2);
  const signals: BenchSignal[] = Array.from({ length: o.signals }, () => gen.make());
  const rng = new Rng(o.seed + 7);
  const runS = o.signals / o.rate;
  const killAt = Array.from({ length: o.kills }, () => 0.1 * runS + rng.next() * 0.8 * runS).sort((a, b) => a - b);
  log(
    `${o.instances} instances, ${stations.length} stations, ${o.signals} signals at ${o.rate}/s (${runS.toFixed(0)} s), kills at ${killAt.map((s) => s.toFixed(1)).join(', ')} s`,
  );

  const t0 = performance.now();
  const killing = (async () => {
    for (const at of killAt) {
      const wait = t0 + at * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const victim = instances[Math.floor(rng.next() * instances.length)];
      log(`SIGKILL instance ${victim.index} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      await victim.crash();
    }
  })();
  let lastLine = 0;
  const sent = await sendAll(signals, instances, token, {
    batch: 50,
    rate: o.rate,
    concurrency: 8,
    onProgress: (n) => {
      if (o.quiet || performance.now() - lastLine < 5000) return;
      lastLine = performance.now();
      log(`${n} of ${o.signals} sent`);
    },
  });
  await killing;
  const sendS = (performance.now() - t0) / 1000;
  log(`all sent in ${sendS.toFixed(1)} s (${sent.retries} batches sent again); waiting for the partitions to settle`);

  // Settled: nothing pending in any partition, and every station's stored state at its acknowledged count
  // (or no longer moving, which is then a loss to report).
  const client = new Redis(redis.url);
  const conn = await mongoose.createConnection(dbUri).asPromise();
  cleanupTasks.push(async () => {
    client.disconnect();
    await conn.close();
  });
  const versions = async () => {
    const docs = await conn
      .collection('stationstates')
      .find({}, { projection: { stationId: 1, version: 1 } })
      .toArray();
    return new Map(docs.map((d) => [d.stationId as string, d.version as number]));
  };
  // Entries delivered and not acknowledged, plus entries not yet delivered to the group (its lag).
  const pending = async () => {
    let n = 0;
    for (let p = 0; p < o.partitions; p++) {
      const key = `copilot:signals:{${p}}`;
      const r = (await client.xpending(key, 'pipeline').catch(() => [0])) as [number];
      n += Number(r[0] ?? 0);
      // Not yet delivered: the group has not read up to the stream's last entry.
      const groups = (await client.xinfo('GROUPS', key).catch(() => [])) as unknown[][];
      const stream = (await client.xinfo('STREAM', key).catch(() => [])) as unknown[];
      const last = stream[stream.indexOf('last-generated-id') + 1];
      for (const g of groups) if (stream.length && g[g.indexOf('last-delivered-id') + 1] !== last) n += 1;
    }
    return n;
  };
  const settleStart = performance.now();
  let stored = await versions();
  let still = 0;
  for (;;) {
    const target = stations.every((s) => (stored.get(s.id) ?? 0) >= (sent.acked.get(s.id) ?? 0));
    const left = await pending();
    if (target && left === 0) break;
    await new Promise((r) => setTimeout(r, 500));
    const again = await versions();
    still = [...again].every(([id, v]) => stored.get(id) === v) ? still + 1 : 0;
    stored = again;
    // 15 s without a station moving and nothing left to work is a loss to report; a backlog still being
    // worked (an overloaded run) is waited for, up to five minutes.
    if ((still >= 30 && left === 0) || performance.now() - settleStart > 300_000) break;
  }
  const settleS = (performance.now() - settleStart) / 1000;
  if (process.env.CHAOS_DEBUG) {
    for (const s of stations) {
      const docs = await conn.collection('stationstates').findOne({ stationId: s.id });
      const live = await Promise.all(
        instances.map(async (i) => {
          const r = await fetch(`${i.url}/api/stations/${s.id}`, { headers: auth });
          const b = (await r.json()) as { version?: number; station?: { version?: number } };
          return b.version ?? b.station?.version ?? JSON.stringify(b).slice(0, 80);
        }),
      );
      log(
        `debug ${s.id}: acked ${sent.acked.get(s.id)}, stored ${stored.get(s.id)}, partition ${docs?.partition}, position ${docs?.logPosition}, live ${live.join('/')}`,
      );
    }
    for (let p = 0; p < o.partitions; p++) {
      const owner = await client.get(`copilot:lease:{signals:${p}}`);
      const len = await client.xlen(`copilot:signals:{${p}}`);
      if (len)
        log(
          `debug partition ${p}: owner ${owner}, length ${len}, pending ${JSON.stringify(await client.xpending(`copilot:signals:{${p}}`, 'pipeline'))}`,
        );
    }
  }

  let lost = 0;
  let extra = 0;
  for (const s of stations) {
    const d = (sent.acked.get(s.id) ?? 0) - (stored.get(s.id) ?? 0);
    if (d > 0) lost += d;
    else extra -= d;
  }
  const decisions = await conn
    .collection('decisionlogs')
    .find({}, { projection: { decisionId: 1, hash: 1 } })
    .toArray();
  const ids = new Set(decisions.map((d) => d.decisionId as string));
  const hashes = new Set(decisions.map((d) => d.hash as string));
  const duplicateIds = decisions.length - ids.size;
  const duplicateHashes = decisions.length - hashes.size;
  const seenBy = dashboards.map((d) => ({
    instance: d.instance,
    killed: instances[d.instance].kills,
    saw: [...ids].filter((id) => d.seen.has(id)).length,
    recovered: d.recovered,
    resubscribed: d.reconnects,
  }));
  const restarts = instances.flatMap((i) => i.restartMs);
  // The anchoring writer numbers and batches what the others stored; its lease may have just moved.
  const anchoring = await checkAnchoring(conn, o.leaseMs * 3 + 15_000);
  // A decision seen on another instance's dashboard than the one its signal was sent to: from the
  // request leaving to the dashboard being told (decision ids name their signal: dec-<station>~<signal>).
  const crossMs: number[] = [];
  const sameMs: number[] = [];
  for (const d of dashboards) {
    for (const [id, at] of d.seenAt) {
      const origin = sent.sentAt.get(id.slice(id.indexOf('~') + 1));
      if (origin) (origin.instance !== d.instance ? crossMs : sameMs).push(at - origin.at);
    }
  }
  // Of that, the part after the decision was made (its record's createdAt): the way to the dashboards.
  const deliveredMs = dashboards.flatMap((d) => d.deliveredMs);
  const result = {
    at: new Date().toISOString(),
    ...revision(ROOT),
    machine: machine(),
    options: o,
    sendS,
    settleS,
    acknowledged: sent.ackedTotal,
    lost,
    foldedBeyondAcknowledged: extra,
    decisions: decisions.length,
    duplicateIds,
    duplicateHashes,
    resentBatches: sent.retries,
    ackP50Ms: percentile(sent.latenciesMs, 50),
    ackP99Ms: percentile(sent.latenciesMs, 99),
    restartMs: restarts.map((r) => Math.round(r)),
    crossInstanceDecisionMs: { count: crossMs.length, p50: percentile(crossMs, 50), p99: percentile(crossMs, 99) },
    sameInstanceDecisionMs: { count: sameMs.length, p50: percentile(sameMs, 50), p99: percentile(sameMs, 99) },
    madeToDashboardMs: { count: deliveredMs.length, p50: percentile(deliveredMs, 50), p99: percentile(deliveredMs, 99) },
    dashboards: seenBy,
    anchoring,
  };
  const lines = [
    `acknowledged ${result.acknowledged} of ${o.signals} signals over ${o.instances} instances with ${o.kills} SIGKILLs; lost ${lost}, folded beyond the acknowledged ${extra}`,
    `decisions stored ${decisions.length}: duplicate ids ${duplicateIds}, duplicate hashes ${duplicateHashes}`,
    `batch answers: p50 ${result.ackP50Ms.toFixed(0)} ms, p99 ${result.ackP99Ms.toFixed(0)} ms; ${sent.retries} batches sent again after an instance did not answer`,
    `a decision on another instance's dashboard, from its signal's request: p50 ${result.crossInstanceDecisionMs.p50.toFixed(0)} ms, p99 ${result.crossInstanceDecisionMs.p99.toFixed(0)} ms (${crossMs.length} decisions); on the instance it was sent to: p50 ${result.sameInstanceDecisionMs.p50.toFixed(0)} ms, p99 ${result.sameInstanceDecisionMs.p99.toFixed(0)} ms`,
    `of which from the decision being made to a dashboard: p50 ${result.madeToDashboardMs.p50.toFixed(0)} ms, p99 ${result.madeToDashboardMs.p99.toFixed(0)} ms`,
    `restarts to listening: ${restarts.map((r) => `${(r / 1000).toFixed(1)} s`).join(', ') || 'none'}; settled ${settleS.toFixed(1)} s after the last send`,
    ...seenBy.map(
      (d) =>
        `dashboard on instance ${d.instance} (killed ${d.killed} times): saw ${d.saw} of ${decisions.length} decisions; recovered ${d.recovered} times, subscribed again ${d.resubscribed}`,
    ),
    `anchoring (chain off: batches stored, not sent): ${anchoring.leaves} leaves in ${anchoring.batches} batches for ${anchoring.records} record leaves; missing ${anchoring.missing}, anchored twice ${anchoring.duplicates}, numbers given twice ${anchoring.duplicateSeqs}, without a record ${anchoring.orphans} (all in ${anchoring.waitedS.toFixed(1)} s after settling)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await mkdir(join(ROOT, 'bench-results'), { recursive: true });
  const file = o.out ? resolve(o.out) : join(ROOT, 'bench-results', `chaos-${result.at.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`written to ${file}`);
  await cleanup();
  const badAnchoring = anchoring.missing + anchoring.duplicates + anchoring.duplicateSeqs + anchoring.orphans;
  if (lost > 0 || duplicateIds > 0 || duplicateHashes > 0 || badAnchoring > 0) process.exitCode = 1;
}

if (require.main === module) runMain('chaos', USAGE, parseOptions, run, cleanup);
