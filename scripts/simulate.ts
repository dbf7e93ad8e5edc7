// `npm run simulate -- …`: feeds a running server the signals of N simulated
// stations (REST or Socket.io, and with --ocpp the chargers as OCPP charge points
// whose commands act on the simulation), then writes the ground truth it generated.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { StationRegistration } from '../eventBus/types.js';
import { DEFAULT_START, isScenarioName, SCENARIOS, writeTruth, type ScenarioName, type Simulation } from '../simulator/index.js';
import { runSimulation, MAX_BATCH, type Progress, type RunSummary, type SendFn } from '../simulator/run.js';
import { login, restSender, socketSender, stationRegistrar, TransportError, type Credentials } from './sim/transports.js';
import { OCPP_VERSIONS, OcppFleet, type AppliedChange, type OcppStats, type OcppVersion } from './sim/ocpp.js';
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
  --ocpp               the chargers as OCPP charge points: each charger is registered as one
                       (identity = its charger id, e.g. st-001-C1; needs an admin), connects to
                       /ocpp/<identity> and sends its status (StatusNotification; a fault's code in
                       1.6 only) and temperature (1.6 MeterValues, 2.0.1 NotifyEvent); a station's
                       power goes whole as the main-meter Power.Active.Import of its first charge
                       point. Other signals keep to --transport. The server answers OCPP without
                       telling duplicates apart: they count as accepted.
                       The copilot's commands are put in force in the simulation: SetChargingProfile
                       (kW cap, or deferral with a limit of 0), ClearChargingProfile, ChangeAvailability
                       (isolate), Reset. Incentives, rebalancing, bays, priority and quarantine have no
                       OCPP command: they are not carried out in this mode.
  --ocpp-version V     1.6 | 2.0.1 | mixed (alternate per charger: odd 1.6, even 2.0.1) (default 1.6)
  --ocpp-passwords F   charge point passwords, reused next run (default charge-points.json beside --keys)
  --ocpp-rate N        messages per second per charge point, 1..10000 (default 10, the server's
                       OCPP_MESSAGES_PER_S default)
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
  /** The chargers as OCPP charge points (--ocpp), or null. */
  ocpp: { version: OcppVersion; passwordsPath: string; messagesPerS: number } | null;
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
        ocpp: { type: 'boolean', default: false },
        'ocpp-version': { type: 'string' },
        'ocpp-passwords': { type: 'string' },
        'ocpp-rate': { type: 'string' },
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
  for (const flag of ['ocpp-version', 'ocpp-passwords', 'ocpp-rate'] as const)
    if (values[flag] !== undefined && !values.ocpp) throw new UsageError(`--${flag} goes with --ocpp`);
  if (values.ocpp && values['dry-run']) throw new UsageError('--ocpp needs a server: it does not go with --dry-run');
  const ocppVersion = values['ocpp-version'] ?? '1.6';
  if (!(OCPP_VERSIONS as readonly string[]).includes(ocppVersion))
    throw new UsageError(`--ocpp-version must be one of ${OCPP_VERSIONS.join(', ')}, got "${ocppVersion}"`);
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
    ocpp: values.ocpp
      ? {
          version: ocppVersion as OcppVersion,
          passwordsPath: values['ocpp-passwords'] ?? join(dirname(values.keys), 'charge-points.json'),
          messagesPerS: numberFlag('ocpp-rate', values['ocpp-rate'] ?? '10', 1, 10_000, false),
        }
      : null,
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

export interface RunHooks {
  /** The run's simulation, before the first signal. */
  onSimulation?: (sim: Simulation) => void;
  /** Each change an OCPP command put in force in the simulation (--ocpp). */
  onOcppApplied?: (change: AppliedChange) => void;
}

/** A parsed command line run against the server: the run's summary and, with --ocpp, what went over OCPP. */
export async function simulate(opts: CliOptions, hooks: RunHooks = {}): Promise<{ summary: RunSummary; ocpp: OcppStats | null }> {
  const creds: Credentials = {
    token: opts.token,
    login: opts.email && opts.password ? { email: opts.email, password: opts.password } : undefined,
    deviceKeys: opts.dryRun ? new Map() : await loadKeys(opts.keysPath),
  };
  let send: SendFn = async () => undefined;
  let register: ((stations: StationRegistration[]) => Promise<void>) | undefined;
  let close: () => void = () => undefined;
  let fleet: OcppFleet | null = null;
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
    if (opts.ocpp) {
      const f = new OcppFleet({
        url: opts.url,
        creds,
        passwordsPath: opts.ocpp.passwordsPath,
        version: opts.ocpp.version,
        messagesPerS: opts.ocpp.messagesPerS,
        onApplied: hooks.onOcppApplied,
        warn: (line) => console.error(line),
      });
      fleet = f;
      const registerStations = register;
      register = async (stations) => {
        await registerStations(stations);
        await f.register(stations);
      };
      send = f.sender(send);
    }
  }
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const progress = progressReporter(opts);
  let summary: RunSummary;
  try {
    summary = await runSimulation({
      ...opts,
      send,
      register,
      abort: abort.signal,
      onProgress: (p) => progress.update(p),
      onSimulation: (sim) => {
        fleet?.bind(sim);
        hooks.onSimulation?.(sim);
      },
    });
    // The copilot's answers to the last signals still get to their charge points.
    if (fleet && !summary.aborted) await fleet.settle();
  } finally {
    progress.stop();
    close();
    await fleet?.close();
    process.off('SIGINT', onSigint);
  }
  return { summary, ocpp: fleet ? fleet.stats : null };
}

export async function main(argv: string[], hooks: RunHooks = {}): Promise<number> {
  const opts = parseCli(argv);
  if (opts === 'help') {
    console.log(USAGE);
    return 0;
  }
  const { summary, ocpp } = await simulate(opts, hooks);
  await writeTruth(opts.truthPath, summary.truth);
  const { truth } = summary;
  console.log(
    `${summary.aborted ? 'stopped early' : 'done'}: ${opts.scenario}, ${opts.stations} stations, seed ${opts.seed}; ` +
      `sent ${summary.sent}, accepted ${summary.accepted}, duplicates ${summary.duplicates}, rejected ${summary.rejected} in ${(summary.wallMs / 1000).toFixed(1)} s`,
  );
  if (ocpp) {
    const commands = Object.entries(ocpp.commands).map(([m, n]) => `${m} ${n}`);
    console.log(
      `ocpp: ${ocpp.chargePoints['ocpp1.6']} charge points on 1.6, ${ocpp.chargePoints['ocpp2.0.1']} on 2.0.1 (${ocpp.registered} registered now); ` +
        `messages sent ${ocpp.sent}, answered ${ocpp.answered}, CALLERRORs ${ocpp.callErrors}, no answer ${ocpp.failed}, resent (rate limit, busy) ${ocpp.retried}`,
    );
    console.log(
      `ocpp commands: ${commands.length ? commands.join(', ') : 'none'}; put in force in the simulation ${ocpp.applied} times; ` +
        `resets ${ocpp.resets} (${ocpp.resetsCleared} cleared a fault) -> passwords in ${opts.ocpp!.passwordsPath}`,
    );
  }
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
