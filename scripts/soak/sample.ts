// What the soak reads once a minute: the server process's memory and event loop, its decision counter,
// the size of its data directory, and this process's tally of the acks it got back in the interval.
import { readFile, readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Histogram } from 'hdr-histogram-js';
import { scrape, sumOf } from '../bench/child.js';
import { latencyHistogram, latencyMs, type IngestAnswer, type Latency } from '../bench/load.js';

const MB = 1024 * 1024;

/** One interval of the soak (a minute, or the last, shorter one). */
export interface SoakRow {
  /** 1-based; the interval ends at `endS` seconds of load. */
  minute: number;
  endS: number;
  durationS: number;
  offered: number;
  acknowledged: number;
  /** Answers with `ok: false`, by error code. */
  refused: Record<string, number>;
  /** Emit to ack of the signals acknowledged in this interval, client side. */
  ackMs: Latency;
  /** How many of them took longer than the ack target (50 ms): under 1 % of `acknowledged` is a p99 under it. */
  acksOverTarget?: number;
  /** VmRSS of the server process (/proc), else prom-client's process_resident_memory_bytes. */
  rssMb: number | null;
  /** The process's own memory and its mapped files' pages (see memoryOf); null where /proc is missing. */
  rssAnonMb?: number | null;
  rssFileMb?: number | null;
  heapUsedMb: number | null;
  heapTotalMb: number | null;
  /** Server side, prom-client's event-loop delay histogram, which each scrape resets: this interval's. */
  eventLoopP99Ms: number | null;
  eventLoopMaxMs: number | null;
  /** Per ingest phase, this interval's p99 as a histogram bucket bound (ms); see phaseP99Ms. */
  phaseP99Ms?: Record<string, number | null>;
  /** Delta of copilot_decisions_total (all labels) over the interval. */
  decisionsPerS: number | null;
  /** Bytes on disk under DATA_DIR (allocated blocks). */
  dataDirMb: number | null;
}

/** The client-side tally between two samples. */
export class AckTally {
  offered = 0;
  acknowledged = 0;
  refused: Record<string, number> = {};
  private overTarget = 0;
  private hist: Histogram = latencyHistogram();

  /** `targetMs`: the ack latency whose excess is counted (acksOverTarget). */
  constructor(private readonly targetMs: number) {}

  sent(): void {
    this.offered++;
  }

  answered(answer: IngestAnswer, sentAt: number, at: number): void {
    if (answer?.ok) {
      this.acknowledged++;
      this.hist.recordValue(Math.max(1, Math.round((at - sentAt) * 1000)));
      if (at - sentAt > this.targetMs) this.overTarget++;
    } else {
      const code = answer?.error?.code ?? 'NO_CODE';
      this.refused[code] = (this.refused[code] ?? 0) + 1;
    }
  }

  /** This interval's figures; the tally starts over. */
  take(): Pick<SoakRow, 'offered' | 'acknowledged' | 'refused' | 'ackMs' | 'acksOverTarget'> {
    const out = {
      offered: this.offered,
      acknowledged: this.acknowledged,
      refused: this.refused,
      ackMs: latencyMs(this.hist),
      acksOverTarget: this.overTarget,
    };
    this.overTarget = 0;
    this.offered = 0;
    this.acknowledged = 0;
    this.refused = {};
    this.hist = latencyHistogram();
    return out;
  }
}

/**
 * Resident memory of a process from /proc (Linux), in bytes; nulls elsewhere or once it has gone. `file`
 * is the mapped files' pages (the LMDB journals are memory-mapped: pages the journal has touched count
 * here, and the kernel drops them under pressure), `anon` the process's own memory (heaps, buffers).
 */
export async function memoryOf(pid: number): Promise<{ rss: number | null; anon: number | null; file: number | null }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kB = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  return { rss: kB('VmRSS'), anon: kB('RssAnon'), file: kB('RssFile') };
}

/** Resident set size of a process from /proc (Linux), in bytes; null elsewhere or once it has gone. */
export async function rssOf(pid: number): Promise<number | null> {
  return (await memoryOf(pid)).rss;
}

/** Bytes allocated on disk below `dir` (what the store really costs, sparse files included). */
export async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      // A file can vanish between listing and stat while the snapshot is rewritten.
      const st = await lstat(p).catch(() => null);
      if (!st) continue;
      total += st.blocks * 512;
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return total;
}

export interface ServerSample {
  rssMb: number | null;
  rssAnonMb: number | null;
  rssFileMb: number | null;
  heapUsedMb: number | null;
  heapTotalMb: number | null;
  eventLoopP99Ms: number | null;
  eventLoopMaxMs: number | null;
  decisions: number | null;
  dataDirMb: number | null;
  /** copilot_ingest_phase_seconds, cumulative since start: per phase, [bucket bound in s, count] in bound order. */
  phaseBuckets: Record<string, [number, number][]>;
}

/** The ingest phases (copilot_ingest_phase_seconds): where a request's time went before its answer. */
export const PHASES = ['queued', 'checked', 'decided', 'journaled'] as const;

function phaseBuckets(m: Map<string, number>): Record<string, [number, number][]> {
  const out: Record<string, [number, number][]> = {};
  for (const [k, v] of m) {
    if (!k.startsWith('copilot_ingest_phase_seconds_bucket{')) continue;
    const le = /le="([^"]+)"/.exec(k)?.[1];
    const phase = /phase="([^"]+)"/.exec(k)?.[1];
    if (!le || !phase) continue;
    (out[phase] ??= []).push([le === '+Inf' ? Infinity : Number(le), v]);
  }
  for (const list of Object.values(out)) list.sort((a, b) => a[0] - b[0]);
  return out;
}

/**
 * Per phase, the 99th percentile of the requests observed between two samples, as the bound of the
 * histogram bucket it falls in (ms): an upper bound, as coarse as the buckets. Null without requests.
 */
export function phaseP99Ms(now: ServerSample, prev: ServerSample | null): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const phase of PHASES) {
    const cur = now.phaseBuckets[phase] ?? [];
    const before = new Map(prev?.phaseBuckets[phase] ?? []);
    const counts = cur.map(([le, n]) => [le, n - (before.get(le) ?? 0)] as [number, number]);
    const total = counts.length ? counts[counts.length - 1]![1] : 0;
    const hit = counts.find(([, n]) => n >= 0.99 * total);
    out[phase] = total > 0 && hit ? hit[0] * 1000 : null;
  }
  return out;
}

/** One look at the server. The scrape resets its event-loop histogram, so samples must be taken only here. */
export async function sampleServer(url: string, pid: number, dataDir: string): Promise<ServerSample> {
  const [m, mem, disk] = await Promise.all([
    scrape(url).catch(() => new Map<string, number>()),
    memoryOf(pid),
    diskBytes(dataDir).catch(() => null),
  ]);
  const mb = (name: string) => (m.has(name) ? m.get(name)! / MB : null);
  const msOf = (name: string) => (m.has(name) ? m.get(name)! * 1000 : null);
  return {
    rssMb: mem.rss === null ? mb('process_resident_memory_bytes') : mem.rss / MB,
    rssAnonMb: mem.anon === null ? null : mem.anon / MB,
    rssFileMb: mem.file === null ? null : mem.file / MB,
    heapUsedMb: mb('nodejs_heap_size_used_bytes'),
    heapTotalMb: mb('nodejs_heap_size_total_bytes'),
    eventLoopP99Ms: msOf('nodejs_eventloop_lag_p99_seconds'),
    eventLoopMaxMs: msOf('nodejs_eventloop_lag_max_seconds'),
    decisions: m.size ? sumOf(m, 'copilot_decisions_total') : null,
    dataDirMb: disk === null ? null : disk / MB,
    phaseBuckets: phaseBuckets(m),
  };
}
