// Self time per function and per module from a V8 .cpuprofile, to say what
// bounds throughput. Usable alone: `tsx scripts/bench/profile.ts <file.cpuprofile> [root]`.
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  /** Sampled time in the window; busyMs excludes idle. */
  totalMs: number;
  busyMs: number;
  /** Share of the profile when the main thread had nothing to do. */
  idlePct: number;
  functions: ProfileRow[];
  modules: ProfileRow[];
  /** Time with the function anywhere on the stack, for this repo's own files: where the work starts. */
  inclusive: ProfileRow[];
}

/** Where a frame lives: a package, a repo file, Node internals, or V8's pseudo frames. */
function moduleOf(url: string, root: string): string {
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) return 'node: internals';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  return path.startsWith(root) ? relative(root, path) : path;
}

/**
 * `windowUs` keeps only samples taken in [from, to], in microseconds of the
 * monotonic clock (V8's profile clock and process.hrtime agree on Linux), so
 * start-up, transpiling and warm-up do not count.
 */
export async function summarizeProfile(file: string, root: string, windowUs?: [number, number], top = 20): Promise<ProfileSummary> {
  const p = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the gap before sample i; attributing it to sample i is what DevTools does.
    const d = Math.max(0, p.timeDeltas[i] ?? 0);
    at += d;
    if (windowUs && (at < windowUs[0] || at > windowUs[1])) continue;
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + d);
  }

  const fns = new Map<string, number>();
  const mods = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    total += us;
    if (f.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const mod = moduleOf(f.url, root);
    // Line numbers are left out: tsx-transpiled files report positions in the emitted code, not the source.
    const fn = f.url ? `${mod}:${f.functionName || '(anonymous)'}` : f.functionName;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    mods.set(f.url ? mod : f.functionName, (mods.get(f.url ? mod : f.functionName) ?? 0) + us);
  }
  // Inclusive time: each sample counts once for every distinct repo function on its stack.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (!f.url || f.url.includes('/node_modules/') || f.url.startsWith('node:')) continue;
      seen.add(`${moduleOf(f.url, root)}:${f.functionName || '(anonymous)'}`);
    }
    for (const k of seen) incl.set(k, (incl.get(k) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: total ? (us / total) * 100 : 0 }));
  return {
    totalMs: Math.round(total / 1000),
    busyMs: Math.round((total - idle) / 1000),
    idlePct: total ? (idle / total) * 100 : 0,
    functions: rows(fns),
    modules: rows(mods),
    inclusive: rows(incl),
  };
}

export function formatProfile(s: ProfileSummary, title = "the server's main thread"): string {
  // A thread that ran no repo code (the database worker) has no inclusive rows: print no empty table.
  const table = (title: string, rows: ProfileRow[]) =>
    rows.length === 0
      ? `No ${title} samples.`
      : [
          `| ${title} | self ms | % of samples |`,
          '|---|---:|---:|',
          ...rows.map((r) => `| ${r.name} | ${r.ms} | ${r.pct.toFixed(1)} |`),
        ].join('\n');
  return [
    `Profiled ${s.totalMs} ms of ${title}; idle ${s.idlePct.toFixed(1)} %.`,
    '',
    table('module (self time)', s.modules),
    '',
    table('function (self time)', s.functions),
    '',
    table('repo function (inclusive time)', s.inclusive),
  ].join('\n');
}

if (require.main === module) {
  const [file, root = process.cwd()] = process.argv.slice(2);
  // Standalone use has no steady-phase window: the whole profile is summarized, start-up included.
  if (!file) {
    process.stderr.write('usage: tsx scripts/bench/profile.ts <file.cpuprofile> [repo root]\n');
    process.exit(2);
  }
  summarizeProfile(file, root)
    .then((s) => process.stdout.write(`${formatProfile(s)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
