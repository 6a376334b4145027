// How consistently reviewers label the same items: percent agreement, Cohen's kappa (two
// reviewers), Fleiss' kappa (many), Krippendorff's alpha (nominal, missing answers allowed), the
// same per label, and the label pairs people confuse most, with example items, so that a lead
// knows which guideline to fix. Intervals are percentile bootstraps over items (see bootstrap.ts).
import { bootstrapIntervals, type BootstrapInterval, type BootstrapOptions } from './bootstrap.ts';
import { degenerate, insufficient, ok, type Measured } from './measured.ts';

/** One reviewer's label on one item. A reviewer rates an item at most once; callers keep the answer that counts. */
export interface Rating {
  item: string;
  rater: string;
  label: string;
}

export interface AgreementOptions extends BootstrapOptions {
  /** Fewest items (with at least two ratings) a statistic is computed on. */
  minItems?: number;
}

/** Below this many items an agreement statistic is noise whatever its interval says. */
export const MIN_ITEMS = 5;

export interface Estimate {
  estimate: number;
  /** Bootstrap interval over items, or null when no resample had the statistic defined. */
  interval: BootstrapInterval | null;
  /** Items the statistic is computed on. */
  items: number;
}

/** An item's ratings as label indices. */
interface Unit {
  item: string;
  labels: number[];
  raters: string[];
}

interface Coded {
  labels: string[];
  units: Unit[];
}

/** Groups ratings by item, in first-seen order, with labels as indices into a sorted label list. */
function code(ratings: readonly Rating[]): Coded {
  const labels = [...new Set(ratings.map((r) => r.label))].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const byItem = new Map<string, Unit>();
  for (const r of ratings) {
    let u = byItem.get(r.item);
    if (!u) byItem.set(r.item, (u = { item: r.item, labels: [], raters: [] }));
    u.labels.push(index.get(r.label)!);
    u.raters.push(r.rater);
  }
  return { labels, units: [...byItem.values()] };
}

/** Label counts per unit: n[i][j] = how many reviewers gave item i label j. */
function countsOf(units: readonly Unit[], k: number): number[][] {
  return units.map((u) => {
    const row = new Array<number>(k).fill(0);
    for (const l of u.labels) row[l]!++;
    return row;
  });
}

const pairable = (units: readonly Unit[]): Unit[] => units.filter((u) => u.labels.length >= 2);

function measure(
  units: readonly Unit[],
  point: (sample: readonly Unit[]) => number,
  options: AgreementOptions,
  undefinedWhy: string,
): Measured<Estimate> {
  const needed = options.minItems ?? MIN_ITEMS;
  if (units.length < needed) return insufficient(units.length, needed);
  const estimate = point(units);
  if (Number.isNaN(estimate)) return degenerate(units.length, undefinedWhy);
  const [interval] = bootstrapIntervals(units, (s) => [point(s)], options);
  return ok({ estimate, interval: interval ?? null, items: units.length });
}

// --- point statistics on coded units ------------------------------------------------------------

/** Mean over items of the share of reviewer pairs that agree (for two reviewers: the share of items they agree on). */
function percentPoint(units: readonly Unit[], k: number): number {
  let sum = 0;
  for (const row of countsOf(units, k)) {
    const m = row.reduce((a, b) => a + b, 0);
    let agree = 0;
    for (const c of row) agree += c * (c - 1);
    sum += agree / (m * (m - 1));
  }
  return sum / units.length;
}

/**
 * Fleiss' kappa from a count table (items × labels). With the same number of ratings per item
 * this is Fleiss (1971) exactly; with varying numbers, each item's agreement is its own share of
 * agreeing pairs and the chance agreement uses the pooled label shares. NaN when chance agreement is 1.
 */
export function fleissKappaFromCounts(table: readonly (readonly number[])[]): number {
  const k = table[0]?.length ?? 0;
  const rows = table.filter((row) => row.reduce((a, b) => a + b, 0) >= 2);
  if (rows.length === 0) return Number.NaN;
  const totals = new Array<number>(k).fill(0);
  let all = 0;
  let observed = 0;
  for (const row of rows) {
    const m = row.reduce((a, b) => a + b, 0);
    let agree = 0;
    row.forEach((c, j) => {
      agree += c * (c - 1);
      totals[j]! += c;
    });
    all += m;
    observed += agree / (m * (m - 1));
  }
  observed /= rows.length;
  let chance = 0;
  for (const t of totals) chance += (t / all) ** 2;
  return chance >= 1 ? Number.NaN : (observed - chance) / (1 - chance);
}

/** Krippendorff's alpha, nominal metric, from a count table; units with fewer than two values are not pairable. */
function alphaFromCounts(table: readonly (readonly number[])[]): number {
  const k = table[0]?.length ?? 0;
  const totals = new Array<number>(k).fill(0);
  let disagreeing = 0;
  let n = 0;
  for (const row of table) {
    const m = row.reduce((a, b) => a + b, 0);
    if (m < 2) continue;
    let same = 0;
    row.forEach((c, j) => {
      same += c * c;
      totals[j]! += c;
    });
    // Ordered pairs of different values in the unit, each unit weighted 1 / (m − 1) (the coincidence matrix).
    disagreeing += (m * m - same) / (m - 1);
    n += m;
  }
  let expectedPairs = n * n;
  for (const t of totals) expectedPairs -= t * t;
  return expectedPairs <= 0 ? Number.NaN : 1 - ((n - 1) * disagreeing) / expectedPairs;
}

function cohenPoint(pairs: readonly (readonly [number, number])[], k: number): number {
  const a = new Array<number>(k).fill(0);
  const b = new Array<number>(k).fill(0);
  let same = 0;
  for (const [x, y] of pairs) {
    a[x]!++;
    b[y]!++;
    if (x === y) same++;
  }
  const n = pairs.length;
  let chance = 0;
  for (let j = 0; j < k; j++) chance += (a[j]! / n) * (b[j]! / n);
  return chance >= 1 ? Number.NaN : (same / n - chance) / (1 - chance);
}

// --- public statistics ----------------------------------------------------------------------------

const ONE_LABEL = 'every rating has the same label, so chance agreement is 1 and the statistic is undefined';

/** Percent agreement over items with at least two ratings. */
export function percentAgreement(ratings: readonly Rating[], options: AgreementOptions = {}): Measured<Estimate> {
  const { labels, units } = code(ratings);
  return measure(pairable(units), (s) => percentPoint(s, labels.length), options, ONE_LABEL);
}

/** Fleiss' kappa over items with at least two ratings (see fleissKappaFromCounts for varying numbers of ratings). */
export function fleissKappa(ratings: readonly Rating[], options: AgreementOptions = {}): Measured<Estimate> {
  const { labels, units } = code(ratings);
  return measure(pairable(units), (s) => fleissKappaFromCounts(countsOf(s, labels.length)), options, ONE_LABEL);
}

/** Krippendorff's alpha for nominal data; missing ratings are simply absent. */
export function krippendorffAlpha(ratings: readonly Rating[], options: AgreementOptions = {}): Measured<Estimate> {
  const { labels, units } = code(ratings);
  return measure(pairable(units), (s) => alphaFromCounts(countsOf(s, labels.length)), options, ONE_LABEL);
}

/** Cohen's kappa of two reviewers on the items both rated. */
export function cohensKappa(ratings: readonly Rating[], raterA: string, raterB: string, options: AgreementOptions = {}): Measured<Estimate & { agreement: number }> {
  const { labels, units } = code(ratings.filter((r) => r.rater === raterA || r.rater === raterB));
  const pairs: Array<[number, number]> = [];
  for (const u of units) {
    const a = u.raters.indexOf(raterA);
    const b = u.raters.indexOf(raterB);
    if (a >= 0 && b >= 0) pairs.push([u.labels[a]!, u.labels[b]!]);
  }
  const needed = options.minItems ?? MIN_ITEMS;
  if (pairs.length < needed) return insufficient(pairs.length, needed);
  const k = labels.length;
  const estimate = cohenPoint(pairs, k);
  if (Number.isNaN(estimate)) return degenerate(pairs.length, ONE_LABEL);
  const [interval] = bootstrapIntervals(pairs, (s) => [cohenPoint(s, k)], options);
  const agreement = pairs.filter(([x, y]) => x === y).length / pairs.length;
  return ok({ estimate, interval: interval ?? null, items: pairs.length, agreement });
}

export interface ReviewerPair {
  raterA: string;
  raterB: string;
  kappa: Measured<Estimate & { agreement: number }>;
}

/** Cohen's kappa for every pair of reviewers who share at least one item, most shared items first. */
export function pairwiseKappa(ratings: readonly Rating[], options: AgreementOptions = {}): ReviewerPair[] {
  const shared = new Map<string, { a: string; b: string; n: number }>();
  for (const u of code(ratings).units) {
    const raters = [...new Set(u.raters)].sort();
    for (let i = 0; i < raters.length; i++)
      for (let j = i + 1; j < raters.length; j++) {
        const key = JSON.stringify([raters[i], raters[j]]);
        const s = shared.get(key) ?? { a: raters[i]!, b: raters[j]!, n: 0 };
        s.n++;
        shared.set(key, s);
      }
  }
  return [...shared.values()]
    .sort((x, y) => y.n - x.n || (x.a + '\u0000' + x.b < y.a + '\u0000' + y.b ? -1 : 1))
    .map(({ a, b }) => ({ raterA: a, raterB: b, kappa: cohensKappa(ratings, a, b, options) }));
}

export interface LabelAgreement {
  label: string;
  /** How many ratings used this label. */
  ratings: number;
  /**
   * Specific agreement: when one reviewer gives this label, the chance another reviewer of the
   * same item gives it too. 1 − this is how contested the label is.
   */
  specific: Measured<Estimate>;
  /** Fleiss' kappa of this label against all others (Fleiss 1971, κ_j). */
  kappa: Measured<Estimate>;
}

function specificPoint(table: readonly (readonly number[])[], j: number): number {
  let agree = 0;
  let possible = 0;
  for (const row of table) {
    const m = row.reduce((a, b) => a + b, 0);
    const c = row[j]!;
    agree += c * (c - 1);
    possible += c * (m - 1);
  }
  return possible === 0 ? Number.NaN : agree / possible;
}

function binarised(table: readonly (readonly number[])[], j: number): number[][] {
  return table.map((row) => {
    const m = row.reduce((a, b) => a + b, 0);
    return [row[j]!, m - row[j]!];
  });
}

/** Per label: specific agreement and kappa, with bootstrap intervals from one shared set of resamples. */
export function labelAgreement(ratings: readonly Rating[], options: AgreementOptions = {}): LabelAgreement[] {
  const { labels, units: all } = code(ratings);
  const units = pairable(all);
  const k = labels.length;
  const needed = options.minItems ?? MIN_ITEMS;
  const used = new Array<number>(k).fill(0);
  for (const u of units) for (const l of u.labels) used[l]!++;
  const point = (s: readonly Unit[]): number[] => {
    const table = countsOf(s, k);
    return labels.flatMap((_, j) => [specificPoint(table, j), fleissKappaFromCounts(binarised(table, j))]);
  };
  const values = units.length >= needed ? point(units) : [];
  const intervals = units.length >= needed ? bootstrapIntervals(units, point, options) : [];
  const result = (index: number, why: string): Measured<Estimate> => {
    if (units.length < needed) return insufficient(units.length, needed);
    const estimate = values[index]!;
    if (Number.isNaN(estimate)) return degenerate(units.length, why);
    return ok({ estimate, interval: intervals[index] ?? null, items: units.length });
  };
  return labels.map((label, j) => ({
    label,
    ratings: used[j]!,
    specific: result(2 * j, 'no item has this label from a reviewer with a peer'),
    kappa: result(2 * j + 1, 'every rating is this label, or none is'),
  }));
}

export interface Confusion {
  /** Two labels, in sorted order, that reviewers gave the same item. */
  labels: [string, string];
  /** Reviewer pairs that split this way, over all items. */
  pairs: number;
  /** Items on which both labels were given. */
  items: number;
  /** Up to `examples` of those items, the most split first. */
  examples: string[];
}

/** The label pairs reviewers split on most, with example items, most pairs first. */
export function confusions(ratings: readonly Rating[], examples = 3): Confusion[] {
  const { labels, units } = code(ratings);
  const found = new Map<string, { a: number; b: number; pairs: number; hits: Array<{ item: string; weight: number }> }>();
  for (const u of pairable(units)) {
    const row = countsOf([u], labels.length)[0]!;
    for (let a = 0; a < row.length; a++) {
      if (row[a] === 0) continue;
      for (let b = a + 1; b < row.length; b++) {
        if (row[b] === 0) continue;
        const key = `${a}:${b}`;
        const f = found.get(key) ?? { a, b, pairs: 0, hits: [] };
        const weight = row[a]! * row[b]!;
        f.pairs += weight;
        f.hits.push({ item: u.item, weight });
        found.set(key, f);
      }
    }
  }
  return [...found.values()]
    .sort((x, y) => y.pairs - x.pairs || y.hits.length - x.hits.length || x.a - y.a || x.b - y.b)
    .map((f) => ({
      labels: [labels[f.a]!, labels[f.b]!],
      pairs: f.pairs,
      items: f.hits.length,
      examples: f.hits
        .slice()
        .sort((x, y) => y.weight - x.weight || (x.item < y.item ? -1 : x.item > y.item ? 1 : 0))
        .slice(0, examples)
        .map((h) => h.item),
    }));
}
