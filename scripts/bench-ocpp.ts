// `npm run bench:ocpp`: the OCPP central system under a fleet. The copilot runs built, on embedded
// defaults, in its own process. First a JSON baseline: the same readings (a temperature and a power
// reading per message) over /ingest at the fleet's message rate. Then N charge points connect at once
// over /ocpp and send MeterValues every --meter-s seconds and heartbeats; meanwhile --actuations of
// them report a hot reading, and the round trip to the derate's SetChargingProfile answered is timed.
// The pipeline's own p99 (copilot_pipeline_latency_seconds, receipt to decision) is compared between
// the two phases, beside the answer latency each sender saw.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { build } from 'hdr-histogram-js';
import { benchAdmin, scrape, type ServerChild } from './bench/child.js';
import { buildServer, machine, revision, startCopilot } from './bench/copilot.js';
import { latencyHistogram, latencyMs } from './bench/load.js';
import { Fleet, type FleetMember } from './bench/ocppFleet.js';
import { SERIES, cpuOf, p99Between, p99s, pipelineBuckets, type Series } from './bench/ocppMetrics.js';
import { numberFlag, parseFlags, runMain, UsageError } from './cli.js';

const ROOT = resolve(__dirname, '..');

const USAGE = `usage: npm run bench:ocpp -- [options]
  --charge-points N   simulated charge points connected at once (default 5000)
  --per-station N     charge points per station (default 10)
  --meter-s S         MeterValues period per charge point, seconds (default 10): N/S messages per second
  --heartbeat-s S     heartbeat period, seconds (default 60)
  --seconds S         measured window of each phase (default 60)
  --actuations N      charge points that overheat during the OCPP phase (default 200)
  --protocol P        ocpp1.6 | ocpp2.0.1 (default ocpp1.6)
  --out DIR           result folder (default bench-results/ocpp-<time>)
  --cpu-prof DIR      write the copilot's V8 CPU profiles here (summarise: tsx scripts/bench/profile.ts FILE)`;

interface Options {
  chargePoints: number;
  perStation: number;
  meterS: number;
  heartbeatS: number;
  seconds: number;
  actuations: number;
  protocol: 'ocpp1.6' | 'ocpp2.0.1';
  out: string | null;
  cpuProf: string | null;
}

export function parseOptions(argv: string[]): Options | null {
  if (argv.includes('--help')) return null;
  const v = parseFlags(argv, {
    'charge-points': { type: 'string', default: '5000' },
    'per-station': { type: 'string', default: '10' },
    'meter-s': { type: 'string', default: '10' },
    'heartbeat-s': { type: 'string', default: '60' },
    seconds: { type: 'string', default: '60' },
    actuations: { type: 'string', default: '200' },
    protocol: { type: 'string', default: 'ocpp1.6' },
    out: { type: 'string' },
    'cpu-prof': { type: 'string' },
  });
  if (v.protocol !== 'ocpp1.6' && v.protocol !== 'ocpp2.0.1')
    throw new UsageError(`--protocol must be ocpp1.6 or ocpp2.0.1, got "${v.protocol}"`);
  return {
    chargePoints: numberFlag('charge-points', v['charge-points'], 1, 50_000, true),
    perStation: numberFlag('per-station', v['per-station'], 1, 100, true),
    meterS: numberFlag('meter-s', v['meter-s'], 1, 3600, false),
    heartbeatS: numberFlag('heartbeat-s', v['heartbeat-s'], 1, 86_400, false),
    seconds: numberFlag('seconds', v.seconds, 5, 3600, true),
    actuations: numberFlag('actuations', v.actuations, 0, 50_000, true),
    protocol: v.protocol,
    out: v.out ?? null,
    cpuProf: v['cpu-prof'] ?? null,
  };
}

const log = (s: string) => process.stdout.write(`${s}\n`);
let child: ServerChild | null = null;
let fleet: Fleet | null = null;
const tempDirs: string[] = [];

async function post(
  url: string,
  token: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** The JSON baseline: the fleet's readings over /ingest, one batch of two signals per message. */
async function jsonPhase(
  url: string,
  token: string,
  members: readonly FleetMember[],
  hot: readonly FleetMember[],
  perS: number,
  seconds: number,
) {
  const sockets: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = io(`${url}/ingest`, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
    await new Promise<void>((ok, fail) => {
      s.once('connect', () => ok());
      s.once('connect_error', fail);
    });
    sockets.push(s);
  }
  const acks = latencyHistogram();
  let sent = 0;
  let refused = 0;
  const t0 = performance.now();
  let i = 0;
  let hotSent = 0;
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) / 1000) * perS) - sent;
      // The same count of hot readings as the OCPP phase, on other chargers: decisions to time.
      const hotDue = Math.floor(((performance.now() - t0) / (seconds * 1000)) * hot.length) - hotSent;
      for (let k = 0; k < due; k++) {
        const isHot = k < hotDue && hotSent < hot.length;
        const m = isHot ? hot[hotSent++]! : members[i++ % members.length]!;
        const ts = new Date().toISOString();
        const tempC = isHot ? 72 : 30 + (i % 15);
        const signals = [
          { id: randomUUID(), stationId: m.stationId, type: 'charger_temp', ts, payload: { chargerId: m.identity, tempC } },
          { id: randomUUID(), stationId: m.stationId, type: 'power_draw', ts, payload: { kW: 20 + (i % 50) } },
        ];
        const at = performance.now();
        sent += 1;
        sockets[sent % sockets.length]!.emit('signals', { signals }, (r: { ok: boolean; rejected?: unknown[] }) => {
          acks.recordValue(Math.max(1, Math.round((performance.now() - at) * 1000)));
          if (!r.ok || (r.rejected?.length ?? 0) > 0) refused += 1;
        });
      }
      if (performance.now() - t0 >= seconds * 1000) {
        clearInterval(tick);
        done();
      }
    }, 5);
  });
  await new Promise((r) => setTimeout(r, 2000));
  for (const s of sockets) s.close();
  return { sent, refused, ackMs: latencyMs(acks) };
}

async function run(o: Options): Promise<void> {
  const started = new Date();
  const out = o.out ?? join(ROOT, 'bench-results', `ocpp-${started.toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(out, { recursive: true });
  if (o.cpuProf) await mkdir(o.cpuProf, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-ocpp-'));
  tempDirs.push(dataDir);
  const admin = benchAdmin();
  const perS = o.chargePoints / o.meterS;
  log(
    `bench:ocpp: ${machine().cpus} CPUs, node ${process.version}; ${o.chargePoints} charge points (${o.protocol}), MeterValues every ${o.meterS} s (${perS.toFixed(0)}/s), heartbeats every ${o.heartbeatS} s`,
  );
  buildServer(ROOT);
  const started_ = await startCopilot(
    {
      root: ROOT,
      dataDir,
      admin,
      stations: 1,
      cpuProfDir: o.cpuProf ?? undefined,
      env: { SEED_DEMO: '0', OCPP_HEARTBEAT_S: String(o.heartbeatS) },
    },
    (c) => (child = c),
  );
  const { url } = started_.child;
  const { token } = started_;

  const stations = Math.ceil(o.chargePoints / o.perStation);
  await pool(
    Array.from({ length: stations }, (_, i) => i),
    8,
    async (i) => {
      const id = `ocpp-${String(i + 1).padStart(4, '0')}`;
      const r = await post(url, token, '/api/stations', {
        id,
        name: `OCPP bench ${i + 1}`,
        location: { lat: 52 + (i % 100) * 0.01, lng: 13 + Math.floor(i / 100) * 0.01 },
        capacity: { bays: 4, chargers: o.perStation, batterySlots: 40 },
      });
      if (r.status !== 201) throw new Error(`POST /api/stations answered ${r.status}: ${JSON.stringify(r.body)}`);
    },
  );
  const members: FleetMember[] = Array.from({ length: o.chargePoints }, (_, k) => {
    const station = Math.floor(k / o.perStation);
    return {
      identity: `ocpp-${String(station + 1).padStart(4, '0')}-C${(k % o.perStation) + 1}`,
      password: '',
      stationId: `ocpp-${String(station + 1).padStart(4, '0')}`,
    };
  });
  log(`bench:ocpp: ${stations} stations registered`);

  // Phase 1: the JSON baseline at the fleet's message rate.
  const m1 = await scrape(url);
  const before1 = pipelineBuckets(m1);
  const c1 = { at: performance.now(), self: process.cpuUsage() };
  const jsonHot = members.slice(Math.max(0, members.length - Math.min(o.actuations, Math.floor(members.length / 2))));
  const json = await jsonPhase(url, token, members, jsonHot, perS, o.seconds);
  const m1b = await scrape(url);
  const after1 = pipelineBuckets(m1b);
  const jsonCpu = cpuOf(m1, m1b, c1);
  const jsonPipeline = p99s(before1, after1);
  log(`bench:ocpp: JSON baseline ${json.sent} messages, ack p50 ${json.ackMs.p50.toFixed(1)} ms p99 ${json.ackMs.p99.toFixed(1)} ms`);

  // Registration and connection of the fleet.
  const tReg = performance.now();
  await pool(members, 16, async (m) => {
    const r = await post(url, token, `/api/stations/${m.stationId}/charge-points`, { identity: m.identity, connectors: 1 });
    if (r.status !== 201) throw new Error(`registering ${m.identity} answered ${r.status}: ${JSON.stringify(r.body)}`);
    m.password = String(r.body?.password);
  });
  const registerMs = performance.now() - tReg;
  log(`bench:ocpp: ${members.length} charge points registered in ${(registerMs / 1000).toFixed(1)} s`);
  fleet = new Fleet(members, {
    wsUrl: `${url.replace(/^http/, 'ws')}/ocpp`,
    protocol: o.protocol,
    meterEveryS: o.meterS,
    heartbeatEveryS: o.heartbeatS,
  });
  const connectMs = await fleet.connect(100);
  log(`bench:ocpp: ${members.length} connected and booted in ${(connectMs / 1000).toFixed(1)} s`);

  // Phase 2: the fleet, one meter period to settle, then the measured window with the overheats.
  fleet.start();
  await new Promise((r) => setTimeout(r, o.meterS * 1000));
  const sentBefore = fleet.sent;
  const disconnectsBefore = fleet.disconnects;
  fleet.answers.reset();
  const m2 = await scrape(url);
  const before2 = pipelineBuckets(m2);
  const c2 = { at: performance.now(), self: process.cpuUsage() };
  const round = build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const hot = members.slice(0, Math.min(o.actuations, members.length - jsonHot.length));
  const rounds: Promise<void>[] = [];
  let missing = 0;
  const t2 = performance.now();
  for (let k = 0; k < hot.length; k++) {
    const at = t2 + ((k + 0.5) / hot.length) * o.seconds * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));
    rounds.push(
      new Promise<void>((done) => {
        // A round not back within 15 s is missing (its reading refused, or its command lost).
        const timer = setTimeout(() => {
          missing += 1;
          done();
        }, 15_000);
        void fleet!.overheat(hot[k]!, 72).then((ms) => {
          clearTimeout(timer);
          round.recordValue(Math.max(1, Math.round(ms * 1000)));
          done();
        });
      }),
    );
  }
  await new Promise((r) => setTimeout(r, Math.max(0, t2 + o.seconds * 1000 - performance.now())));
  const m2b = await scrape(url);
  const after2 = pipelineBuckets(m2b);
  const ocppCpu = cpuOf(m2, m2b, c2);
  const sentInWindow = fleet.sent - sentBefore;
  await Promise.all(rounds);
  const metrics = await scrape(url);
  const ocppPipeline = p99s(before2, after2);
  const result = {
    startedAt: started.toISOString(),
    machine: machine(),
    revision: revision(ROOT),
    options: o,
    json: { ...json, perS: json.sent / o.seconds, pipeline: jsonPipeline, cpu: jsonCpu },
    ocpp: {
      registerS: registerMs / 1000,
      connectS: connectMs / 1000,
      messagesPerS: sentInWindow / o.seconds,
      answerMs: latencyMs(fleet.answers),
      callErrors: fleet.callErrors,
      firstError: fleet.firstError,
      disconnects: fleet.disconnects - disconnectsBefore,
      connected:
        metrics.get('copilot_ocpp_connected{protocol="ocpp1.6"}') ?? 0 + (metrics.get('copilot_ocpp_connected{protocol="ocpp2.0.1"}') ?? 0),
      pipeline: ocppPipeline,
      cpu: ocppCpu,
      actuation: { rounds: hot.length, missing, roundTripMs: latencyMs(round), profilesAnswered: fleet.profiles },
    },
  };
  const ratios = Object.fromEntries(
    (Object.keys(SERIES) as Series[]).map((k) => {
      const a = jsonPipeline[k].p99Ms;
      const b = ocppPipeline[k].p99Ms;
      return [k, a && b ? b / a : null];
    }),
  );
  await writeFile(join(out, 'ocpp.json'), `${JSON.stringify({ ...result, pipelineP99Ratio: ratios }, null, 2)}\n`);
  const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  const cell = (p: ReturnType<typeof p99Between>) => `${f(p.p99Ms, 2)} (n ${p.count})`;
  log('');
  log('| phase | messages/s | answer p50 / p99 ms | errors | disconnects | server CPU % | bench CPU % | shed (BACKPRESSURE) |');
  log('|---|---|---|---|---|---|---|---|');
  log(
    `| JSON /ingest | ${f(json.sent / o.seconds, 0)} | ${f(json.ackMs.p50)} / ${f(json.ackMs.p99)} | ${json.refused} | - | ${f(jsonCpu.serverPct, 0)} | ${f(jsonCpu.benchPct, 0)} | ${jsonCpu.shed} |`,
  );
  log(
    `| OCPP ${o.chargePoints} CPs | ${f(result.ocpp.messagesPerS, 0)} | ${f(result.ocpp.answerMs.p50)} / ${f(result.ocpp.answerMs.p99)} | ${fleet.callErrors} | ${result.ocpp.disconnects} | ${f(ocppCpu.serverPct, 0)} | ${f(ocppCpu.benchPct, 0)} | ${ocppCpu.shed} |`,
  );
  log('');
  log('| pipeline p99 ms (interpolated in its bucket) | JSON | OCPP | OCPP / JSON |');
  log('|---|---|---|---|');
  for (const k of Object.keys(SERIES) as Series[])
    log(
      `| ${k === 'decision' ? 'receipt to decision (decisions)' : `ingest phase ${k}`} | ${cell(jsonPipeline[k])} | ${cell(ocppPipeline[k])} | ${f(ratios[k], 3)} |`,
    );
  log('');
  log(
    `actuation round trip (hot reading sent -> SetChargingProfile answered), ${hot.length} rounds, ${missing} missing: p50 ${f(result.ocpp.actuation.roundTripMs.p50)} ms, p99 ${f(result.ocpp.actuation.roundTripMs.p99)} ms (target: p99 < 500)`,
  );
  log(`result: ${join(out, 'ocpp.json')}`);
}

async function cleanup(): Promise<void> {
  await fleet?.close().catch(() => undefined);
  await child?.stop(20_000).catch(() => undefined);
  for (const d of tempDirs) await rm(d, { recursive: true, force: true }).catch(() => undefined);
}

if (require.main === module) runMain('bench:ocpp', USAGE, parseOptions, run, cleanup);
