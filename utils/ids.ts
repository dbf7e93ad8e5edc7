// Small, pure functions over ids shared by the pipeline, the stream log and the sockets.
import { createHash } from 'node:crypto';

/** Orders Redis stream ids ("<ms>-<seq>", both unbounded integers): negative if `a` comes first. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const ms = BigInt(am!) - BigInt(bm!);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as ?? '0') - BigInt(bs ?? '0');
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/** A stable bucket in [0, n) for an id, from the first 32 bits of its SHA-256 (the same on every instance). */
export function bucketOf(id: string, n: number): number {
  return parseInt(createHash('sha256').update(id).digest('hex').slice(0, 8), 16) % n;
}
