// Bytes one dedupe claim costs in the in-memory cache, the figure behind DEDUPE_MAX_IDS's default:
// `node --expose-gc --import tsx scripts/bench/dedupeMemory.ts [claims]`.
import { MemoryCache } from '../../services/platform/index.js';

const n = Number(process.argv[2] ?? 1_000_000);
const exposed = (globalThis as { gc?: () => void }).gc;
if (!exposed) throw new Error('run with node --expose-gc');
const gc: () => void = exposed;

async function main(): Promise<void> {
  gc();
  const before = process.memoryUsage();
  const cache = new MemoryCache({ maxClaims: n });
  const batch: string[] = [];
  for (let i = 0; i < n; i++) {
    batch.push(`sig:st-${String(i % 2000).padStart(4, '0')}/sig-${String(i).padStart(9, '0')}`);
    if (batch.length === 1000) await cache.claim(batch.splice(0), 86_400);
  }
  await cache.claim(batch, 86_400);
  gc();
  const after = process.memoryUsage();
  const per = (k: 'heapUsed' | 'rss' | 'arrayBuffers') => ((after[k] - before[k]) / n).toFixed(0);
  console.log(
    JSON.stringify({
      claims: cache.sizes.claims,
      heapBytesPerClaim: per('heapUsed'),
      rssBytesPerClaim: per('rss'),
      arrayBytesPerClaim: per('arrayBuffers'),
    }),
  );
  await cache.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
