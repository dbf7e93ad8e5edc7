// `npm run bench:console`: the console in headless Chromium against a built copilot with N stations and
// decisions arriving at a target rate. It measures what issue 15 sets as targets: long tasks (Long Tasks
// API, in the page) over a window on each live page, the first load on loopback, and the built assets'
// gzip size. Figures are printed and written to bench-results/.
import { mkdtemp, readdir, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { io, type Socket } from 'socket.io-client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { benchAdmin, type ServerChild } from './bench/child.js';
import { buildServer, machine, revision, startCopilot, stationsOf } from './bench/copilot.js';
import { startIngest, type IngestLoad } from './bench/load.js';
import { numberFlag, parseFlags, runMain } from './cli.js';
import { onPath } from './test-prereqs.js';
import { CHROMIUM_ARGS } from '../test/helpers/browser.js';

const ROOT = resolve(__dirname, '..');
const log = (m: string) => process.stderr.write(`${m}\n`);

const USAGE = `usage: npm run bench:console -- [options]
  --stations <n>    demo stations (default 200)
  --decisions <n>   decisions per second to hold while measuring (default 50)
  --window <s>      seconds measured on each page (default 30)
  --loads <n>       cold first loads measured (default 5)
  --sim-rate <n>    the copilot feeds itself the heatwave scenario at this many signals/s (default 1500;
                    0: off); the bench's own signals top it up to the target decisions/s
  --profile         also take a CPU profile of the page in each window (written beside the result)
  --pin             Chromium on CPU 0, the copilot and the bench's load on the others (taskset): the
                    operator's browser and the server on separate cores, as in use, rather than all
                    of them taking turns on the same two`;

interface Options {
  stations: number;
  decisions: number;
  windowS: number;
  loads: number;
  profile: boolean;
  simRate: number;
  pin: boolean;
}

function parseOptions(argv: string[]): Options | null {
  const f = parseFlags(argv, {
    stations: { type: 'string' },
    decisions: { type: 'string' },
    window: { type: 'string' },
    loads: { type: 'string' },
    profile: { type: 'boolean' },
    pin: { type: 'boolean' },
    'sim-rate': { type: 'string' },
    help: { type: 'boolean' },
  });
  if (f.help) return null;
  return {
    stations: numberFlag('stations', f.stations ?? '200', 1, 1000, true),
    decisions: numberFlag('decisions', f.decisions ?? '50', 1, 1000, false),
    windowS: numberFlag('window', f.window ?? '30', 5, 600, true),
    loads: numberFlag('loads', f.loads ?? '5', 1, 50, true),
    profile: f.profile === true,
    pin: f.pin === true,
    simRate: numberFlag('sim-rate', f['sim-rate'] ?? '1500', 0, 100000, false),
  };
}

let child: ServerChild | null = null;
let browser: Browser | null = null;
let load: IngestLoad | null = null;
let dataDir: string | null = null;
let steering: ReturnType<typeof setInterval> | null = null;

async function cleanup(): Promise<void> {
  if (steering) clearInterval(steering);
  load?.close();
  await browser?.close().catch(() => undefined);
  await child?.stop(10_000);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

/** Long tasks seen by the page since it loaded, kept by an init script (the observer runs from the start). */
const RECORD_LONG_TASKS = () => {
  const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
  w.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
};

async function assetSizes(): Promise<{ files: { file: string; bytes: number; gzip: number }[]; totalGzip: number }> {
  const dir = join(ROOT, 'dist', 'console', 'assets');
  const files = [];
  for (const f of (await readdir(dir)).sort()) {
    const data = await readFile(join(dir, f));
    files.push({ file: f, bytes: data.length, gzip: gzipSync(data, { level: 9 }).length });
  }
  return { files, totalGzip: files.reduce((s, f) => s + f.gzip, 0) };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** The functions with the most self time in a page's CPU profile, as "name (file:line) ms". */
function topSelf(profile: CpuProfile, n = 12): string[] {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const f = byId.get(samples[i]!)?.callFrame;
    if (!f) continue;
    const key = `${f.functionName || '(anonymous)'} (${f.url.split('/').pop()}:${f.lineNumber + 1})`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`);
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Cold loads in fresh contexts: navigation to the sign-in form, and sign-in to a filled Stations table. */
async function firstLoads(b: Browser, url: string, admin: { email: string; password: string }, n: number, stations: number) {
  const rows: { formMs: number; loadEventMs: number; stationsMs: number }[] = [];
  // One load first, not counted: it starts the browser's renderer and network processes.
  const warm = await b.newContext();
  await (await warm.newPage()).goto(url);
  await warm.close();
  for (let i = 0; i < n; i++) {
    const context = await b.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(url);
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    const formMs = performance.now() - t0;
    const loadEventMs = await page.evaluate(
      () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd,
    );
    const t1 = performance.now();
    await signIn(page, admin.email, admin.password);
    // The table renders the rows on screen; its row count says how many it holds.
    await page.waitForFunction(
      (count) => Number(document.querySelector('table[aria-rowcount]')?.getAttribute('aria-rowcount')) > count,
      stations,
      {
        timeout: 30_000,
      },
    );
    rows.push({ formMs, loadEventMs, stationsMs: performance.now() - t1 });
    await context.close();
  }
  return rows;
}

/** Holds decisions/s near the target by adjusting the signal rate to what the dashboard reports. */
function decisionCounter(url: string, token: string): Promise<{ socket: Socket; count: () => number }> {
  const socket = io(`${url}/dashboard`, { transports: ['websocket'], auth: { token }, forceNew: true });
  let n = 0;
  socket.on('decision:created', () => n++);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.emit('subscribe', { stationIds: '*' }, () => resolve({ socket, count: () => n }));
    });
    socket.once('connect_error', reject);
  });
}

/** CPU 0 for the browser, the rest for the copilot and this process (which drives the load). */
function pinning(): { browser: string; copilot: string } {
  const count = availableParallelism();
  if (count < 2) throw new Error('--pin needs at least 2 CPUs');
  const copilot = count === 2 ? '1' : `1-${count - 1}`;
  execFileSync('taskset', ['-a', '-p', '-c', copilot, String(process.pid)], { stdio: 'ignore' });
  return { browser: '0', copilot };
}

/** Playwright starts an executable with its own arguments: a wrapper runs Chromium, and all it forks, under taskset. */
async function pinnedChromium(chromiumPath: string, cpus: string): Promise<string> {
  const wrapper = join(dataDir!, 'chromium-pinned');
  await writeFile(wrapper, `#!/bin/sh\nexec taskset -c ${cpus} ${chromiumPath} "$@"\n`, { mode: 0o755 });
  return wrapper;
}

async function run(o: Options): Promise<void> {
  log('bench:console: building the server and the console');
  buildServer(ROOT);
  const assets = await assetSizes();
  dataDir = await mkdtemp(join(tmpdir(), 'bench-console-'));
  const admin = benchAdmin();
  const chromiumPath = onPath('chromium') ?? onPath('chromium-browser');
  if (!chromiumPath) throw new Error('chromium is not installed (apt-get install -y chromium)');
  const cpus = o.pin ? pinning() : null;
  const executablePath = cpus ? await pinnedChromium(chromiumPath, cpus.browser) : chromiumPath;
  browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });

  // First loads against the copilot at rest (the same data folder is then started again under load).
  const quiet = await startCopilot({ root: ROOT, dataDir, admin, stations: o.stations, cpus: cpus?.copilot }, (c) => (child = c));
  const seeded = await stationsOf(quiet.child.url, quiet.token, o.stations);
  const loads = await firstLoads(browser, quiet.child.url, admin, o.loads, seeded.length);
  await quiet.child.stop(10_000);
  child = null;

  // The heatwave keeps chargers crossing the mechanic's and the energy agent's thresholds: a steady
  // stream of plan changes, which the bench's own signal mix alone does not keep up once plans settle.
  const env = o.simRate > 0 ? { SIMULATE: '1', SIMULATE_SCENARIO: 'heatwave', SIMULATE_RATE: String(o.simRate) } : undefined;
  const started = await startCopilot({ root: ROOT, dataDir, admin, stations: o.stations, env, cpus: cpus?.copilot }, (c) => (child = c));
  const url = started.child.url;
  const stations = await stationsOf(url, started.token, o.stations);
  log(`bench:console: copilot at ${url} with ${stations.length} stations`);

  // The load: signals at a rate steered so the dashboard sees the target decisions per second.
  const counter = await decisionCounter(url, started.token);
  // Decisions follow the plans, not the signals one for one: a plan that holds makes none, so the
  // rate is steered all through the run from what the dashboard saw over the last few seconds.
  let rate = o.simRate > 0 ? 20 : Math.max(50, o.decisions * 6);
  const hotShare = 0.3;
  load = await startIngest({
    url,
    stations,
    clients: 4,
    window: 256,
    rate,
    rateNow: () => rate,
    hotShare,
    token: started.token,
    onSent: () => undefined,
    onAnswer: () => undefined,
  });
  const seen: { at: number; count: number }[] = [{ at: performance.now(), count: counter.count() }];
  const steer = setInterval(() => {
    seen.push({ at: performance.now(), count: counter.count() });
    if (seen.length > 4) seen.shift();
    const first = seen[0]!;
    const last = seen[seen.length - 1]!;
    const perS = ((last.count - first.count) * 1000) / Math.max(1, last.at - first.at);
    rate = Math.min(3_000, Math.max(20, rate * Math.min(1.5, Math.max(0.67, o.decisions / Math.max(1, perS)))));
  }, 1_000);
  steering = steer;
  // Settle first: the plans fill up over the first seconds.
  await new Promise((r) => setTimeout(r, 12_000));
  log(`bench:console: steering at ${rate.toFixed(0)} signals/s`);

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(RECORD_LONG_TASKS);
  const page = await context.newPage();
  let framesWithDecisions = 0;
  page.on('websocket', (ws) =>
    ws.on('framereceived', (f) => void (String(f.payload).includes('"decision:created"') && framesWithDecisions++)),
  );
  await page.goto(url);
  await signIn(page, admin.email, admin.password);
  await page.getByRole('heading', { name: 'Stations' }).waitFor();

  const pages = [
    { name: 'Stations (map and table)', path: '/stations', ready: () => page.getByRole('heading', { name: 'Stations' }).waitFor() },
    { name: 'Decisions (live feed)', path: '/decisions', ready: () => page.getByRole('heading', { name: 'Decisions' }).waitFor() },
    {
      name: 'A station (live charts)',
      path: `/stations/${encodeURIComponent(stations[0]!.id)}`,
      ready: () => page.locator('canvas').first().waitFor(),
    },
  ];
  const windows = [];
  for (const p of pages) {
    // Client-side navigation, as a user clicking through: the app and its socket stay up.
    await page.evaluate((path) => {
      history.pushState(null, '', path);
      dispatchEvent(new PopStateEvent('popstate'));
    }, p.path);
    await p.ready();
    const cdp = o.profile ? await context.newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const from = await page.evaluate(() => performance.now());
    const decisionsBefore = counter.count();
    const ratesSeen: number[] = [];
    const sampleRate = setInterval(() => ratesSeen.push(rate), 1_000);
    const framesBefore = framesWithDecisions;
    await new Promise((r) => setTimeout(r, o.windowS * 1000));
    clearInterval(sampleRate);
    const tasks = await page.evaluate(
      (since) => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter((t) => t.start >= since),
      from,
    );
    const over50 = tasks.filter((t) => t.duration > 50);
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      await mkdir(join(ROOT, 'bench-results'), { recursive: true });
      const file = join(ROOT, 'bench-results', `console-${p.path.split('/')[1]}-${Date.now()}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      log(`bench:console: ${p.name}: profile ${file}; most self time: ${topSelf(profile).join('; ')}`);
      await cdp.detach();
    }
    windows.push({
      page: p.name,
      seconds: o.windowS,
      decisionsPerS: (counter.count() - decisionsBefore) / o.windowS,
      signalsPerS: ratesSeen.reduce((a, b) => a + b, 0) / Math.max(1, ratesSeen.length),
      framesWithDecisions: framesWithDecisions - framesBefore,
      longTasks: tasks.length,
      over50ms: over50.length,
      maxMs: tasks.reduce((m, t) => Math.max(m, t.duration), 0),
      blockingMs: tasks.reduce((s, t) => s + Math.max(0, t.duration - 50), 0),
    });
    log(`bench:console: ${p.name}: ${JSON.stringify(windows[windows.length - 1])}`);
  }
  counter.socket.close();
  clearInterval(steer);

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const result = {
    at: new Date().toISOString(),
    ...revision(ROOT),
    machine: machine(),
    options: o,
    signalRate: rate,
    assets,
    firstLoad: {
      runs: loads,
      medianFormMs: median(loads.map((l) => l.formMs)),
      maxFormMs: Math.max(...loads.map((l) => l.formMs)),
      medianStationsMs: median(loads.map((l) => l.stationsMs)),
    },
    windows,
  };
  const lines = [
    `console assets: ${(assets.totalGzip / 1024).toFixed(1)} kB gzip in ${assets.files.length} files (target under 500 kB)`,
    `first load (cold browser cache, loopback, the copilot at rest, ${loads.length} runs): sign-in form shown in median ${result.firstLoad.medianFormMs.toFixed(0)} ms, max ${result.firstLoad.maxFormMs.toFixed(0)} ms (target under 1 s); sign-in to ${stations.length} stations listed: median ${result.firstLoad.medianStationsMs.toFixed(0)} ms`,
    ...(cpus ? [`pinned: Chromium on CPU ${cpus.browser}, the copilot and the bench's load on CPU ${cpus.copilot}`] : []),
    `load: ${o.simRate > 0 ? `the heatwave simulated at ${o.simRate} signals/s in the copilot, plus ` : ''}signals steered to hold ${o.decisions} decisions/s over ${stations.length} stations`,
    ...windows.map(
      (w) =>
        `${w.page}: ${w.decisionsPerS.toFixed(1)} decisions/s (${w.signalsPerS.toFixed(0)} signals/s) for ${w.seconds} s; long tasks ${w.longTasks}, over 50 ms ${w.over50ms}, longest ${w.maxMs.toFixed(0)} ms, blocking ${w.blockingMs.toFixed(0)} ms`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await mkdir(join(ROOT, 'bench-results'), { recursive: true });
  const file = join(ROOT, 'bench-results', `console-${result.at.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`bench:console: written to ${file}`);
}

if (require.main === module) runMain('bench:console', USAGE, parseOptions, run, cleanup);
