// What bench:ocpp reads of the copilot's metrics: the pipeline's own histograms (the p99 between two
// scrapes, interpolated within its bucket), server and bench CPU, and signals shed.
export type Buckets = [number, number][];

/** The pipeline's own histograms: receipt to decision (decisions only), and each ingest phase (every request). */
export const SERIES = {
  decision: ['copilot_pipeline_latency_seconds_bucket{', null],
  checked: ['copilot_ingest_phase_seconds_bucket{', 'checked'],
  decided: ['copilot_ingest_phase_seconds_bucket{', 'decided'],
  journaled: ['copilot_ingest_phase_seconds_bucket{', 'journaled'],
} as const;
export type Series = keyof typeof SERIES;

export function pipelineBuckets(m: Map<string, number>): Record<Series, Buckets> {
  const out = { decision: [], checked: [], decided: [], journaled: [] } as Record<Series, Buckets>;
  for (const [k, v] of m) {
    for (const [name, [prefix, phase]] of Object.entries(SERIES) as [Series, readonly [string, string | null]][]) {
      if (!k.startsWith(prefix) || (phase !== null && !k.includes(`phase="${phase}"`))) continue;
      const le = /le="([^"]+)"/.exec(k)?.[1];
      if (le) out[name].push([le === '+Inf' ? Infinity : Number(le), v]);
    }
  }
  for (const b of Object.values(out)) b.sort((a, c) => a[0] - c[0]);
  return out;
}

export function p99s(before: Record<Series, Buckets>, after: Record<Series, Buckets>) {
  return Object.fromEntries((Object.keys(SERIES) as Series[]).map((k) => [k, p99Between(before[k], after[k])])) as Record<
    Series,
    ReturnType<typeof p99Between>
  >;
}

/** The p99 of the decisions observed between two scrapes, interpolated within its histogram bucket (ms). */
export function p99Between(before: Buckets, after: Buckets): { count: number; p99Ms: number | null; bucketMs: [number, number] | null } {
  const prev = new Map(before);
  const counts = after.map(([le, n]) => [le, n - (prev.get(le) ?? 0)] as [number, number]);
  const total = counts.length ? counts[counts.length - 1]![1] : 0;
  if (total === 0) return { count: 0, p99Ms: null, bucketMs: null };
  const want = 0.99 * total;
  let lo = 0;
  let below = 0;
  for (const [le, n] of counts) {
    if (n >= want) {
      const hi = Number.isFinite(le) ? le : lo;
      const share = n === below ? 0 : (want - below) / (n - below);
      return { count: total, p99Ms: (lo + (hi - lo) * share) * 1000, bucketMs: [lo * 1000, hi * 1000] };
    }
    lo = le;
    below = n;
  }
  return { count: total, p99Ms: null, bucketMs: null };
}

/** Server CPU (process_cpu_seconds_total), this process's CPU, and signals shed, between two scrapes. */
export function cpuOf(before: Map<string, number>, after: Map<string, number>, since: { at: number; self: NodeJS.CpuUsage }) {
  const s = (performance.now() - since.at) / 1000;
  const self = process.cpuUsage(since.self);
  const shed = (m: Map<string, number>) => m.get('copilot_signals_rejected_total{reason="BACKPRESSURE"}') ?? 0;
  return {
    serverPct: (((after.get('process_cpu_seconds_total') ?? 0) - (before.get('process_cpu_seconds_total') ?? 0)) / s) * 100,
    benchPct: ((self.user + self.system) / 1e6 / s) * 100,
    shed: shed(after) - shed(before),
  };
}
