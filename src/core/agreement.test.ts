import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  cohensKappa,
  confusions,
  fleissKappa,
  fleissKappaFromCounts,
  krippendorffAlpha,
  labelAgreement,
  pairwiseKappa,
  percentAgreement,
  type Rating,
} from './agreement.ts';
import type { Measured } from './measured.ts';

const close = (a: number, b: number, tol: number, msg?: string): void => assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b}`);

function value<T extends { estimate: number }>(m: Measured<T>): T {
  assert.equal(m.kind, 'ok', JSON.stringify(m));
  return m as T;
}

/** Two reviewers' ratings from a 2 × 2 table: [yes/yes, A yes B no, A no B yes, no/no]. */
function fromTwoByTwo([yy, yn, ny, nn]: [number, number, number, number], prefix = 'i'): Rating[] {
  const out: Rating[] = [];
  let i = 0;
  const add = (a: string, b: string, times: number): void => {
    for (let t = 0; t < times; t++, i++) out.push({ item: `${prefix}${i}`, rater: 'A', label: a }, { item: `${prefix}${i}`, rater: 'B', label: b });
  };
  add('yes', 'yes', yy);
  add('yes', 'no', yn);
  add('no', 'yes', ny);
  add('no', 'no', nn);
  return out;
}

/** Ratings from a count table (items × labels), with anonymous reviewers r0, r1, … per item. */
function fromCounts(table: number[][], labels: string[]): Rating[] {
  return table.flatMap((row, i) => {
    let r = 0;
    return row.flatMap((c, j) => Array.from({ length: c }, () => ({ item: `s${i + 1}`, rater: `r${r++}`, label: labels[j]! })));
  });
}

test("Cohen's kappa matches the worked examples of Wikipedia's \"Cohen's kappa\" article", () => {
  // https://en.wikipedia.org/wiki/Cohen%27s_kappa, "Simple example": 50 grant proposals, both say yes 20,
  // A yes / B no 5, A no / B yes 10, both no 15: p_o = 0.7, p_e = 0.5, kappa = 0.4.
  const simple = value(cohensKappa(fromTwoByTwo([20, 5, 10, 15]), 'A', 'B'));
  close(simple.estimate, 0.4, 1e-12);
  close(simple.agreement, 0.7, 1e-12);
  assert.equal(simple.items, 50);
  // Same article, "Same percentages but different numbers": both tables have p_o = 0.60,
  // kappa = 0.1304 for (45, 15, 25, 15) and 0.2593 for (25, 35, 5, 35).
  close(value(cohensKappa(fromTwoByTwo([45, 15, 25, 15]), 'A', 'B')).estimate, 0.1304, 5e-5);
  close(value(cohensKappa(fromTwoByTwo([25, 35, 5, 35]), 'A', 'B')).estimate, 0.2593, 5e-5);
});

// Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories.
// https://en.wikipedia.org/wiki/Fleiss%27_kappa#Worked_example — published P̄ = 0.378, P̄e = 0.213, kappa = 0.210.
const fleissExample = [
  [0, 0, 0, 0, 14],
  [0, 2, 6, 4, 2],
  [0, 0, 3, 5, 6],
  [0, 3, 9, 2, 0],
  [2, 2, 8, 1, 1],
  [7, 7, 0, 0, 0],
  [3, 2, 6, 3, 0],
  [2, 5, 3, 2, 2],
  [6, 5, 2, 1, 0],
  [0, 2, 2, 3, 7],
];

test("Fleiss' kappa matches the worked example of Wikipedia's \"Fleiss' kappa\" article", () => {
  close(fleissKappaFromCounts(fleissExample), 0.21, 5e-4);
  const ratings = fromCounts(fleissExample, ['1', '2', '3', '4', '5']);
  const k = value(fleissKappa(ratings));
  close(k.estimate, 0.21, 5e-4);
  assert.equal(k.items, 10);
  assert.ok(k.interval && k.interval.lower < k.estimate && k.estimate < k.interval.upper, JSON.stringify(k.interval));
  // P̄ = 0.378 is the mean share of agreeing rater pairs, which is what percent agreement reports.
  close(value(percentAgreement(ratings)).estimate, 0.378, 5e-4);
});

// Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. University of Pennsylvania,
// https://repository.upenn.edu/asc_papers/43 — section C, "Nominal data, any number of observers,
// missing data": 4 observers, 12 units, published alpha = 0.743.
const kOb: Array<Array<number | null>> = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
  [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
];

test("Krippendorff's alpha matches Krippendorff's (2011) worked examples", () => {
  const ratings: Rating[] = kOb.flatMap((row, o) =>
    row.flatMap((v, u) => (v === null ? [] : [{ item: `u${u + 1}`, rater: 'ABCD'[o]!, label: String(v) }])),
  );
  const a = value(krippendorffAlpha(ratings));
  close(a.estimate, 0.743, 5e-4);
  assert.equal(a.items, 11, 'unit 12 has a single value and is not pairable');
  // Same paper, section A, "Binary or dichotomous data, two observers, no missing data": alpha = 0.095.
  const A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0];
  const B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0];
  const binary = [...A.map((v, u) => ({ item: `u${u}`, rater: 'A', label: String(v) })), ...B.map((v, u) => ({ item: `u${u}`, rater: 'B', label: String(v) }))];
  close(value(krippendorffAlpha(binary)).estimate, 0.095, 5e-4);
});

test('too few items says so instead of giving a number; one label only is undefined', () => {
  const few = fromTwoByTwo([2, 1, 0, 1]);
  assert.deepEqual(cohensKappa(few, 'A', 'B'), { kind: 'insufficient', n: 4, needed: 5, message: 'not enough data (n = 4, needs 5)' });
  assert.equal(fleissKappa(few).kind, 'insufficient');
  assert.equal(krippendorffAlpha(few, { minItems: 10 }).kind, 'insufficient');
  assert.equal(value(percentAgreement(few, { minItems: 4 })).estimate, 0.75);
  const oneLabel = fromTwoByTwo([8, 0, 0, 0]);
  const k = cohensKappa(oneLabel, 'A', 'B');
  assert.equal(k.kind, 'degenerate');
  assert.match(k.kind === 'degenerate' ? k.message : '', /undefined \(n = 8\)/);
  assert.equal(krippendorffAlpha(oneLabel).kind, 'degenerate');
  assert.equal(value(percentAgreement(oneLabel)).estimate, 1);
  // Items with one rating do not count.
  assert.equal(fleissKappa([{ item: 'x', rater: 'a', label: 'l' }]).kind, 'insufficient');
});

test('per reviewer pair: kappa on shared items, most shared first', () => {
  const ratings = [...fromTwoByTwo([20, 5, 10, 15]), ...fromTwoByTwo([3, 0, 0, 3], 'j').map((r) => ({ ...r, rater: r.rater === 'A' ? 'A' : 'C' }))];
  const pairs = pairwiseKappa(ratings);
  assert.deepEqual(
    pairs.map((p) => [p.raterA, p.raterB, p.kappa.kind]),
    [
      ['A', 'B', 'ok'],
      ['A', 'C', 'ok'],
    ],
  );
  close(value(pairs[0]!.kappa).estimate, 0.4, 1e-12);
});

test('per label: specific agreement and the label against the rest', () => {
  const labels = labelAgreement(fromCounts(fleissExample, ['1', '2', '3', '4', '5']));
  assert.deepEqual(
    labels.map((l) => l.ratings),
    [20, 28, 39, 21, 32],
  );
  // Label 1 (counts 2, 7, 3, 2, 6 on five subjects): pairs agreeing on it Σ n(n − 1) = 2 + 42 + 6 + 2 + 30 = 82
  // of Σ n·(14 − 1) = 20 · 13 = 260.
  close(value(labels[0]!.specific).estimate, 82 / 260, 1e-12);
  for (const l of labels) {
    const s = value(l.specific);
    assert.ok(s.estimate >= 0 && s.estimate <= 1);
  }
});

test('the most confused label pairs come first, with the most split items as examples', () => {
  const ratings: Rating[] = [
    ...['a', 'a', 'b'].map((label, r) => ({ item: 'x', rater: `r${r}`, label })),
    ...['a', 'b', 'b'].map((label, r) => ({ item: 'y', rater: `r${r}`, label })),
    ...['b', 'c', 'c'].map((label, r) => ({ item: 'z', rater: `r${r}`, label })),
    ...['a', 'a', 'a'].map((label, r) => ({ item: 'w', rater: `r${r}`, label })),
  ];
  assert.deepEqual(confusions(ratings, 1), [
    { labels: ['a', 'b'], pairs: 4, items: 2, examples: ['x'] },
    { labels: ['b', 'c'], pairs: 2, items: 1, examples: ['z'] },
  ]);
});

// --- properties -------------------------------------------------------------------------------

/** Complete reliability data: every one of m reviewers rates every item. */
const complete = fc
  .record({ items: fc.integer({ min: 5, max: 25 }), raters: fc.integer({ min: 2, max: 5 }), labels: fc.integer({ min: 2, max: 4 }) })
  .chain(({ items, raters, labels }) =>
    fc.array(fc.array(fc.integer({ min: 0, max: labels - 1 }), { minLength: raters, maxLength: raters }), { minLength: items, maxLength: items }),
  )
  .map((rows) => rows.flatMap((row, i) => row.map((l, r) => ({ item: `i${i}`, rater: `r${r}`, label: `L${l}` }))));

const run = { numRuns: 80 };
const cheap = { replicates: 20 };

test('property: with complete data, alpha = 1 − (1 − Fleiss kappa)(nm − 1)/(nm)', () => {
  fc.assert(
    fc.property(complete, (ratings) => {
      const k = fleissKappa(ratings, cheap);
      const a = krippendorffAlpha(ratings, cheap);
      assert.equal(k.kind, a.kind);
      if (k.kind !== 'ok' || a.kind !== 'ok') return;
      const n = ratings.length;
      close(a.estimate, 1 - ((1 - k.estimate) * (n - 1)) / n, 1e-9);
      assert.ok(k.estimate <= 1 + 1e-12 && a.estimate <= 1 + 1e-12);
    }),
    run,
  );
});

test('property: renaming labels or reordering ratings changes nothing', () => {
  fc.assert(
    fc.property(complete, fc.integer(), (ratings, seed) => {
      const renamed = ratings.map((r) => ({ ...r, label: `z-${r.label.split('').reverse().join('')}` }));
      const shuffled = ratings
        .map((r, i) => ({ r, key: Math.sin(seed + i * 7919) }))
        .sort((a, b) => a.key - b.key)
        .map((x) => x.r);
      for (const stat of [fleissKappa, krippendorffAlpha, percentAgreement]) {
        const base = stat(ratings, cheap);
        for (const other of [stat(renamed, cheap), stat(shuffled, cheap)]) {
          assert.equal(other.kind, base.kind);
          if (base.kind === 'ok' && other.kind === 'ok') close(other.estimate, base.estimate, 1e-12);
        }
      }
    }),
    run,
  );
});

test("property: Cohen's kappa is symmetric, 1 for identical reviewers, and two-label kappa per label equals Fleiss' kappa", () => {
  fc.assert(
    fc.property(complete, (ratings) => {
      const ab = cohensKappa(ratings, 'r0', 'r1', cheap);
      const ba = cohensKappa(ratings, 'r1', 'r0', cheap);
      assert.equal(ab.kind, ba.kind);
      if (ab.kind === 'ok' && ba.kind === 'ok') close(ab.estimate, ba.estimate, 1e-12);
      const twin = ratings.filter((r) => r.rater === 'r0').map((r) => ({ ...r, rater: 'twin' }));
      const self = cohensKappa([...ratings, ...twin], 'r0', 'twin', cheap);
      if (self.kind === 'ok') close(self.estimate, 1, 1e-12);
      else assert.equal(self.kind, 'degenerate');
      const labels = new Set(ratings.map((r) => r.label));
      if (labels.size === 2) {
        const overall = fleissKappa(ratings, cheap);
        for (const l of labelAgreement(ratings, cheap)) {
          assert.equal(l.kappa.kind, overall.kind);
          if (l.kappa.kind === 'ok' && overall.kind === 'ok') close(l.kappa.estimate, overall.estimate, 1e-12);
        }
      }
    }),
    run,
  );
});

test('property: confusions account for every disagreeing pair of reviewers', () => {
  fc.assert(
    fc.property(complete, (ratings) => {
      const byItem = new Map<string, string[]>();
      for (const r of ratings) byItem.set(r.item, [...(byItem.get(r.item) ?? []), r.label]);
      let disagreeing = 0;
      for (const ls of byItem.values()) for (let i = 0; i < ls.length; i++) for (let j = i + 1; j < ls.length; j++) if (ls[i] !== ls[j]) disagreeing++;
      const found = confusions(ratings);
      assert.equal(
        found.reduce((s, c) => s + c.pairs, 0),
        disagreeing,
      );
      for (let i = 1; i < found.length; i++) assert.ok(found[i - 1]!.pairs >= found[i]!.pairs);
    }),
    run,
  );
});

test('property: agreement is 1 and kappa 1 when every reviewer agrees on every item', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 5, maxLength: 30 }), fc.integer({ min: 2, max: 4 }), (truth, m) => {
      const ratings = truth.flatMap((label, i) => Array.from({ length: m }, (_, r) => ({ item: `i${i}`, rater: `r${r}`, label })));
      assert.equal(value(percentAgreement(ratings, cheap)).estimate, 1);
      const k = fleissKappa(ratings, cheap);
      if (new Set(truth).size > 1) {
        close(value(k).estimate, 1, 1e-12);
        close(value(krippendorffAlpha(ratings, cheap)).estimate, 1, 1e-12);
      } else assert.equal(k.kind, 'degenerate');
    }),
    run,
  );
});
