// Seeded randomness for the simulator. Everything random in a run flows from
// one seed through these helpers, so the same seed replays the same signals.

/** Hash a string to 32 bits (FNV-1a), used to derive independent sub-seeds. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: tiny, fast and good enough for a sensor simulation. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal via Box-Muller (one value per call; simplicity over speed). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** A child generator with its own stream, so adding draws in one part does not shift another. */
  fork(label: string): Rng {
    return new Rng(hash32(`${this.nextU32()}:${label}`));
  }
}

const MASK64 = (1n << 64n) - 1n;

/** splitmix64 finalizer: a bijection on 64-bit values, so distinct inputs give distinct outputs. */
function mix64(x: bigint): bigint {
  let z = x & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/**
 * UUID v4-shaped ids from a seed and a counter. A 32-bit PRNG alone could
 * repeat 128-bit ids over a million draws; mixing the counter through a
 * bijection guarantees uniqueness within a run while still looking random.
 */
export class IdFactory {
  private counter = 0n;
  private readonly key: bigint;
  private readonly key2: bigint;

  constructor(seed: number) {
    this.key = mix64((BigInt(hash32(`ids:${seed}`)) << 32n) | BigInt(seed >>> 0));
    this.key2 = mix64(this.key ^ 0x9e3779b97f4a7c15n);
  }

  next(): string {
    const n = this.counter++;
    const a = mix64((n + this.key) & MASK64)
      .toString(16)
      .padStart(16, '0');
    const b = mix64(BigInt(`0x${a}`) ^ this.key2)
      .toString(16)
      .padStart(16, '0');
    // All 16 hex digits of `a` survive (positions 0-11, 13-15, 17), which keeps ids unique.
    const variant = ((parseInt(b[0] ?? '0', 16) & 0x3) | 0x8).toString(16);
    return `${a.slice(0, 8)}-${a.slice(8, 12)}-4${a.slice(12, 15)}-${variant}${a.slice(15, 16)}${b.slice(1, 3)}-${b.slice(3, 15)}`;
  }
}
