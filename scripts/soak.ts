// The soak benchmark (`npm run soak`, issue 14): the copilot on embedded defaults in a child process under
// a paced /ingest load for as long as asked, sampled once a minute (memory, event loop, acks, decisions,
// data on disk); then a stop and a restart on the same DATA_DIR, timed to /api/ready. Writes soak.json and
// soak.svg, prints a markdown summary with a verdict per target, and exits 0 whatever the verdicts.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderSvg } from './chart.js';
import { benchAdmin, signIn, startServer, type Admin, type ServerChild } from './bench/child.js';
import { SERVER_SCRIPT, buildServer, copilotEnv, machine, revision, startCopilot, stationsOf } from './bench/copilot.js';
import { startIngest, type IngestLoad } from './bench/load.js';
import { AckTally, phaseP99Ms, rssOf, sampleServer, type ServerSample, type SoakRow } from './soak/sample.js';
import { TARGETS, chartSpec, markdown, type RestartFigures, type SoakSummary, type StopFigures } from './soak/report.js';
import { UsageError, numberFlag, parseFlags, runMain } from './cli.js';

const ROOT = resolve(__dirname, '..');
// As bench: unanswered signals allowed per connection before sending is held back.
const WINDOW = 128;
const CLEAN_STOP_MS = 10_000;
const KILL_AFTER_MS = 30_000;
const READY_WAIT_MS = 120_000;

const USAGE = `usage: npm run soak -- [options]
  --minutes <n>        minutes of load, fractions allowed (default 60)
  --rate <n>           signals/s over all connections (default 1000)
  --stations <n>       demo stations seeded (default 20)
  --clients <n>        /ingest connections (default 4)
  --hot-share <0..1>   share of signals built to cross an agent threshold (default 0.1)
  --out <dir>          where soak.json and soak.svg go (default bench-results/soak-<timestamp>)
  --data-dir <dir>     the server's DATA_DIR (default a fresh temp dir, removed at the end)
  --keep               keep the temp DATA_DIR
  --cpu-prof <dir>     write the server's CPU profiles (main thread and workers) to this folder
  --kill               end with SIGKILL under load instead of SIGTERM, then look for every acknowledged
                       signal in the restarted copilot's signal log (what a crash loses)
  --help`;

export interface SoakOptions {
  minutes: number;
  rate: number;
  stations: number;
  clients: number;
  hotShare: number;
  out: string | null;
  dataDir: string | null;
  keep: boolean;
  kill: boolean;
  cpuProf: string | null;
}

export function parseOptions(argv: string[]): SoakOptions | null {
  const values = parseFlags(argv, {
    minutes: { type: 'string' },
    rate: { type: 'string' },
    stations: { type: 'string' },
    clients: { type: 'string' },
    'hot-share': { type: 'string' },
    out: { type: 'string' },
    'data-dir': { type: 'string' },
    keep: { type: 'boolean' },
    kill: { type: 'boolean' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean' },
  });
  if (values.help) return null;
  const dir = (name: string, v: string | undefined) => {
    if (v !== undefined && v.trim() === '') throw new UsageError(`--${name} needs a directory, got ""`);
    return v === undefined ? null : resolve(v);
  };
  return {
    minutes: values.minutes === undefined ? 60 : numberFlag('minutes', values.minutes, 0.01, 7 * 24 * 60, false),
    rate: values.rate === undefined ? 1000 : numberFlag('rate', values.rate, 1, 1_000_000, false),
    // The demo seeding's limit (SIMULATE_STATIONS).
    stations: values.stations === undefined ? 20 : numberFlag('stations', values.stations, 1, 1000, true),
    clients: values.clients === undefined ? 4 : numberFlag('clients', values.clients, 1, 256, true),
    hotShare: values['hot-share'] === undefined ? 0.1 : numberFlag('hot-share', values['hot-share'], 0, 1, false),
    out: dir('out', values.out),
    dataDir: dir('data-dir', values['data-dir']),
    keep: values.keep === true,
    kill: values.kill === true,
    cpuProf: dir('cpu-prof', values['cpu-prof']),
  };
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, msec));
let active: ServerChild | null = null;
let load: IngestLoad | null = null;
const tempDirs: string[] = [];

/**
 * The admin of this DATA_DIR: a reused directory keeps the one created at its first start (the server
 * creates the first admin only on an empty database), so its password is kept beside its other secrets.
 */
async function adminOf(dataDir: string): Promise<Admin> {
  const file = join(dataDir, 'soak-admin.json');
  const kept = await readFile(file, 'utf8').then(
    (t) => JSON.parse(t) as Admin,
    () => null,
  );
  if (kept) return kept;
  const admin = benchAdmin();
  await writeFile(file, JSON.stringify(admin), { mode: 0o600 });
  return admin;
}

/** SIGTERM, timed; SIGKILL if it is still running after 30 s. */
async function stopTimed(child: ServerChild): Promise<StopFigures> {
  const t0 = performance.now();
  await child.stop(KILL_AFTER_MS);
  const { code, signal } = await child.exited;
  const ms = performance.now() - t0;
  return { ms, code, signal, clean: code === 0 && ms <= CLEAN_STOP_MS, killed: signal === 'SIGKILL' };
}

/** Every signal id in the copilot's signal log (GET /api/audit/signals, page by page). */
async function storedIds(url: string, admin: Admin): Promise<Set<string>> {
  const token = await signIn(url, admin);
  const ids = new Set<string>();
  for (let after: string | null | undefined; after !== null;) {
    const res = await fetch(`${url}/api/audit/signals?limit=5000${after ? `&after=${after}` : ''}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw new Error(`GET /api/audit/signals answered ${res.status}`);
    const page = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
    for (const s of page.items) ids.add(s.id);
    after = page.nextCursor;
  }
  return ids;
}

/** A fresh start on the same DATA_DIR, timed from spawn; `probe` runs once it is ready, before the stop. */
async function restart(
  o: { dataDir: string; admin: Admin; stations: number },
  probe?: (url: string) => Promise<void>,
): Promise<RestartFigures> {
  const t0 = performance.now();
  const child = await startServer({ script: SERVER_SCRIPT, cwd: ROOT, env: copilotEnv(o), timeoutMs: READY_WAIT_MS });
  active = child;
  const listeningMs = performance.now() - t0;
  let readyMs: number | null = null;
  // Polling is the measurement here: a probe asks /api/ready the same way.
  while (performance.now() - t0 < READY_WAIT_MS) {
    const res = await fetch(`${child.url}/api/ready`).catch(() => null);
    await res?.body?.cancel();
    if (res?.status === 200) {
      readyMs = performance.now() - t0;
      break;
    }
    await sleep(20);
  }
  const rss = await rssOf(child.pid);
  if (probe && readyMs !== null) await probe(child.url);
  const stop = await stopTimed(child);
  active = null;
  return { listeningMs, readyMs, rssMbAfterReady: rss === null ? null : rss / 1024 / 1024, stop };
}

async function run(o: SoakOptions): Promise<void> {
  const started = new Date();
  const out = o.out ?? join(ROOT, 'bench-results', `soak-${started.toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(out, { recursive: true });
  let dataDir = o.dataDir;
  if (dataDir === null) {
    dataDir = await mkdtemp(join(tmpdir(), 'soak-data-'));
    if (!o.keep) tempDirs.push(dataDir);
  } else await mkdir(dataDir, { recursive: true });
  const admin = await adminOf(dataDir);
  const m = machine();
  log(
    `soak: ${m.cpus} CPUs (${m.model ?? 'unknown'}), node ${m.node}; ${o.minutes} min at ${o.rate} signals/s over ${o.clients} clients; DATA_DIR ${dataDir}`,
  );

  if (o.cpuProf) await mkdir(o.cpuProf, { recursive: true });
  buildServer(ROOT);
  const { child, token } = await startCopilot(
    { root: ROOT, dataDir, admin, stations: o.stations, cpuProfDir: o.cpuProf ?? undefined },
    (c) => {
      active = c;
    },
  );
  const stations = await stationsOf(child.url, token, o.stations);
  log(`soak: copilot up at ${child.url} (pid ${child.pid}), ${stations.length} stations`);

  const rows: SoakRow[] = [];
  const result = {
    startedAt: started.toISOString(),
    machine: m,
    revision: revision(ROOT),
    options: { ...o, out, dataDir, window: WINDOW },
    stations: stations.length,
    rows,
    summary: null as SoakSummary | null,
  };
  const save = () => writeFile(join(out, 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);

  const tally = new AckTally(TARGETS.ackP99Ms);
  let drainTally: AckTally | null = null;
  // --kill: which signals were acknowledged as taken, and which were sent, to look for after the crash.
  const acked = new Set<string>();
  const sent = new Set<string>();
  // The first scrape sets the decision baseline and empties the event-loop histogram of start-up.
  let prev: ServerSample = await sampleServer(child.url, child.pid, dataDir);
  load = await startIngest({
    url: child.url,
    stations,
    clients: o.clients,
    window: WINDOW,
    rate: o.rate,
    hotShare: o.hotShare,
    token,
    onSent: (signal) => {
      tally.sent();
      if (o.kill) sent.add(signal.id);
    },
    onAnswer: (answer, sentAt, at) => {
      (drainTally ?? tally).answered(answer, sentAt, at);
      if (o.kill && answer.ok && answer.id && !answer.duplicate) acked.add(answer.id);
    },
  });
  const t0 = performance.now();
  const totalMs = o.minutes * 60_000;
  let lastEnd = 0;
  for (let minute = 1; lastEnd < totalMs; minute++) {
    const end = Math.min(minute * 60_000, totalMs);
    await sleep(t0 + end - performance.now());
    const endMs = performance.now() - t0;
    const figures = tally.take();
    const now = await sampleServer(child.url, child.pid, dataDir);
    const durationS = (endMs - lastEnd) / 1000;
    lastEnd = end;
    const row: SoakRow = {
      minute,
      endS: end / 1000,
      durationS,
      ...figures,
      rssMb: now.rssMb,
      rssAnonMb: now.rssAnonMb,
      rssFileMb: now.rssFileMb,
      heapUsedMb: now.heapUsedMb,
      heapTotalMb: now.heapTotalMb,
      eventLoopP99Ms: now.eventLoopP99Ms,
      eventLoopMaxMs: now.eventLoopMaxMs,
      decisionsPerS: now.decisions === null || prev.decisions === null ? null : (now.decisions - prev.decisions) / durationS,
      dataDirMb: now.dataDirMb,
      phaseP99Ms: phaseP99Ms(now, prev),
    };
    prev = now;
    rows.push(row);
    await save();
    const r = (n: number | null, d = 0) => (n === null || Number.isNaN(n) ? '-' : n.toFixed(d));
    log(
      `soak: minute ${minute}/${Math.ceil(o.minutes)}: offered ${r(row.offered / durationS)}/s, acked ${r(row.acknowledged / durationS)}/s, ack p99 ${r(row.ackMs.p99, 1)} ms (${row.acksOverTarget} over ${TARGETS.ackP99Ms} ms; server p99 <= checked ${r(row.phaseP99Ms!.checked ?? null)}, decided ${r(row.phaseP99Ms!.decided ?? null)}, journaled ${r(row.phaseP99Ms!.journaled ?? null)} ms), loop p99 ${r(row.eventLoopP99Ms, 1)} ms, RSS ${r(row.rssMb)} MB (anon ${r(row.rssAnonMb ?? null)}, file ${r(row.rssFileMb ?? null)}), heap ${r(row.heapUsedMb)} MB, ${r(row.decisionsPerS, 1)} decisions/s, data ${r(row.dataDirMb, 1)} MB`,
    );
  }

  let stop: StopFigures;
  let drained = { acknowledged: 0, refused: {} as Record<string, number> };
  let unanswered = 0;
  if (o.kill) {
    // Killed with signals in flight: what was acknowledged up to this moment must survive.
    const t = performance.now();
    child.kill();
    const { code, signal } = await child.exited;
    stop = { ms: performance.now() - t, code, signal, clean: false, killed: true };
    const ackedAtKill = new Set(acked);
    load.close();
    load = null;
    acked.clear();
    for (const id of ackedAtKill) acked.add(id);
    log(`soak: killed (SIGKILL) with ${acked.size} signals acknowledged; restarting on the same DATA_DIR ...`);
  } else {
    // Answers to signals sent before the end still come in: counted apart, not in the last minute.
    drainTally = new AckTally(TARGETS.ackP99Ms);
    unanswered = await load.stop(10_000);
    load.close();
    load = null;
    drained = drainTally.take();
    log('soak: load stopped; stopping the server (SIGTERM) ...');
    stop = await stopTimed(child);
    log(
      `soak: stopped in ${Math.round(stop.ms)} ms (${stop.killed ? 'killed' : `exit ${stop.code}`}); restarting on the same DATA_DIR ...`,
    );
  }
  active = null;
  let crash: SoakSummary['crash'];
  const restarted = await restart(
    { dataDir, admin, stations: o.stations },
    o.kill
      ? async (url) => {
          const stored = await storedIds(url, admin);
          let missing = 0;
          for (const id of acked) if (!stored.has(id)) missing++;
          let storedUnacknowledged = 0;
          for (const id of sent) if (stored.has(id) && !acked.has(id)) storedUnacknowledged++;
          crash = { acknowledged: acked.size, missing, storedUnacknowledged };
        }
      : undefined,
  );

  const summary: SoakSummary = {
    rate: o.rate,
    rows,
    drain: { acknowledged: drained.acknowledged, refused: drained.refused, unanswered },
    stop,
    restart: restarted,
    ...(crash ? { crash } : {}),
  };
  result.summary = summary;
  await save();
  const title = `Soak ${started.toISOString()}: ${o.rate} signals/s, ${stations.length} stations, ${m.cpus} CPUs, ${result.revision.commit?.slice(0, 8) ?? 'unknown commit'}`;
  await writeFile(join(out, 'soak.svg'), `${await renderSvg(chartSpec(summary, title))}\n`);
  process.stdout.write(`## ${title}\n\n${markdown(summary)}\n`);
  log(`soak: results in ${out} (soak.json, soak.svg)`);
}

async function cleanup(): Promise<void> {
  load?.close();
  const child = active;
  active = null;
  await child?.stop(5000).catch(() => undefined);
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true }).catch(() => undefined)));
}

if (require.main === module) runMain('soak', USAGE, parseOptions, run, cleanup);
