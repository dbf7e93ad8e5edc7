// The LLM's targets (`npm run bench:llm`), against a local OpenAI-compatible stub:
// 1. pipeline throughput and p99 with the LLM hanging or failing, against no LLM (copilot child processes);
// 2. LLM explanation latency with the stub answering after a fixed 200 ms;
// 3. the explanation cache's hit rate on the heatwave scenario.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { build, type Histogram } from 'hdr-histogram-js';
import { startLlmStub, type LlmStub, type StubRequest } from '../test/helpers/llmStub.js';
import { adminEnv, benchAdmin, signIn, startServer } from './bench/child.js';
import { SERVER_SCRIPT, buildServer } from './bench/copilot.js';
import { runStep } from './bench/load.js';
import { numberFlag } from './cli.js';
import { runSimulation } from '../simulator/index.js';
import { createApp, type App } from '../server.js';
import { loadConfig } from '../config/index.js';
import { connectMongo, startEmbeddedMongo } from '../services/platform/index.js';
import { MemoryCache } from '../services/platform/index.js';
import { createEventBus } from '../eventBus/index.js';

const ROOT = resolve(__dirname, '..');
const log = (m: string) => process.stderr.write(`${m}\n`);

/** A grounded answer for any decision: it quotes one figure of the evidence it was sent. */
function groundedReply(req: StubRequest): string {
  const user = req.messages.find((m) => m.role === 'user')?.content ?? '';
  const data = JSON.parse(/<<<DATA\n([\s\S]*)\nDATA>>>/.exec(user)?.[1] ?? '{}') as {
    actions?: { agent: string; action: string; evidence: Record<string, unknown> }[];
  };
  const a = data.actions?.[0];
  if (!a) return 'The copilot recorded this signal and decided to take no action on it.';
  const figure = Object.entries(a.evidence).find(([, v]) => typeof v === 'number');
  return `The ${a.agent} agent decided to ${a.action.replace(/_/g, ' ')}${figure ? ` because ${figure[0]} is ${String(figure[1])}` : ''}. This keeps the station running safely.`;
}

async function pipelineImpact(rate: number, durationS: number, repeat: number): Promise<void> {
  const modes = ['no LLM', 'LLM hanging', 'LLM failing (500)'] as const;
  const rows: { mode: string; run: number; accepted: number; p99: number; explained: string }[] = [];
  const admin = benchAdmin();
  buildServer(ROOT);
  // Modes in rotation, so that a noisy minute on this shared machine does not fall on one mode only.
  for (let run = 1; run <= repeat; run++)
    for (const mode of modes) {
      let stub: LlmStub | null = null;
      const dataDir = await mkdtemp(join(tmpdir(), 'bench-llm-'));
      try {
        const env: Record<string, string> = {
          PORT: '0',
          DATA_DIR: dataDir,
          LOG_LEVEL: 'warn',
          SEED_DEMO: '1',
          SIMULATE: '0',
          MONGODB_URI: '',
          REDIS_URL: '',
          CHAIN_RPC_URL: 'off',
          GROQ_API_KEY: '',
          ...adminEnv(admin),
        };
        if (mode !== 'no LLM') {
          stub = await startLlmStub();
          stub.respond(mode === 'LLM hanging' ? () => ({ hang: true }) : () => ({ status: 500 }));
          Object.assign(env, { GROQ_API_KEY: 'bench', GROQ_BASE_URL: stub.url });
        }
        log(`bench:llm: pipeline at ${rate}/s, ${mode}, run ${run} of ${repeat} ...`);
        const child = await startServer({ script: SERVER_SCRIPT, cwd: ROOT, env });
        try {
          const token = await signIn(child.url, admin);
          const res = await fetch(`${child.url}/api/stations?limit=1000`, { headers: { authorization: `Bearer ${token}` } });
          if (!res.ok) throw new Error(`GET /api/stations answered ${res.status}: ${await res.text()}`);
          const stations = (
            (await res.json()) as { items: { id: string; capacity: { bays: number; chargers: number; batterySlots: number } }[] }
          ).items;
          const r = await runStep({ url: child.url, stations, clients: 4, window: 128, rate, warmupS: 3, durationS, hotShare: 0.1, token });
          const metrics = await (await fetch(`${child.url}/metrics`)).text();
          const outcomes = [...metrics.matchAll(/copilot_llm_explanations_total\{result="(\w+)"\} (\d+)/g)]
            .map((m) => `${m[1]} ${m[2]}`)
            .join(', ');
          rows.push({ mode, run, accepted: r.acceptedPerS, p99: r.updatedMs.p99, explained: outcomes || '-' });
        } finally {
          await child.stop();
        }
      } finally {
        await stub?.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const pct = (x: number, y: number) => `${x >= y ? '+' : ''}${(((x - y) / y) * 100).toFixed(1)} %`;
  console.log(
    `### Pipeline with the LLM misbehaving (${rate} signals/s, ${durationS} s per run, ${repeat} run(s) per mode in rotation, chain off)\n`,
  );
  console.log('| run | mode | accepted/s | p99 ingest->station:updated ms | LLM explanation outcomes |');
  console.log('|---:|---|---:|---:|---|');
  for (const r of rows) console.log(`| ${r.run} | ${r.mode} | ${r.accepted.toFixed(0)} | ${r.p99.toFixed(1)} | ${r.explained} |`);
  console.log('');
  const of = (mode: string) => rows.filter((r) => r.mode === mode);
  const base = { accepted: median(of('no LLM').map((r) => r.accepted)), p99: median(of('no LLM').map((r) => r.p99)) };
  console.log('| mode | median accepted/s | vs no LLM | median p99 ms | vs no LLM | p99 range ms |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const mode of modes) {
    const rs = of(mode);
    const acc = median(rs.map((r) => r.accepted));
    const p99 = median(rs.map((r) => r.p99));
    console.log(
      `| ${mode} | ${acc.toFixed(0)} | ${pct(acc, base.accepted)} | ${p99.toFixed(1)} | ${pct(p99, base.p99)} | ${Math.min(...rs.map((r) => r.p99)).toFixed(1)} to ${Math.max(...rs.map((r) => r.p99)).toFixed(1)} |`,
    );
  }
  console.log('');
}

/** An in-process copilot on the embedded database, with the LLM pointed at `stub`. */
async function inProcess(stub: LlmStub, env: Record<string, string>): Promise<{ app: App; close(): Promise<void> }> {
  const mongo = await startEmbeddedMongo({ dataDir: null });
  const conn = await connectMongo(mongo.uri, { embedded: true, dbName: 'benchllm' });
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    CHAIN_RPC_URL: 'off',
    GROQ_API_KEY: 'bench',
    GROQ_BASE_URL: stub.url,
    ...env,
  });
  const app = await createApp({
    config,
    conn,
    cache: new MemoryCache({ maxClaims: config.dedupeMaxIds }),
    logger: pino({ level: 'silent' }),
    chain: null,
    bus: createEventBus(),
  });
  return {
    app,
    close: async () => {
      await app.close();
      await conn.close();
      await mongo.stop();
    },
  };
}

async function latencyAndCache(minutes: number, rate: number): Promise<void> {
  const stub = await startLlmStub();
  try {
    // Latency: every LLM call answered after 200 ms; the rate cap lifted so that only the LLM is measured.
    stub.respond((req) => ({ content: groundedReply(req), delayMs: 200 }));
    const { app, close } = await inProcess(stub, { LLM_RPM: '100000', LLM_QUEUE_MAX: '10000' });
    const logged = new Map<string, number>();
    const llm: Histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
    const all: Histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
    const results = new Map<string, number>();
    app.bus.on('decision.logged', ({ record }) => logged.set(record.id, performance.now()));
    let pending = 0;
    let drained: (() => void) | null = null;
    app.bus.on('explanation.outcome', (o) => {
      results.set(o.result, (results.get(o.result) ?? 0) + 1);
      const t = logged.get(o.id);
      if (t !== undefined && (o.result === 'accepted' || o.result === 'cache_hit')) {
        const us = Math.max(1, Math.round((performance.now() - t) * 1000));
        all.recordValue(us);
        if (o.result === 'accepted') llm.recordValue(us);
      }
      if (--pending === 0) drained?.();
    });
    app.bus.on('decision.logged', () => pending++);
    try {
      log(`bench:llm: heatwave, ${minutes} simulated minutes at ${rate} signals/s, stub at 200 ms ...`);
      const summary = await runSimulation({
        stations: 12,
        scenario: 'heatwave',
        seed: 1,
        durationMin: minutes,
        // Paced so that the LLM (2 calls at a time, 200 ms each) is not the queue being measured.
        rate,
        register: async (regs) => {
          for (const r of regs) await app.services.stations.register(r);
        },
        send: async (signals) => {
          await app.services.ingestion.ingest(signals, performance.now());
        },
      });
      if (pending > 0) await new Promise<void>((r) => (drained = r));
      const count = (k: string) => results.get(k) ?? 0;
      const decided = [...results.values()].reduce((a, b) => a + b, 0);
      const hits = count('cache_hit');
      const calls = stub.requests.length;
      console.log(
        `### Explanations on the heatwave scenario (12 stations, ${minutes} simulated minutes, seed 1, fed at ${rate} signals/s; ${summary.sent} signals, ${decided} decisions)\n`,
      );
      console.log(`- LLM calls: ${calls}; outcomes: ${[...results].map(([k, v]) => `${k} ${v}`).join(', ')}`);
      console.log(
        `- cache hit rate: ${((hits / Math.max(1, decided)) * 100).toFixed(1)} % of decisions (${hits} of ${decided}) were explained from the cache, without a call`,
      );
      console.log(
        `- LLM explanation latency, decision logged -> explanation accepted, stub at a fixed 200 ms (LLM_CONCURRENCY default, rate cap lifted): p50 ${(llm.getValueAtPercentile(50) / 1000).toFixed(0)} ms, p99 ${(llm.getValueAtPercentile(99) / 1000).toFixed(0)} ms over ${llm.totalCount} calls`,
      );
      console.log(
        `- including cache hits: p50 ${(all.getValueAtPercentile(50) / 1000).toFixed(1)} ms, p99 ${(all.getValueAtPercentile(99) / 1000).toFixed(0)} ms over ${all.totalCount} explanations`,
      );
      console.log('');
    } finally {
      await close();
    }
  } finally {
    await stub.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      repeat: { type: 'string' },
      minutes: { type: 'string' },
      'feed-rate': { type: 'string' },
      'skip-pipeline': { type: 'boolean' },
    },
  });
  const rate = values.rate ? numberFlag('rate', values.rate, 1, 100_000, false) : 1000;
  const duration = values.duration ? numberFlag('duration', values.duration, 1, 600, false) : 10;
  const minutes = values.minutes ? numberFlag('minutes', values.minutes, 1, 24 * 60, false) : 60;
  const repeat = values.repeat ? numberFlag('repeat', values.repeat, 1, 20, true) : 3;
  if (!values['skip-pipeline']) await pipelineImpact(rate, duration, repeat);
  const feedRate = values['feed-rate'] ? numberFlag('feed-rate', values['feed-rate'], 1, 100_000, false) : 40;
  await latencyAndCache(minutes, feedRate);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
