// z-score of a reading against a recent window of the same metric.

/** Fewer readings than this give no score: a mean of two numbers says little. */
export const MIN_ANOMALY_SAMPLES = 5;

export function meanStd(window: readonly number[]): { mean: number; std: number } {
  const n = window.length;
  if (n === 0) return { mean: 0, std: 0 };
  const mean = window.reduce((s, v) => s + v, 0) / n;
  const variance = window.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * z = (value - mean) / max(std, minStd), population std of the window. The
 * floor keeps a flat window (all readings equal) from turning any change into
 * an infinite score. Null when the window is too short to judge.
 */
export function zScore(value: number, window: readonly number[], minStd = 0): number | null {
  if (window.length < MIN_ANOMALY_SAMPLES) return null;
  const { mean, std } = meanStd(window);
  const sd = Math.max(std, minStd);
  if (sd === 0) return value === mean ? 0 : null;
  return (value - mean) / sd;
}
