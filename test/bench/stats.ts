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
 * A 95 % confidence interval of the median, by the percentile bootstrap:
 * `resamples` samples of the same size drawn with replacement, and the 2.5th
 * and 97.5th percentiles of their medians. Seeded, so a report reads the same
 * for the same samples.
 */
export function medianCi95(samples: readonly number[], resamples = 1000, seed = 1): readonly [number, number] {
  if (samples.length === 0) return [NaN, NaN];
  const random = parkMiller(seed);
  // One array for every resample: it is filled again, and sorted in place, each time.
  const draw = new Array<number>(samples.length);
  const medians: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < samples.length; i++) draw[i] = samples[Math.floor(random() * samples.length)];
    medians.push(quantile(draw.sort((a, b) => a - b), 0.5));
  }
  medians.sort((a, b) => a - b);
  return [quantile(medians, 0.025), quantile(medians, 0.975)];
}

/** A small seeded PRNG (Park–Miller, exact in doubles): uniform in (0, 1). */
function parkMiller(seed: number): () => number {
  const modulus = 2147483647;
  let state = Math.abs(Math.floor(seed)) % modulus || 1;
  return () => {
    state = (state * 48271) % modulus;
    return state / modulus;
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
  /** 95 % confidence interval of the paired median (medianCi95) */
  readonly pairedCi95?: readonly [number, number];
}

export function ratio(a: readonly number[], b: readonly number[]): Ratio {
  const ofMedians = summarize(a).median / summarize(b).median;
  if (a.length !== b.length || a.length === 0) return { ofMedians };
  const pairs = a.map((x, i) => x / b[i]);
  return { ofMedians, paired: summarize(pairs), pairedCi95: medianCi95(pairs) };
}
