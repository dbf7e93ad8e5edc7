// One load step: N /ingest clients paced by a token bucket with a bounded
// window of unanswered signals each, and one /dashboard subscriber in the
// same process, so send time and receive time share performance.now().
import { io, type Socket } from 'socket.io-client';
import { build, type Histogram } from 'hdr-histogram-js';
import { SignalGenerator, type BenchSignal, type BenchStation } from './signals.js';
import { scrape, sumOf } from './child.js';

export interface StepOptions {
  url: string;
  stations: readonly BenchStation[];
  clients: number;
  /** Unanswered signals allowed per client; a full window holds sending back. */
  window: number;
  /** Signals per second over all clients; null sends as fast as the windows allow. */
  rate: number | null;
  warmupS: number;
  durationS: number;
  hotShare: number;
  /** Admin/operator access token for /dashboard and /ingest; the bare echo takes none. */
  token?: string;
}

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface StepResult {
  target: number | null;
  sentPerS: number;
  acceptedPerS: number;
  rejected: number;
  unanswered: number;
  firstError: string | null;
  ackMs: Latency;
  updatedMs: Latency & { missing: number };
  decisionMs: Latency;
  decisionsPerS: number;
  /** decision:created to decision:anchored on the same dashboard socket; missing = never anchored within the drain. */
  anchoredMs: Latency & { missing: number };
  /** CPU of the load process, in % of one core: near 100 means the generator, not the server, is the limit. */
  loadCpuPct: number;
  server: { eventLoopP99Ms: number | null; cpuPct: number | null };
  /** Accepted signals per second of the steady phase: a falling line means the server slows as its data grows. */
  timeline: number[];
  /** The steady phase on the monotonic clock in microseconds, to cut a CPU profile to it. */
  steadyUs: [number, number];
}

/** Latencies in microseconds, 1 us to 120 s, 3 significant digits. */
export const latencyHistogram = (): Histogram =>
  build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
/** A histogram of microseconds as milliseconds; NaN when it is empty. */
export const latencyMs = (h: Histogram): Latency =>
  h.totalCount === 0
    ? { count: 0, p50: NaN, p99: NaN, max: NaN }
    : { count: h.totalCount, p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000, max: h.maxValue / 1000 };
const monoUs = () => Number(process.hrtime.bigint() / 1000n);
const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, msec));

function connect(url: string, ns: string, auth: Record<string, string>): Promise<Socket> {
  // websocket only: long-polling would measure HTTP round trips, not the pipeline.
  const socket = io(`${url}${ns}`, { transports: ['websocket'], auth, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(new Error(`cannot connect to ${url}${ns}: ${err.message}`)));
  });
}

interface Client {
  socket: Socket;
  inflight: number;
}

/** What the server answered to one signal: `{ ok: true }`, or a refusal with its error code. */
export interface IngestAnswer {
  ok?: boolean;
  id?: string;
  duplicate?: boolean;
  error?: { code?: string; message?: string };
}

export interface IngestOptions {
  url: string;
  stations: readonly BenchStation[];
  clients: number;
  /** Unanswered signals allowed per client; a full window holds sending back. */
  window: number;
  /** Signals per second over all clients; null sends as fast as the windows allow. */
  rate: number | null;
  /** When set (with a numeric `rate`), read on every pacing turn: a caller may steer the rate as it runs. */
  rateNow?: () => number;
  hotShare: number;
  token?: string;
  /** Called as each signal goes out, with its send time on performance.now(). */
  onSent(signal: BenchSignal, at: number): void;
  /** Called as each answer arrives, with the signal's send time and the answer's arrival time. */
  onAnswer(answer: IngestAnswer, sentAt: number, at: number): void;
}

export interface IngestLoad {
  /** Stops sending; resolves once every signal sent is answered, or after `timeoutMs`, with how many are not. */
  stop(timeoutMs: number): Promise<number>;
  /** Disconnects every client. */
  close(): void;
}

/** Paced /ingest load: N clients fed from a token bucket, each with a bounded window of unanswered signals. */
export async function startIngest(o: IngestOptions): Promise<IngestLoad> {
  const gen = new SignalGenerator(o.stations, o.hotShare);
  const auth: Record<string, string> = o.token === undefined ? {} : { token: o.token };
  const clients: Client[] = [];
  try {
    for (let i = 0; i < o.clients; i++) clients.push({ socket: await connect(o.url, '/ingest', auth), inflight: 0 });
  } catch (err) {
    for (const c of clients) c.socket.disconnect();
    throw err;
  }
  const unanswered = () => clients.reduce((s, c) => s + c.inflight, 0);
  let sending = true;
  let drained: (() => void) | null = null;

  const send = (c: Client) => {
    const signal = gen.make();
    const t = performance.now();
    o.onSent(signal, t);
    c.inflight++;
    c.socket.emit('signal', signal, (answer: IngestAnswer) => {
      c.inflight--;
      o.onAnswer(answer, t, performance.now());
      // Unpaced mode keeps every window full: the next signal goes out as soon as one is answered.
      if (o.rate === null && sending) send(c);
      else if (!sending && drained && unanswered() === 0) drained();
    });
  };

  // Token bucket: at most 20 ms of tokens carry over, so a stall in this
  // process shows up as a lower achieved rate instead of a catch-up burst.
  let rr = 0;
  let tokens = 0;
  let last = performance.now();
  const rateOf = () => o.rateNow?.() ?? o.rate ?? 0;
  const pace = () => {
    if (!sending) return;
    const now = performance.now();
    if (o.rate !== null) {
      const rate = rateOf();
      tokens = Math.min(Math.max(1, rate * 0.02), tokens + ((now - last) * rate) / 1000);
      let full = 0;
      while (tokens >= 1 && full < clients.length) {
        const c = clients[rr++ % clients.length];
        if (c.inflight >= o.window) {
          full++;
          continue;
        }
        full = 0;
        send(c);
        tokens--;
      }
    } else {
      for (const c of clients) while (c.inflight < o.window) send(c);
    }
    last = now;
    setTimeout(pace, 1);
  };
  pace();

  return {
    stop(timeoutMs) {
      sending = false;
      if (unanswered() === 0) return Promise.resolve(0);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(unanswered()), timeoutMs);
        drained = () => {
          clearTimeout(timer);
          resolve(0);
        };
      });
    },
    close() {
      sending = false;
      for (const c of clients) c.socket.disconnect();
    },
  };
}

export async function runStep(o: StepOptions): Promise<StepResult> {
  const auth: Record<string, string> = o.token === undefined ? {} : { token: o.token };
  const dashboard = await connect(o.url, '/dashboard', auth);
  const sub = (await dashboard.timeout(5000).emitWithAck('subscribe', { stationIds: '*' })) as { ok?: boolean; error?: unknown };
  if (!sub?.ok) throw new Error(`dashboard subscribe refused: ${JSON.stringify(sub)}`);

  const ack = latencyHistogram();
  const updated = latencyHistogram();
  const decided = latencyHistogram();
  const anchored = latencyHistogram();
  // decision:created times of steady-phase decisions still waiting for decision:anchored.
  const createdAt = new Map<string, number>();
  // Send times of signals sent in the steady phase, in send order, so old ones can be dropped from the front.
  const sentAt = new Map<string, number>();
  let steady = false;
  let steadySent = 0;
  let accepted = 0;
  let steadyT0 = 0;
  let steadyEnd = Infinity;
  const timeline: number[] = [];
  let rejected = 0;
  let decisions = 0;
  let badDecisionIds = 0;
  let firstError: string | null = null;

  dashboard.on('station:updated', (e: { signalId?: string }) => {
    const t = e.signalId === undefined ? undefined : sentAt.get(e.signalId);
    if (t !== undefined) updated.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
  });
  dashboard.on('decision:created', (d: { id?: string; stationId?: string; signalId?: string }) => {
    const t = d.signalId === undefined ? undefined : sentAt.get(d.signalId);
    if (t === undefined) return;
    decided.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
    decisions++;
    if (d.id) createdAt.set(d.id, performance.now());
    if (d.id !== `dec-${d.stationId}~${d.signalId}`) badDecisionIds++;
  });

  dashboard.on('decision:anchored', (a: { id?: string; status?: string }) => {
    const t = a.id === undefined ? undefined : createdAt.get(a.id);
    if (t === undefined || a.status !== 'anchored') return;
    createdAt.delete(a.id!);
    anchored.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
  });

  const onSent = (signal: BenchSignal, t: number) => {
    if (!steady) return;
    sentAt.set(signal.id, t);
    steadySent++;
  };
  const onAnswer = (answer: IngestAnswer, t: number, now: number) => {
    if (answer?.ok) {
      if (steady) {
        accepted++;
        const sec = Math.floor((now - steadyT0) / 1000);
        timeline[sec] = (timeline[sec] ?? 0) + 1;
      }
      if (steadyT0 > 0 && t >= steadyT0 && t < steadyEnd) ack.recordValue(Math.max(1, Math.round((now - t) * 1000)));
    } else {
      rejected++;
      firstError ??= `${answer?.error?.code}: ${answer?.error?.message}`;
    }
  };

  // Entries older than 10 s will not be matched any more (events arrive in the same tick as the ack or never).
  const sweep = setInterval(() => {
    const cutoff = performance.now() - 10_000;
    for (const [id, t] of sentAt) {
      if (t > cutoff) break;
      sentAt.delete(id);
    }
  }, 1000);

  let load: IngestLoad | null = null;
  try {
    load = await startIngest({ ...o, onSent, onAnswer });
    await sleep(o.warmupS * 1000);
    // The scrape resets the server's event-loop histogram, so the end scrape covers exactly the steady phase.
    const m0 = await scrape(o.url);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const us0 = monoUs();
    steadyT0 = t0;
    steady = true;
    await sleep(o.durationS * 1000);
    steady = false;
    steadyEnd = performance.now();
    const us1 = monoUs();
    const elapsedS = (performance.now() - t0) / 1000;
    const loadCpu = process.cpuUsage(cpu0);
    const m1 = await scrape(o.url);
    // Drain: let the last steady signals be answered and broadcast before counting what is missing.
    const unanswered = await load.stop(10_000);
    await sleep(300);
    // Anchoring lags by the batch window plus a transaction: give the last steady decisions time to be anchored.
    const anchorUntil = performance.now() + 15_000;
    while (createdAt.size > 0 && performance.now() < anchorUntil) await sleep(50);

    const lag = m1.get('nodejs_eventloop_lag_p99_seconds');
    const cpuS = sumOf(m1, 'process_cpu_seconds_total') - sumOf(m0, 'process_cpu_seconds_total');
    if (badDecisionIds > 0) firstError ??= `${badDecisionIds} decision:created events whose id is not dec-<stationId>~<signalId>`;
    return {
      target: o.rate,
      sentPerS: steadySent / elapsedS,
      acceptedPerS: accepted / elapsedS,
      rejected,
      unanswered,
      firstError,
      ackMs: latencyMs(ack),
      updatedMs: { ...latencyMs(updated), missing: steadySent - updated.totalCount },
      decisionMs: latencyMs(decided),
      decisionsPerS: decisions / elapsedS,
      anchoredMs: { ...latencyMs(anchored), missing: createdAt.size },
      loadCpuPct: ((loadCpu.user + loadCpu.system) / 1000 / (elapsedS * 1000)) * 100,
      server: { eventLoopP99Ms: lag === undefined ? null : lag * 1000, cpuPct: m0.size && m1.size ? (cpuS / elapsedS) * 100 : null },
      timeline: Array.from(timeline.slice(0, Math.floor(elapsedS)), (n) => n ?? 0),
      steadyUs: [us0, us1],
    };
  } finally {
    clearInterval(sweep);
    load?.close();
    dashboard.disconnect();
  }
}
