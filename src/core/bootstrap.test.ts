import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bootstrapInterval, bootstrapIntervals, quantileSorted } from './bootstrap.ts';
import { seededRandom } from './estimate.ts';

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

test('quantiles interpolate like R quantile(type = 7)', () => {
  // R: quantile(1:10, c(0.1, 0.25, 0.5, 0.9)) gives 1.9, 3.25, 5.5, 9.1 (Hyndman & Fan 1996, definition 7).
  const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.deepEqual([0.1, 0.25, 0.5, 0.9].map((q) => Number(quantileSorted(xs, q).toFixed(10))), [1.9, 3.25, 5.5, 9.1]);
  assert.equal(quantileSorted([], 0.5), Number.NaN);
});

test('the same seed gives the same interval; another seed a slightly different one', () => {
  const random = seededRandom(7);
  const xs = Array.from({ length: 80 }, () => random());
  const a = bootstrapInterval(xs, mean, { seed: 3, replicates: 400 });
  const b = bootstrapInterval(xs, mean, { seed: 3, replicates: 400 });
  const c = bootstrapInterval(xs, mean, { seed: 4, replicates: 400 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('a 95 % interval for a proportion covers the true value about 95 % of the time', () => {
  const random = seededRandom(11);
  let covered = 0;
  const trials = 200;
  for (let t = 0; t < trials; t++) {
    const xs = Array.from({ length: 150 }, () => (random() < 0.3 ? 1 : 0));
    const ci = bootstrapInterval(xs, mean, { seed: t, replicates: 300 })!;
    if (ci.lower <= 0.3 && 0.3 <= ci.upper) covered++;
  }
  // Binomial(200, 0.95) lies in [180, 198] with probability > 0.999; the percentile bootstrap runs a little narrow.
  assert.ok(covered >= 176 && covered <= 199, `covered ${covered} of ${trials}`);
});

test('property: the interval is ordered and lies within the range of the statistic', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.integer(), (xs, seed) => {
      const ci = bootstrapInterval(xs, mean, { seed, replicates: 50 })!;
      assert.ok(ci.lower <= ci.upper + 1e-12);
      assert.ok(ci.lower >= Math.min(...xs) - 1e-9 && ci.upper <= Math.max(...xs) + 1e-9);
      assert.equal(ci.replicates, 50);
    }),
    { numRuns: 60 },
  );
});

test('undefined replicates are left out per component, and none at all gives null', () => {
  const ci = bootstrapIntervals([1, 2, 3], (s) => [mean(s), Number.NaN, s.includes(1) ? 1 : Number.NaN], { replicates: 200 });
  assert.equal(ci[0]!.replicates, 200);
  assert.equal(ci[1], null);
  assert.ok(ci[2]!.replicates > 100 && ci[2]!.replicates < 200);
  assert.throws(() => bootstrapInterval([1], mean, { replicates: 0 }), RangeError);
  assert.throws(() => bootstrapInterval([1], mean, { confidence: 1 }), RangeError);
});
