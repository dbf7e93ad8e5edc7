// The soak's human side: the per-minute chart (soak.svg) and the markdown summary with one verdict per
// target of issue 14. The verdicts only read soak.json's figures, so a stored result can be judged again.
import type { TopLevelSpec } from 'vega-lite';
import type { SoakRow } from './sample.js';

export const TARGETS = { rssBandPct: 15, rssFromMinute: 10, ackP99Ms: 50, readyMs: 5000 } as const;

export interface StopFigures {
  ms: number;
  code: number | null;
  signal: string | null;
  /** Exit code 0 within 10 s of SIGTERM. */
  clean: boolean;
  /** Still running 30 s after SIGTERM, so SIGKILLed. */
  killed: boolean;
}

export interface RestartFigures {
  /** Spawn to the "listening on" line. */
  listeningMs: number;
  /** Spawn to the first 200 from /api/ready; null if it never came within the wait. */
  readyMs: number | null;
  rssMbAfterReady: number | null;
  stop: StopFigures;
}

/** --kill: the server SIGKILLed under load, then every acknowledged signal looked for in the restarted log. */
export interface CrashFigures {
  acknowledged: number;
  /** Acknowledged but not in the signal log after the restart: lost. */
  missing: number;
  /** In the log, sent, but never acknowledged (the kill came between the write and the ack). */
  storedUnacknowledged: number;
}

export interface SoakSummary {
  rate: number;
  rows: SoakRow[];
  drain: { acknowledged: number; refused: Record<string, number>; unanswered: number };
  stop: StopFigures;
  restart: RestartFigures;
  crash?: CrashFigures;
}

const f0 = (n: number | null) => (n === null || Number.isNaN(n) ? '-' : Math.round(n).toString());
const f1 = (n: number | null) => (n === null || Number.isNaN(n) ? '-' : n.toFixed(1));
const sum = (r: Record<string, number>) => Object.values(r).reduce((s, n) => s + n, 0);

/** Whether a memory figure stays within the band of its minute-10 value after minute 10. */
function band(s: SoakSummary, what: string, of: (r: SoakRow) => number | null): string {
  const ref = s.rows.find((r) => r.endS === TARGETS.rssFromMinute * 60);
  const refMb = ref ? of(ref) : null;
  const later = ref ? s.rows.filter((r) => r.endS > ref.endS && of(r) !== null) : [];
  const target = `${what} within +/-${TARGETS.rssBandPct} % of its minute-${TARGETS.rssFromMinute} value`;
  if (refMb === null || later.length === 0)
    return `${target}: not judged (the run is shorter than ${TARGETS.rssFromMinute} minutes and one more).`;
  const dev = later.map((r) => ((of(r)! - refMb) / refMb) * 100);
  const lo = Math.min(...dev);
  const hi = Math.max(...dev);
  const met = lo >= -TARGETS.rssBandPct && hi <= TARGETS.rssBandPct;
  return `${target} (${f0(refMb)} MB): ${met ? 'met' : 'NOT met'} (${lo.toFixed(1)} % to +${hi.toFixed(1)} % over minutes ${later[0].minute}-${later.at(-1)!.minute}).`;
}

export function verdicts(s: SoakSummary): string[] {
  const out: string[] = [];
  out.push(band(s, 'RSS', (r) => r.rssMb));
  // The journals are memory-mapped: their pages count in RSS as the files grow. Judged apart, the process's own memory.
  if (s.rows.some((r) => typeof r.rssAnonMb === 'number'))
    out.push(band(s, 'Anonymous RSS (without mapped files)', (r) => r.rssAnonMb ?? null));
  const timed = s.rows.filter((r) => r.ackMs.count > 0);
  if (timed.length === 0) out.push(`Ack p99 under ${TARGETS.ackP99Ms} ms in every minute: NOT met (no signal was acknowledged).`);
  else {
    const worst = timed.reduce((a, b) => (b.ackMs.p99 > a.ackMs.p99 ? b : a));
    const silent = s.rows.length - timed.length;
    const met = worst.ackMs.p99 < TARGETS.ackP99Ms && silent === 0;
    out.push(
      `Ack p99 under ${TARGETS.ackP99Ms} ms in every minute: ${met ? 'met' : 'NOT met'} (worst: minute ${worst.minute}, ${f1(worst.ackMs.p99)} ms${silent ? `; ${silent} minutes without any ack` : ''}).`,
    );
  }
  const ready = s.restart.readyMs;
  out.push(
    `Restart to /api/ready under ${TARGETS.readyMs / 1000} s: ${ready !== null && ready < TARGETS.readyMs ? 'met' : 'NOT met'} (${ready === null ? 'never ready' : `${f0(ready)} ms`}).`,
  );
  // An open-loop load held back by full ack windows understates latency: say when the offered rate fell short.
  const short = s.rows.filter((r) => r.offered / r.durationS < s.rate * 0.95);
  if (short.length)
    out.push(
      `Offered rate below 95 % of ${s.rate}/s in ${short.length} of ${s.rows.length} intervals (minutes ${short.map((r) => r.minute).join(', ')}): the ack windows were full, so those minutes' ack latencies are understated.`,
    );
  return out;
}

export function markdown(s: SoakSummary): string {
  const head =
    '| minute | offered/s | acked/s | refused | ack p50 / p99 / max ms | acks over 50 ms | server p99 <= ms: decided / journaled | loop p99 ms | RSS MB (anon / file) | heap used MB | decisions/s | data dir MB |';
  const rows = s.rows.map((r) =>
    [
      r.durationS < 60 ? `${r.minute} (${f0(r.durationS)} s)` : r.minute,
      f0(r.offered / r.durationS),
      f0(r.acknowledged / r.durationS),
      sum(r.refused)
        ? Object.entries(r.refused)
            .map(([code, n]) => `${n} ${code}`)
            .join(', ')
        : 0,
      `${f1(r.ackMs.p50)} / ${f1(r.ackMs.p99)} / ${f1(r.ackMs.max)}`,
      r.acksOverTarget ?? '-',
      r.phaseP99Ms ? `${f1(r.phaseP99Ms.decided ?? null)} / ${f1(r.phaseP99Ms.journaled ?? null)}` : '-',
      f1(r.eventLoopP99Ms),
      `${f0(r.rssMb)} (${f0(r.rssAnonMb ?? null)} / ${f0(r.rssFileMb ?? null)})`,
      f0(r.heapUsedMb),
      f1(r.decisionsPerS),
      f1(r.dataDirMb),
    ].join(' | '),
  );
  const stop = (st: StopFigures) =>
    `${f0(st.ms)} ms, ${st.killed ? 'KILLED after 30 s' : `exit ${st.code ?? st.signal}`}${st.clean ? '' : ' (not a clean exit 0 within 10 s)'}`;
  return [
    head,
    `|${'---:|'.repeat(12)}`,
    ...rows.map((l) => `| ${l} |`),
    '',
    `After the load: ${s.drain.acknowledged} more acks while draining, ${sum(s.drain.refused)} refused, ${s.drain.unanswered} unanswered.`,
    s.crash
      ? `Crash (SIGKILL under load): ${s.crash.acknowledged} signals acknowledged, ${s.crash.missing} of them missing after the restart, ${s.crash.storedUnacknowledged} stored but never acknowledged.`
      : '',
    `Stop (${s.crash ? 'SIGKILL' : 'SIGTERM'}): ${stop(s.stop)}. Restart on the same DATA_DIR: listening after ${f0(s.restart.listeningMs)} ms, /api/ready 200 after ${f0(s.restart.readyMs)} ms, RSS then ${f0(s.restart.rssMbAfterReady)} MB; stopped in ${stop(s.restart.stop)}.`,
    '',
    ...verdicts(s).map((v) => `- ${v}`),
  ].join('\n');
}

export function chartSpec(s: SoakSummary, title: string): TopLevelSpec {
  const values = s.rows.map((r) => ({
    minute: r.endS / 60,
    'RSS MB': r.rssMb,
    'anonymous RSS MB': r.rssAnonMb ?? null,
    'heap used MB': r.heapUsedMb,
    'ack p99 ms': Number.isNaN(r.ackMs.p99) ? null : r.ackMs.p99,
    'event-loop p99 ms': r.eventLoopP99Ms,
    'decisions/s': r.decisionsPerS,
  }));
  const panel = (fields: string[], yTitle: string) => ({
    width: 560,
    height: 150,
    transform: [{ fold: fields, as: ['series', 'value'] as [string, string] }],
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'minute', type: 'quantitative' as const, title: 'minutes of load', scale: { zero: true }, axis: { format: '~g' } },
      y: { field: 'value', type: 'quantitative' as const, title: yTitle },
      color: { field: 'series', type: 'nominal' as const, title: null },
    },
  });
  return {
    title: { text: title, anchor: 'start' },
    data: { values },
    vconcat: [
      panel(['RSS MB', 'anonymous RSS MB', 'heap used MB'], 'MB'),
      panel(['ack p99 ms', 'event-loop p99 ms'], 'ms'),
      panel(['decisions/s'], 'per second'),
    ],
    resolve: { scale: { color: 'independent' } },
    background: 'white',
    config: { font: 'Helvetica, Arial, sans-serif' },
  };
}
