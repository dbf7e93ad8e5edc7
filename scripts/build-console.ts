// Builds the console (web/ -> dist/console/) with Vite when it is missing or stale: the stamp is a
// SHA-256 of every file under web/ and of package-lock.json, so an unchanged tree costs one hash
// (`npm start` and `npm test` call this every time). `--force` builds anyway; `--out DIR` builds
// elsewhere (work on the console beside a test run that reads dist/console).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../utils/paths.js';

const WEB = path.join(PROJECT_ROOT, 'web');
function outDir(argv: string[]): string {
  const i = argv.indexOf('--out');
  return i >= 0 && argv[i + 1] ? path.resolve(argv[i + 1]!) : path.join(PROJECT_ROOT, 'dist', 'console');
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out.sort();
}

/** What the built console depends on: its sources and the locked package versions. */
export function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of [...filesUnder(WEB), path.join(PROJECT_ROOT, 'package-lock.json')]) {
    h.update(path.relative(PROJECT_ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

function main(): number {
  const force = process.argv.includes('--force');
  const OUT = outDir(process.argv);
  const STAMP = path.join(OUT, '.source-hash');
  const hash = sourceHash();
  const built = existsSync(path.join(OUT, 'index.html')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === hash;
  if (built && !force) return 0;
  const started = performance.now();
  const vite = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'vite');
  const r = spawnSync(vite, ['build', '--config', path.join(WEB, 'vite.config.mts'), '--outDir', OUT, '--emptyOutDir'], {
    stdio: 'inherit',
    cwd: PROJECT_ROOT,
  });
  if (r.status !== 0) {
    process.stderr.write(`build:console: vite build failed (exit ${r.status ?? r.signal})\n`);
    return 1;
  }
  writeFileSync(STAMP, `${hash}\n`);
  process.stdout.write(
    `build:console: console built into ${path.relative(PROJECT_ROOT, OUT) || OUT} in ${Math.round(performance.now() - started)} ms\n`,
  );
  return 0;
}

if (require.main === module) process.exit(main());
