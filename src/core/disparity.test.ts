import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compareRates,
  disparityAudit,
  durationSummary,
  fisherExact,
  holm,
  mantelHaenszel,
  rate,
  rateDifference,
  rateRatio,
  reviewerDisparity,
  twoProportionZ,
  type ReviewerDecision,
} from './disparity.ts';
import { seededRandom } from './estimate.ts';
import type { Measured } from './measured.ts';

const close = (a: number, b: number, tol: number, msg?: string): void => assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b}`);

function value<T extends object>(m: Measured<T>): T {
  assert.equal(m.kind, 'ok', JSON.stringify(m));
  return m as T;
}

test('Wilson intervals match Newcombe (1998a), Table II, method 3', () => {
  // Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
  // methods. Statistics in Medicine 1998;17:857–872. Score method without continuity correction.
  const published: Array<[number, number, number, number]> = [
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ];
  for (const [x, n, lower, upper] of published) {
    const r = value(rate({ x, n }));
    close(r.lower, lower, 5e-5, `${x}/${n} lower`);
    close(r.upper, upper, 5e-5, `${x}/${n} upper`);
  }
  assert.deepEqual(rate({ x: 3, n: 9 }), { kind: 'insufficient', n: 9, needed: 10, message: 'not enough data (n = 9, needs 10)' });
  assert.throws(() => rate({ x: 5, n: 4 }), RangeError);
});

test('differences of rates match Newcombe (1998b), Table II, method 10', () => {
  // Newcombe RG. Interval estimation for the difference between independent proportions:
  // comparison of eleven methods. Statistics in Medicine 1998;17:873–890. Hybrid score interval.
  const published: Array<[number, number, number, number, number, number]> = [
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
  ];
  for (const [x1, n1, x2, n2, lower, upper] of published) {
    const d = rateDifference({ x: x1, n: n1 }, { x: x2, n: n2 });
    close(d.lower, lower, 5e-5, `${x1}/${n1} − ${x2}/${n2} lower`);
    close(d.upper, upper, 5e-5, `${x1}/${n1} − ${x2}/${n2} upper`);
  }
});

test("Fisher's exact test matches published p-values", () => {
  // Wikipedia, "Fisher's exact test", example: 1 of 12 men and 9 of 12 women dieting;
  // R: fisher.test(matrix(c(1, 9, 11, 3), 2)) gives p-value = 0.002759.
  close(fisherExact({ x: 1, n: 12 }, { x: 9, n: 12 }), 0.002759, 5e-7);
  // Fisher (1935), The Design of Experiments, lady tasting tea: all four cups right has
  // probability 1/70; the two-sided test doubles it. Three right: two-sided p = 34/70.
  close(fisherExact({ x: 4, n: 4 }, { x: 0, n: 4 }), 2 / 70, 1e-12);
  close(fisherExact({ x: 3, n: 4 }, { x: 1, n: 4 }), 34 / 70, 1e-12);
  // Expected counts 5 and 7 per group: the z-test is good enough; with 3 expected it is not.
  assert.equal(compareRates({ x: 1, n: 12 }, { x: 9, n: 12 }).test, 'two-proportion-z');
  assert.equal(compareRates({ x: 1, n: 8 }, { x: 5, n: 8 }).test, 'fisher-exact');
  assert.equal(compareRates({ x: 40, n: 100 }, { x: 60, n: 100 }).test, 'two-proportion-z');
});

test('the z-test and rate ratio agree with their textbook formulas', () => {
  // 40/100 vs 60/100: pooled p = 0.5, SE = √(0.25 · 0.02) = 0.0707, z = −2.828, p = 0.00468.
  const z = twoProportionZ({ x: 40, n: 100 }, { x: 60, n: 100 });
  close(z.z, -2.8284, 1e-4);
  close(z.p, 0.004678, 1e-6);
  // Katz: 20/100 vs 10/100, RR = 2, SE(ln RR) = √(1/20 − 1/100 + 1/10 − 1/100) = √0.13;
  // 95 % CI 0.9866 to 4.0545 (as scipy.stats.contingency.relative_risk gives).
  const rr = value(rateRatio({ x: 20, n: 100 }, { x: 10, n: 100 }));
  close(rr.estimate, 2, 1e-12);
  close(rr.lower, 0.98656, 1e-5);
  close(rr.upper, 4.05448, 1e-5);
  const zero = value(rateRatio({ x: 0, n: 50 }, { x: 5, n: 50 }));
  assert.ok(zero.estimate > 0 && zero.estimate < 0.2 && Number.isFinite(zero.upper), 'a zero count is corrected, not infinite');
  assert.equal(rateRatio({ x: 0, n: 5 }, { x: 0, n: 5 }).kind, 'degenerate');
});

test("Holm's adjustment matches R's p.adjust(method = 'holm')", () => {
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") gives 0.03 0.06 0.06 0.02.
  holm([0.01, 0.04, 0.03, 0.005]).forEach((p, i) => close(p, [0.03, 0.06, 0.06, 0.02][i]!, 1e-12));
  assert.deepEqual(holm([]), []);
});

test('Cochran–Mantel–Haenszel matches R\'s mantelhaen.test on the "Rabbits" example', () => {
  // R documentation of stats::mantelhaen.test, penicillin and rabbits (Cochran 1954), 5 strata
  // of Delay (none / 1.5h) × Response (cured / died): "Mantel-Haenszel X-squared = 3.9286,
  // df = 1, p-value = 0.04747", common odds ratio 7, 95 % CI 1.026713 to 47.725133.
  const rabbits = [
    { a: 0, b: 6, c: 0, d: 5 },
    { a: 3, b: 3, c: 0, d: 6 },
    { a: 6, b: 0, c: 2, d: 4 },
    { a: 5, b: 1, c: 6, d: 0 },
    { a: 2, b: 0, c: 5, d: 0 },
  ];
  const mh = value(mantelHaenszel(rabbits));
  close(mh.chiSquare, 3.9286, 5e-5);
  close(mh.p, 0.04747, 5e-6);
  close(mh.oddsRatio.estimate, 7, 1e-12);
  close(mh.oddsRatio.lower, 1.026713, 5e-7);
  close(mh.oddsRatio.upper, 47.725133, 5e-6);
  assert.equal(mantelHaenszel([{ a: 3, b: 0, c: 4, d: 0 }]).kind, 'degenerate');
});

test('a disparity audit flags the group that differs and not the ones that do not', () => {
  const audit = value(
    disparityAudit([
      { group: 'en', x: 700, n: 1000 },
      { group: 'de', x: 340, n: 500 },
      { group: 'fr', x: 100, n: 250 },
      { group: 'it', x: 3, n: 6 },
    ]),
  );
  assert.equal(audit.reference, 'en', 'the largest group by default');
  assert.equal(audit.correction, 'holm');
  const by = new Map(audit.groups.map((g) => [g.group, g]));
  assert.equal(by.get('en')!.flag, null);
  assert.equal(by.get('en')!.ratio, undefined);
  assert.equal(by.get('de')!.flag, null);
  assert.equal(by.get('fr')!.flag, 'lower');
  close(value(by.get('fr')!.ratio!).estimate, 0.4 / 0.7, 1e-12);
  assert.ok(by.get('fr')!.test!.pAdjusted >= by.get('fr')!.test!.p);
  assert.equal(by.get('it')!.rate.kind, 'insufficient');
  assert.equal(by.get('it')!.ratio!.kind, 'insufficient');
  assert.equal(by.get('it')!.test, undefined);
  assert.equal(disparityAudit([{ group: 'a', x: 1, n: 5 }], {}).kind, 'insufficient');
  assert.throws(() => disparityAudit([{ group: 'a', x: 1, n: 50 }], { reference: 'zz' }), RangeError);
  assert.throws(() => disparityAudit([], { alpha: 2 }), RangeError);
});

test('time to decision: median, p90, mean and an order-statistic interval for the median', () => {
  const s = value(durationSummary([5, 1, 9, 3, 7, 2, 8, 4, 6, 10]));
  assert.equal(s.n, 10);
  assert.equal(s.median, 5.5);
  close(s.p90, 9.1, 1e-12);
  assert.equal(s.mean, 5.5);
  // n = 10: P(Bin(10, ½) ≤ 1) = 11/1024 ≤ 0.025 < P(≤ 2) = 56/1024, so the ranks are 2 and 9 (coverage 97.9 %).
  assert.deepEqual(s.medianInterval, { lower: 2, upper: 9 });
  assert.equal(durationSummary([1, 2, 3]).kind, 'insufficient');
  assert.equal(value(durationSummary([1, 2, 3, 4, 5], { minN: 5 })).medianInterval, null, 'five values cannot give a 95 % interval');
});

test('per reviewer: the one who rejects one group more than peers on comparable items is flagged', () => {
  const random = seededRandom(9);
  const decisions: ReviewerDecision[] = [];
  for (let i = 0; i < 4000; i++) {
    const rater = `r${i % 5}`;
    const group = random() < 0.5 ? 'north' : 'south';
    // Hard items are rejected more by everyone; r3 gets more of them, which alone must not flag r3.
    const hard = random() < (rater === 'r3' ? 0.7 : 0.3);
    let p = hard ? 0.5 : 0.1;
    if (rater === 'r1' && group === 'south') p += 0.25;
    decisions.push({ rater, group, stratum: hard ? 'hard' : 'easy', event: random() < p });
  }
  const result = reviewerDisparity(decisions);
  assert.equal(result.length, 10);
  const flagged = result.filter((r) => r.flag !== null).map((r) => `${r.rater}/${r.group}/${r.flag}`);
  assert.ok(flagged.includes('r1/south/more'), flagged.join(', '));
  assert.ok(!flagged.some((f) => f.startsWith('r3/')), `r3 only had harder items: ${flagged.join(', ')}`);
  for (const r of result) {
    assert.ok(r.peers.n > 0);
    if (r.comparison.kind === 'ok') assert.ok(r.comparison.pAdjusted >= r.comparison.p);
  }
  const few = reviewerDisparity(decisions.slice(0, 20));
  assert.ok(few.every((r) => r.comparison.kind === 'insufficient' && r.flag === null));
});

// --- properties -------------------------------------------------------------------------------

const count = fc.integer({ min: 1, max: 200 }).chain((n) => fc.record({ x: fc.integer({ min: 0, max: n }), n: fc.constant(n) }));

test('property: Fisher p-values are in (0, 1] and symmetric; Holm never lowers a p-value and keeps the order', () => {
  fc.assert(
    fc.property(count, count, (a, b) => {
      const p = fisherExact(a, b);
      assert.ok(p > 0 && p <= 1);
      close(fisherExact(b, a), p, 1e-9);
      close(fisherExact({ x: a.n - a.x, n: a.n }, { x: b.n - b.x, n: b.n }), p, 1e-9);
    }),
  );
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 }), (ps) => {
      const adj = holm(ps);
      ps.forEach((p, i) => assert.ok(adj[i]! >= p && adj[i]! <= 1));
      ps.forEach((p, i) => ps.forEach((q, j) => p < q && assert.ok(adj[i]! <= adj[j]!)));
    }),
  );
});

test('property: intervals contain their estimates, and a ratio and its inverse mirror each other', () => {
  fc.assert(
    fc.property(count, count, (a, b) => {
      const d = rateDifference(a, b);
      assert.ok(d.lower <= d.estimate + 1e-12 && d.estimate <= d.upper + 1e-12 && d.lower >= -1 - 1e-12 && d.upper <= 1 + 1e-12);
      const ab = rateRatio(a, b);
      const ba = rateRatio(b, a);
      assert.equal(ab.kind, ba.kind);
      if (ab.kind === 'ok' && ba.kind === 'ok') {
        assert.ok(ab.lower <= ab.estimate && ab.estimate <= ab.upper);
        close(ab.estimate * ba.estimate, 1, 1e-9);
        close(ab.lower * ba.upper, 1, 1e-9);
      }
    }),
  );
});

test('property: equal rates are rarely flagged (the family-wise error stays near alpha)', () => {
  let flagged = 0;
  const runs = 300;
  for (let s = 0; s < runs; s++) {
    const random = seededRandom(s);
    const groups = ['a', 'b', 'c', 'd', 'e'].map((group) => {
      let x = 0;
      for (let i = 0; i < 80; i++) if (random() < 0.3) x++;
      return { group, x, n: 80 };
    });
    const audit = disparityAudit(groups, { reference: 'a' });
    if (audit.kind === 'ok' && audit.groups.some((g) => g.flag !== null)) flagged++;
  }
  // Four tests at 0.05 without correction would flag ~15 % of runs; Holm keeps it at most 5 %
  // (binomial(300, 0.05) stays below 27 with probability > 0.999).
  assert.ok(flagged <= 27, `${flagged} of ${runs} runs flagged`);
});
