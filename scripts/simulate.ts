// `npm run simulate -- …`: feeds a running server the signals of N simulated
// stations (REST or Socket.io), then writes the ground truth it generated.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { StationRegistration } from '../eventBus/types.js';
import { DEFAULT_START, isScenarioName, SCENARIOS, writeTruth, type ScenarioName } from '../simulator/index.js';
import { runSimulation, MAX_BATCH, type Progress, type RunSummary, type SendFn } from '../simulator/run.js';
import { login, restSender, socketSender, stationRegistrar, TransportError, type Credentials } from './sim/transports.js';
import { UsageError, numberFlag } from './cli.js';

export { runSimulation, type RunOptions, type RunSummary, type SendFn, type SendResult } from '../simulator/run.js';

const USAGE = `usage: npm run simulate -- [options]
  --url URL            server base URL (default http://127.0.0.1:3000)
  --stations N         number of stations, 1..1000 (default 20)
  --scenario NAME      ${Object.keys(SCENARIOS).join(' | ')} (default normal)
  --duration MIN       simulated minutes (default 120)
  --rate N             signals per second of wall time, 0 = as fast as possible (default 200)
  --transport T        rest | socket (default rest)
  --seed N             random seed, same seed = same signals (default 1)
  --city-seed N        seed of the station layout, kept across runs (default 1, the server's demo city)
  --start ISO          simulated start time (default ${DEFAULT_START})
  --batch N            signals per REST request, 1..${MAX_BATCH} (default: about rate/10)
  --truth FILE         ground truth output (default ./sim-output/truth.json)
  --keys FILE          device keys saved from registration, reused next run (default ./sim-output/device-keys.json)
  --email EMAIL        sign in as this admin/operator (default $COPILOT_EMAIL); needs --password
  --password PW        its password (default $COPILOT_PASSWORD)
  --token JWT          an admin/operator access token instead (default $COPILOT_TOKEN)
                       Registering stations needs an admin. Stations registered by this run send
                       with their own device key (kept in --keys); the others with the token.
  --dry-run            generate only: no server, still writes the truth file
  --quiet              no progress bar`;

export interface CliOptions {
  url: string;
  stations: number;
  scenario: ScenarioName;
  durationMin: number;
  rate: number;
  transport: 'rest' | 'socket';
  seed: number;
  citySeed: number;
  start: string;
  batchSize: number | undefined;
  truthPath: string;
  keysPath: string;
  token: string | undefined;
  email: string | undefined;
  password: string | undefined;
  dryRun: boolean;
  quiet: boolean;
}

export { UsageError };

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string', default: 'http://127.0.0.1:3000' },
        stations: { type: 'string', default: '20' },
        scenario: { type: 'string', default: 'normal' },
        duration: { type: 'string', default: '120' },
        rate: { type: 'string', default: '200' },
        transport: { type: 'string', default: 'rest' },
        seed: { type: 'string', default: '1' },
        'city-seed': { type: 'string', default: '1' },
        start: { type: 'string', default: DEFAULT_START },
        batch: { type: 'string' },
        truth: { type: 'string', default: './sim-output/truth.json' },
        keys: { type: 'string', default: './sim-output/device-keys.json' },
        token: { type: 'string' },
        email: { type: 'string' },
        password: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (!isScenarioName(values.scenario))
    throw new UsageError(`--scenario must be one of ${Object.keys(SCENARIOS).join(', ')}, got "${values.scenario}"`);
  if (values.transport !== 'rest' && values.transport !== 'socket')
    throw new UsageError(`--transport must be rest or socket, got "${values.transport}"`);
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got "${values.url}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be an http(s) URL, got "${values.url}"`);
  if (Number.isNaN(Date.parse(values.start))) throw new UsageError(`--start must be an ISO 8601 time, got "${values.start}"`);
  const email = orNone(values.email ?? env.COPILOT_EMAIL);
  const password = orNone(values.password ?? env.COPILOT_PASSWORD);
  if ((email === undefined) !== (password === undefined))
    throw new UsageError('--email and --password go together (or COPILOT_EMAIL and COPILOT_PASSWORD)');
  return {
    url: values.url.replace(/\/+$/, ''),
    stations: numberFlag('stations', values.stations, 1, 1000, true),
    scenario: values.scenario,
    durationMin: numberFlag('duration', values.duration, 1, 60 * 24 * 31, false),
    rate: numberFlag('rate', values.rate, 0, 1_000_000, false),
    transport: values.transport,
    seed: numberFlag('seed', values.seed, 0, 2 ** 32 - 1, true),
    citySeed: numberFlag('city-seed', values['city-seed'], 0, 2 ** 32 - 1, true),
    start: new Date(Date.parse(values.start)).toISOString(),
    batchSize: values.batch === undefined ? undefined : numberFlag('batch', values.batch, 1, MAX_BATCH, true),
    truthPath: values.truth,
    keysPath: values.keys,
    token: orNone(values.token ?? env.COPILOT_TOKEN),
    email,
    password,
    dryRun: values['dry-run'],
    quiet: values.quiet,
  };
}

const orNone = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v);

async function loadKeys(path: string): Promise<Map<string, string>> {
  if (!existsSync(path)) return new Map();
  const parsed = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
  return new Map(Object.entries(parsed));
}

async function saveKeys(path: string, keys: Map<string, string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(Object.fromEntries(keys), null, 2)}\n`, { encoding: 'utf8', mode: 0o600 });
}

function progressReporter(opts: CliOptions): { update(p: Progress): void; stop(): void } {
  const totalMin = Math.round(opts.durationMin);
  if (opts.quiet) return { update: () => undefined, stop: () => undefined };
  if (!process.stderr.isTTY) {
    // Logs and CI: a line per tenth of the run instead of a redrawn bar.
    let nextTenth = 1;
    return {
      update: (p) => {
        if (p.simSeconds >= (p.totalSimSeconds * nextTenth) / 10) {
          nextTenth = Math.floor((p.simSeconds * 10) / p.totalSimSeconds) + 1;
          console.error(
            `sim ${Math.round(p.simSeconds / 60)}/${totalMin} min | sent ${p.sent} | accepted ${p.accepted} | dup ${p.duplicates} | rejected ${p.rejected}`,
          );
        }
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format:
        'sim {bar} {value}/{total} min | sent {sent} | accepted {accepted} | dup {duplicates} | rejected {rejected} | {eta_formatted} left',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalMin, 0, { sent: 0, accepted: 0, duplicates: 0, rejected: 0 });
  return {
    update: (p) =>
      bar.update(Math.floor(p.simSeconds / 60), { sent: p.sent, accepted: p.accepted, duplicates: p.duplicates, rejected: p.rejected }),
    stop: () => bar.stop(),
  };
}

export async function main(argv: string[]): Promise<number> {
  const opts = parseCli(argv);
  if (opts === 'help') {
    console.log(USAGE);
    return 0;
  }
  const creds: Credentials = {
    token: opts.token,
    login: opts.email && opts.password ? { email: opts.email, password: opts.password } : undefined,
    deviceKeys: opts.dryRun ? new Map() : await loadKeys(opts.keysPath),
  };
  let send: SendFn = async () => undefined;
  let register: ((stations: StationRegistration[]) => Promise<void>) | undefined;
  let close: () => void = () => undefined;
  if (!opts.dryRun) {
    // Signed in once; the transports refresh the token when it expires.
    if (!creds.token && creds.login) Object.assign(creds, await login(opts.url, creds.login.email, creds.login.password));
    const registrar = stationRegistrar(opts.url, creds);
    register = async (stations) => {
      await registrar(stations);
      await saveKeys(opts.keysPath, creds.deviceKeys);
    };
    if (opts.transport === 'rest') send = restSender(opts.url, creds);
    else ({ send, close } = socketSender(opts.url, creds));
  }
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const progress = progressReporter(opts);
  let summary: RunSummary;
  try {
    summary = await runSimulation({ ...opts, send, register, abort: abort.signal, onProgress: (p) => progress.update(p) });
  } finally {
    progress.stop();
    close();
    process.off('SIGINT', onSigint);
  }
  await writeTruth(opts.truthPath, summary.truth);
  const { truth } = summary;
  console.log(
    `${summary.aborted ? 'stopped early' : 'done'}: ${opts.scenario}, ${opts.stations} stations, seed ${opts.seed}; ` +
      `sent ${summary.sent}, accepted ${summary.accepted}, duplicates ${summary.duplicates}, rejected ${summary.rejected} in ${(summary.wallMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `truth: ${truth.failures.length} charger failures, ${truth.stockouts.length} stockouts, ${truth.waits.length} waits, ${truth.counts.arrivals} arrivals -> ${opts.truthPath}`,
  );
  for (const r of summary.sampleRejections) console.log(`  rejected ${r.type} ${r.signalId}: ${r.error}`);
  if (summary.aborted) return 130;
  return summary.sent > 0 && summary.rejected === summary.sent ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UsageError) console.error(`simulate: ${err.message}\n\n${USAGE}`);
      else if (err instanceof TransportError) console.error(`simulate: ${err.message}`);
      else console.error('simulate: unexpected error', err);
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
}
