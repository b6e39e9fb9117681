/** Order statistics for the benchmark's samples (no averages of skewed timings). */

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

/** The q-quantile (0..1) with linear interpolation between closest ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    p99: quantile(sorted, 0.99),
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length),
  };
}

/**
 * A ratio of two variants measured in the same run, pair by pair: the
 * samples of round i of each are divided (runs were interleaved, so a round
 * shares the machine's load of the moment) and the ratios summarized. With
 * unequal sample counts, the ratio of medians is used alone.
 */
export interface Ratio {
  /** median(a) / median(b) */
  readonly ofMedians: number;
  /** median and interquartile range of the per-round ratios a[i] / b[i] */
  readonly paired?: Summary;
}

export function ratio(a: readonly number[], b: readonly number[]): Ratio {
  const ofMedians = summarize(a).median / summarize(b).median;
  if (a.length !== b.length || a.length === 0) return { ofMedians };
  return { ofMedians, paired: summarize(a.map((x, i) => x / b[i])) };
}
