// Small statistics for the promises Tandem makes about accuracy: confidence bounds on a rate,
// binomial tails for tests against a promised rate, and what a majority of reviewers gets right.
// Pure and closed-form, so the tuner can evaluate thousands of candidate thresholds cheaply.

/** A point estimate with a lower and an upper bound. */
export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation refined by one Halley
 * step, relative error well below 1e-12 over (0, 1)).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    throw new RangeError(`normalQuantile needs p in [0, 1], got ${p}`);
  }
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  // The Chebyshev fit of Numerical Recipes (3rd ed., Erf::erfccheb), good to near double
  // precision: the Halley step in normalQuantile is only as exact as this.
  const z = Math.abs(x);
  const t = 2 / (2 + z);
  const ty = 4 * t - 2;
  const coef = [
    -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4, 3.66839497852761e-4,
    4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9,
    5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13,
    -1.12708e-13, 3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
  ];
  let d = 0;
  let dd = 0;
  for (let j = coef.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + coef[j]!;
    dd = tmp;
  }
  const r = t * Math.exp(-z * z + 0.5 * (coef[0]! + ty * d) - dd);
  return x >= 0 ? r : 2 - r;
}

/** The z of a one-sided bound at `confidence` (0.95 → 1.645). */
export function zOneSided(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return normalQuantile(confidence);
}

/**
 * Wilson score interval for `successes` out of `trials`; both may be fractional (pseudo-counts
 * from a prior). Each bound holds one-sided at the level `z` stands for, so z = 1.645 gives two
 * one-sided 95 % bounds (together a 90 % interval). With no trials nothing is known: [0, 1].
 */
export function wilsonInterval(successes: number, trials: number, z: number): Interval {
  if (!(trials > 0)) return { estimate: Number.NaN, lower: 0, upper: 1 };
  const p = Math.min(1, Math.max(0, successes / trials));
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom;
  return { estimate: p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~15 significant digits). */
export function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const y = x - 1;
  let s = g[0]!;
  for (let i = 1; i < 9; i++) s += g[i]! / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** P(X ≤ k) for X ~ Binomial(n, p), summed in log space so large n neither overflows nor underflows. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
  const top = Math.floor(k);
  if (top < 0) return 0;
  if (top >= n) return 1;
  if (p === 0) return 1;
  if (p === 1) return 0;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const lnN = logGamma(n + 1);
  // Sum the smaller tail: it is the one that needs the precision.
  const mean = n * p;
  const lower = top < mean;
  let max = -Infinity;
  const terms: number[] = [];
  const from = lower ? 0 : top + 1;
  const to = lower ? top : n;
  for (let i = from; i <= to; i++) {
    const t = lnN - logGamma(i + 1) - logGamma(n - i + 1) + i * lp + (n - i) * lq;
    terms.push(t);
    if (t > max) max = t;
  }
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  const tail = Math.min(1, Math.exp(max) * sum);
  return lower ? tail : Math.max(0, 1 - tail);
}

/**
 * The chance that a strict majority of `reviewers` independent people, each right with
 * probability `accuracy`, gives the right answer. It is a lower bound on the accuracy of a
 * majority decision: without a strict majority the item goes to a lead instead of being
 * decided wrongly, and wrong answers split over several labels only make a wrong majority rarer.
 */
export function majorityAccuracy(accuracy: number, reviewers: number): number {
  if (!Number.isInteger(reviewers) || reviewers < 1) throw new RangeError(`reviewers must be a positive integer, got ${reviewers}`);
  if (reviewers === 1) return accuracy;
  // Right answers needed: more than half.
  const need = Math.floor(reviewers / 2) + 1;
  // P(correct ≥ need) = P(wrong ≤ reviewers − need), with wrong ~ Binomial(reviewers, 1 − accuracy).
  return binomialCdf(reviewers - need, reviewers, 1 - accuracy);
}

/** The fewest reviewers (odd, up to `max`) whose majority reaches `target`, or null if none does. */
export function reviewersForTarget(accuracy: number, target: number, max = 9): number | null {
  for (let n = 1; n <= max; n += 2) if (majorityAccuracy(accuracy, n) >= target) return n;
  return null;
}

/** Deterministic PRNG (mulberry32) for the callers that need a seeded source of randomness. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The x in [lo, hi] where a unimodal f is least, by golden-section search, to within `tolerance`
 * (the midpoint of the last bracket). Shared by the calibration fits.
 */
export function goldenSectionMin(f: (x: number) => number, lo: number, hi: number, tolerance: number): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = hi - g * (hi - lo);
  let b = lo + g * (hi - lo);
  let fa = f(a);
  let fb = f(b);
  while (hi - lo > tolerance) {
    if (fa <= fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - g * (hi - lo);
      fa = f(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + g * (hi - lo);
      fb = f(b);
    }
  }
  return (lo + hi) / 2;
}
