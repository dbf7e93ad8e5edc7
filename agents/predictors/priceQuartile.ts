// Where the current price sits in the recent price window.

/** Below this many prices the quartiles are too coarse to act on. */
export const MIN_PRICE_POINTS = 8;

export interface PriceQuartile {
  /** 1 = cheapest quarter of the window, 4 = dearest. */
  quartile: 1 | 2 | 3 | 4;
  /** Percentile rank of the price in the window, 0..100. */
  percentile: number;
  windowSize: number;
  median: number;
}

/**
 * Percentile rank with ties counted half: rank = (below + equal/2) / n, and
 * quartile = floor(rank * 4) + 1 (capped at 4). Counting ties half makes a
 * flat tariff land in the middle (quartile 3 at rank 0.5) instead of being
 * both the top and the bottom quartile at once.
 */
export function priceQuartile(price: number, window: readonly number[]): PriceQuartile | null {
  const n = window.length;
  if (n < MIN_PRICE_POINTS) return null;
  let below = 0;
  let equal = 0;
  for (const p of window) {
    if (p < price) below++;
    else if (p === price) equal++;
  }
  const rank = (below + equal / 2) / n;
  const quartile = Math.min(4, Math.floor(rank * 4) + 1) as 1 | 2 | 3 | 4;
  const sorted = [...window].sort((a, b) => a - b);
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { quartile, percentile: rank * 100, windowSize: n, median };
}
