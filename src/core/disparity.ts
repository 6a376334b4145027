// Bias audit: does the system treat groups (segment, language, channel, region …) differently?
// Per group a rate with a Wilson interval; against a reference group a rate ratio with a Katz
// log interval and a test of equal rates — Fisher's exact test when an expected cell count is
// below 5 (Cochran's rule), else the pooled two-proportion z-test. Many groups mean many tests, so
// p-values are adjusted by Holm's step-down method (valid under any dependence between the tests)
// before a gap is flagged. The same machinery, stratified by comparable items (Cochran–Mantel–
// Haenszel), asks whether one reviewer decides against one group more often than their peers.
import { binomialCdf, logGamma, normalCdf, wilsonInterval, type Interval } from './estimate.ts';
import { degenerate, insufficient, ok, twoSidedZ, type Measured } from './measured.ts';

/** `x` events (automatic decisions, machine errors, overturns, approvals …) out of `n`. */
export interface Count {
  x: number;
  n: number;
}

export interface RateOptions {
  /** Two-sided level of intervals. */
  confidence?: number;
  /** Fewest observations a rate is reported on. */
  minN?: number;
}

export const DEFAULT_MIN_N = 10;
const DEFAULT_CONFIDENCE = 0.95;

function checkCount({ x, n }: Count): void {
  if (!Number.isInteger(x) || !Number.isInteger(n) || x < 0 || n < 0 || x > n) throw new RangeError(`need integers 0 ≤ x ≤ n, got x = ${x}, n = ${n}`);
}

/** A rate with its two-sided Wilson interval. */
export function rate(count: Count, options: RateOptions = {}): Measured<Interval & { n: number }> {
  checkCount(count);
  const needed = options.minN ?? DEFAULT_MIN_N;
  if (count.n < needed) return insufficient(count.n, needed);
  return ok({ ...wilsonInterval(count.x, count.n, twoSidedZ(options.confidence ?? DEFAULT_CONFIDENCE)), n: count.n });
}

/**
 * Ratio of two rates, a / b, with the Katz log interval: SE(ln RR) = √(1/x₁ − 1/n₁ + 1/x₂ − 1/n₂).
 * A zero count gets 0.5 added to every cell (Haldane–Anscombe), so the interval stays finite.
 */
export function rateRatio(a: Count, b: Count, confidence = DEFAULT_CONFIDENCE): Measured<Interval> {
  checkCount(a);
  checkCount(b);
  if (a.n === 0 || b.n === 0) return insufficient(Math.min(a.n, b.n), 1);
  if (a.x === 0 && b.x === 0) return degenerate(a.n + b.n, 'no events in either group, so their ratio is undefined');
  const fix = a.x === 0 || b.x === 0 ? 0.5 : 0;
  const x1 = a.x + fix;
  const n1 = a.n + 2 * fix;
  const x2 = b.x + fix;
  const n2 = b.n + 2 * fix;
  const estimate = x1 / n1 / (x2 / n2);
  const se = Math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);
  const z = twoSidedZ(confidence);
  return ok({ estimate, lower: estimate * Math.exp(-z * se), upper: estimate * Math.exp(z * se) });
}

/**
 * Newcombe's hybrid score interval for a difference of rates a − b (Newcombe 1998, method 10):
 * it combines the two Wilson intervals and, unlike the Wald interval, stays inside [−1, 1] and
 * keeps its coverage near 0 and 1.
 */
export function rateDifference(a: Count, b: Count, confidence = DEFAULT_CONFIDENCE): Interval {
  checkCount(a);
  checkCount(b);
  const z = twoSidedZ(confidence);
  const wa = wilsonInterval(a.x, a.n, z);
  const wb = wilsonInterval(b.x, b.n, z);
  const d = wa.estimate - wb.estimate;
  return {
    estimate: d,
    lower: d - Math.sqrt((wa.estimate - wa.lower) ** 2 + (wb.upper - wb.estimate) ** 2),
    upper: d + Math.sqrt((wa.upper - wa.estimate) ** 2 + (wb.estimate - wb.lower) ** 2),
  };
}

const logChoose = (n: number, k: number): number => logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);

/**
 * Two-sided Fisher exact test of equal rates: the total probability, given the margins, of every
 * table no more likely than the one observed (the convention of R's fisher.test, with its 1e-7
 * relative tolerance for ties).
 */
export function fisherExact(a: Count, b: Count): number {
  checkCount(a);
  checkCount(b);
  const events = a.x + b.x;
  const total = a.n + b.n;
  const lo = Math.max(0, events - b.n);
  const hi = Math.min(events, a.n);
  const logP = (x: number): number => logChoose(a.n, x) + logChoose(b.n, events - x) - logChoose(total, events);
  const observed = logP(a.x);
  let p = 0;
  for (let x = lo; x <= hi; x++) {
    const lp = logP(x);
    if (lp <= observed + Math.log1p(1e-7)) p += Math.exp(lp);
  }
  return Math.min(1, p);
}

/** Two-sided pooled two-proportion z-test of equal rates. */
export function twoProportionZ(a: Count, b: Count): { z: number; p: number } {
  checkCount(a);
  checkCount(b);
  const pooled = (a.x + b.x) / (a.n + b.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n));
  if (!(se > 0)) return { z: 0, p: 1 };
  const z = (a.x / a.n - b.x / b.n) / se;
  return { z, p: 2 * normalCdf(-Math.abs(z)) };
}

export type TestName = 'fisher-exact' | 'two-proportion-z';

/** Tests equal rates with Fisher's exact test when an expected cell count is below 5, else the z-test. */
export function compareRates(a: Count, b: Count): { test: TestName; p: number } {
  const events = a.x + b.x;
  const total = a.n + b.n;
  const expected = [a.n, b.n].flatMap((n) => [(n * events) / total, (n * (total - events)) / total]);
  if (total === 0 || expected.some((e) => e < 5)) return { test: 'fisher-exact', p: fisherExact(a, b) };
  return { test: 'two-proportion-z', p: twoProportionZ(a, b).p };
}

/** Holm's step-down adjusted p-values (Holm 1979), in the input order. */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

export interface GroupCount extends Count {
  group: string;
}

export interface AuditOptions extends RateOptions {
  /** The group others are compared with; defaults to the largest. */
  reference?: string;
  /** Family-wise error rate after Holm's adjustment. */
  alpha?: number;
}

export interface GroupDisparity {
  group: string;
  rate: Measured<Interval & { n: number }>;
  /** This group's rate over the reference's; absent for the reference itself. */
  ratio?: Measured<Interval>;
  test?: { test: TestName; p: number; pAdjusted: number };
  /** The gap is significant after adjustment: 'higher' or 'lower' than the reference. */
  flag: 'higher' | 'lower' | null;
}

export interface DisparityAudit {
  reference: string;
  alpha: number;
  correction: 'holm';
  groups: GroupDisparity[];
}

/** One rate across groups, each compared with the reference. Groups with too few observations get no test. */
export function disparityAudit(groups: readonly GroupCount[], options: AuditOptions = {}): Measured<DisparityAudit> {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const minN = options.minN ?? DEFAULT_MIN_N;
  if (new Set(groups.map((g) => g.group)).size !== groups.length) throw new RangeError('each group once');
  const reference = options.reference ?? [...groups].sort((a, b) => b.n - a.n || (a.group < b.group ? -1 : 1))[0]?.group;
  const ref = groups.find((g) => g.group === reference);
  if (reference !== undefined && !ref) throw new RangeError(`reference group ${reference} is not among the groups`);
  const testable = groups.filter((g) => g !== ref && g.n >= minN);
  if (!ref || ref.n < minN || testable.length === 0) return insufficient(Math.min(ref?.n ?? 0, ...groups.filter((g) => g !== ref).map((g) => g.n)), minN);
  const tests = new Map(testable.map((g) => [g.group, compareRates(g, ref)]));
  const adjusted = holm([...tests.values()].map((t) => t.p));
  const adjustedOf = new Map([...tests.keys()].map((g, i) => [g, adjusted[i]!]));
  return ok({
    reference: ref.group,
    alpha,
    correction: 'holm' as const,
    groups: groups.map((g): GroupDisparity => {
      const r = rate(g, options);
      if (g === ref) return { group: g.group, rate: r, flag: null };
      const t = tests.get(g.group);
      if (!t) return { group: g.group, rate: r, ratio: insufficient(g.n, minN), flag: null };
      const pAdjusted = adjustedOf.get(g.group)!;
      const higher = g.x / g.n > ref.x / ref.n;
      return {
        group: g.group,
        rate: r,
        ratio: rateRatio(g, ref, options.confidence),
        test: { ...t, pAdjusted },
        flag: pAdjusted < alpha ? (higher ? 'higher' : 'lower') : null,
      };
    }),
  });
}

// --- time to decision ---------------------------------------------------------------------------

export interface DurationSummary {
  n: number;
  mean: number;
  median: number;
  p90: number;
  /** Distribution-free interval for the median from order statistics; null when n is too small for the level. */
  medianInterval: { lower: number; upper: number } | null;
}

function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Median, 90th percentile and mean of durations, with an interval for the median between the
 * order statistics x₍ⱼ₎ and x₍ₙ₋ⱼ₊₁₎, j the largest with P(Binomial(n, ½) < j) ≤ (1 − confidence)/2.
 */
export function durationSummary(values: readonly number[], options: RateOptions = {}): Measured<DurationSummary> {
  const needed = options.minN ?? DEFAULT_MIN_N;
  if (values.some((v) => !Number.isFinite(v))) throw new RangeError('durations must be finite numbers');
  if (values.length < needed) return insufficient(values.length, needed);
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const tail = (1 - (options.confidence ?? DEFAULT_CONFIDENCE)) / 2;
  let j = 0;
  while (j + 1 <= n && binomialCdf(j, n, 0.5) <= tail) j++;
  return ok({
    n,
    mean: sorted.reduce((a, b) => a + b, 0) / n,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    medianInterval: j >= 1 ? { lower: sorted[j - 1]!, upper: sorted[n - j]! } : null,
  });
}

// --- per reviewer -------------------------------------------------------------------------------

/** A 2 × 2 table: rows exposed / not, columns event / no event. */
export interface TwoByTwo {
  a: number;
  b: number;
  c: number;
  d: number;
}

export interface MantelHaenszel {
  /** Common odds ratio (Mantel–Haenszel), with the Robins–Breslow–Greenland interval. */
  oddsRatio: Interval;
  /** Cochran–Mantel–Haenszel chi-square with continuity correction, 1 df, and its p-value. */
  chiSquare: number;
  p: number;
}

/** The Cochran–Mantel–Haenszel test and Mantel–Haenszel odds ratio over strata (R's mantelhaen.test for 2 × 2 × K). */
export function mantelHaenszel(strata: readonly TwoByTwo[], confidence = DEFAULT_CONFIDENCE): Measured<MantelHaenszel> {
  let sumA = 0;
  let sumE = 0;
  let sumV = 0;
  let R = 0;
  let S = 0;
  let PR = 0;
  let PSQR = 0;
  let QS = 0;
  let n = 0;
  for (const { a, b, c, d } of strata) {
    const t = a + b + c + d;
    n += t;
    if (t < 2) continue;
    sumA += a;
    sumE += ((a + b) * (a + c)) / t;
    sumV += ((a + b) * (c + d) * (a + c) * (b + d)) / (t * t * (t - 1));
    const r = (a * d) / t;
    const s = (b * c) / t;
    const P = (a + d) / t;
    const Q = (b + c) / t;
    R += r;
    S += s;
    PR += P * r;
    PSQR += P * s + Q * r;
    QS += Q * s;
  }
  if (!(sumV > 0)) return degenerate(n, 'no stratum has both outcomes in both rows, so there is nothing to compare');
  // Yates' half, as R applies it: only when the deviation is at least a half.
  const deviation = Math.abs(sumA - sumE);
  const chiSquare = (deviation - (deviation >= 0.5 ? 0.5 : 0)) ** 2 / sumV;
  // 1-df chi-square tail from the normal: P(χ² > x) = 2·Φ(−√x).
  const p = 2 * normalCdf(-Math.sqrt(chiSquare));
  let oddsRatio: Interval;
  if (R > 0 && S > 0) {
    const estimate = R / S;
    const se = Math.sqrt(PR / (2 * R * R) + PSQR / (2 * R * S) + QS / (2 * S * S));
    const z = twoSidedZ(confidence);
    oddsRatio = { estimate, lower: estimate * Math.exp(-z * se), upper: estimate * Math.exp(z * se) };
  } else oddsRatio = R > 0 ? { estimate: Infinity, lower: 0, upper: Infinity } : { estimate: 0, lower: 0, upper: Infinity };
  return ok({ oddsRatio, chiSquare, p });
}

/** One human decision, for comparing reviewers. */
export interface ReviewerDecision {
  rater: string;
  group: string;
  /** What makes items comparable (e.g. the machine's label and confidence band); decisions are only compared within a stratum. */
  stratum: string;
  /** The outcome under audit, e.g. "rejected". */
  event: boolean;
}

export interface ReviewerGroupDisparity {
  rater: string;
  group: string;
  /** This reviewer's decisions on the group, and how many were events. */
  n: number;
  events: number;
  /** Peers' decisions on the same group, within the same strata. */
  peers: Count;
  comparison: Measured<MantelHaenszel & { pAdjusted: number }>;
  /** 'more' / 'less' often than peers, significant after Holm's adjustment over all reviewer × group tests. */
  flag: 'more' | 'less' | null;
}

/**
 * For each reviewer and group: does this reviewer's event rate on the group differ from their
 * peers' on comparable items of the same group? Within each stratum, a 2 × 2 table of this
 * reviewer vs the others; the tables are pooled by Cochran–Mantel–Haenszel so a reviewer who
 * happens to get harder items is not mistaken for a biased one.
 */
export function reviewerDisparity(decisions: readonly ReviewerDecision[], options: AuditOptions = {}): ReviewerGroupDisparity[] {
  const alpha = options.alpha ?? 0.05;
  const minN = options.minN ?? DEFAULT_MIN_N;
  const key = (...parts: string[]): string => JSON.stringify(parts);
  // Counts per (rater, group, stratum) and per (group, stratum).
  const cell = new Map<string, Count>();
  const all = new Map<string, Count>();
  const raters = new Set<string>();
  const groups = new Set<string>();
  const strataOf = new Map<string, Set<string>>();
  for (const d of decisions) {
    raters.add(d.rater);
    groups.add(d.group);
    const s = strataOf.get(d.group) ?? new Set<string>();
    s.add(d.stratum);
    strataOf.set(d.group, s);
    for (const [map, k] of [
      [cell, key(d.rater, d.group, d.stratum)],
      [all, key(d.group, d.stratum)],
    ] as const) {
      const c = map.get(k) ?? { x: 0, n: 0 };
      c.n++;
      if (d.event) c.x++;
      map.set(k, c);
    }
  }
  const rows: Array<Omit<ReviewerGroupDisparity, 'comparison' | 'flag'> & { result: Measured<MantelHaenszel> }> = [];
  for (const rater of [...raters].sort())
    for (const group of [...groups].sort()) {
      const tables: TwoByTwo[] = [];
      let n = 0;
      let events = 0;
      const peers = { x: 0, n: 0 };
      for (const stratum of strataOf.get(group) ?? []) {
        const mine = cell.get(key(rater, group, stratum)) ?? { x: 0, n: 0 };
        const total = all.get(key(group, stratum))!;
        const others = { x: total.x - mine.x, n: total.n - mine.n };
        if (mine.n === 0 || others.n === 0) continue;
        n += mine.n;
        events += mine.x;
        peers.x += others.x;
        peers.n += others.n;
        tables.push({ a: mine.x, b: mine.n - mine.x, c: others.x, d: others.n - others.x });
      }
      if (n === 0) continue;
      rows.push({ rater, group, n, events, peers, result: n < minN ? insufficient(n, minN) : mantelHaenszel(tables, options.confidence) });
    }
  const tested = rows.flatMap((r, i) => (r.result.kind === 'ok' ? [{ i, p: r.result.p }] : []));
  const adjusted = holm(tested.map((t) => t.p));
  const adjustedAt = new Map(tested.map((t, j) => [t.i, adjusted[j]!]));
  return rows.map(({ result, ...row }, i) => {
    if (result.kind !== 'ok') return { ...row, comparison: result, flag: null };
    const pAdjusted = adjustedAt.get(i)!;
    const direction = result.oddsRatio.estimate > 1 ? 'more' : 'less';
    return { ...row, comparison: ok({ oddsRatio: result.oddsRatio, chiSquare: result.chiSquare, p: result.p, pAdjusted }), flag: pAdjusted < alpha ? direction : null };
  });
}
