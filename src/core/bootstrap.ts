// Percentile bootstrap over units (items): resample the units with replacement, recompute the
// statistic, read the interval off the replicates' quantiles. It assumes nothing about the
// statistic's distribution, which is why it suits kappa and alpha, whose closed-form variances
// hold only for complete data. Seeded, so one report always prints the same interval.
import { seededRandom } from './estimate.ts';

export interface BootstrapOptions {
  /** Number of resamples. */
  replicates?: number;
  /** Two-sided level of the interval. */
  confidence?: number;
  /** PRNG seed; the same seed and data always give the same interval. */
  seed?: number;
}

export interface BootstrapInterval {
  lower: number;
  upper: number;
  /** Resamples on which the statistic was defined (a resample can, e.g., contain one label only). */
  replicates: number;
}

export const DEFAULT_REPLICATES = 1000;
export const DEFAULT_CONFIDENCE = 0.95;
export const DEFAULT_SEED = 1;

/** The q-quantile of sorted values, interpolating linearly between order statistics (Hyndman & Fan type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Percentile intervals for each component of a vector statistic, from one set of resamples (so
 * per-label statistics cost one pass, not one per label). A component that is NaN on a resample
 * is left out of that component's replicates; a component with no defined replicate gets null.
 */
export function bootstrapIntervals<U>(
  units: readonly U[],
  statistic: (sample: readonly U[]) => readonly number[],
  options: BootstrapOptions = {},
): Array<BootstrapInterval | null> {
  const replicates = options.replicates ?? DEFAULT_REPLICATES;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (!Number.isInteger(replicates) || replicates < 1) throw new RangeError(`replicates must be a positive integer, got ${replicates}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const random = seededRandom(options.seed ?? DEFAULT_SEED);
  const n = units.length;
  const sample: U[] = new Array<U>(n);
  let draws: number[][] | null = null;
  for (let r = 0; r < replicates; r++) {
    for (let i = 0; i < n; i++) sample[i] = units[Math.floor(random() * n)]!;
    const values = statistic(sample);
    draws ??= values.map(() => []);
    values.forEach((v, k) => {
      if (!Number.isNaN(v)) draws![k]!.push(v);
    });
  }
  const alpha = 1 - confidence;
  return (draws ?? []).map((d) => {
    if (d.length === 0) return null;
    const sorted = Float64Array.from(d).sort();
    return { lower: quantileSorted(sorted, alpha / 2), upper: quantileSorted(sorted, 1 - alpha / 2), replicates: d.length };
  });
}

/** The interval of a scalar statistic; see bootstrapIntervals. */
export function bootstrapInterval<U>(units: readonly U[], statistic: (sample: readonly U[]) => number, options: BootstrapOptions = {}): BootstrapInterval | null {
  return bootstrapIntervals(units, (s) => [statistic(s)], options)[0] ?? null;
}
