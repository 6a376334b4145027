import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  binomialCdf,
  logGamma,
  majorityAccuracy,
  normalCdf,
  normalQuantile,
  reviewersForTarget,
  seededRandom,
  wilsonInterval,
  zOneSided,
} from './estimate.ts';

const close = (a: number, b: number, tol: number, msg?: string): void => assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b}`);

test('normal quantiles match tabulated values and invert the CDF', () => {
  close(normalQuantile(0.975), 1.959963984540054, 1e-12);
  close(zOneSided(0.95), 1.6448536269514722, 1e-12);
  close(normalQuantile(0.5), 0, 1e-12);
  close(normalQuantile(1e-10), -6.361340902404056, 1e-9);
  close(normalCdf(-5), 2.866515718791939e-7, 1e-18);
  fc.assert(
    fc.property(fc.double({ min: 1e-9, max: 1 - 1e-9, noNaN: true }), (p) => {
      close(normalCdf(normalQuantile(p)), p, 1e-12 + 1e-9 * p);
    }),
  );
  assert.throws(() => normalQuantile(1.5), RangeError);
  assert.throws(() => zOneSided(1), RangeError);
});

test('log-gamma gives log-factorials', () => {
  let f = 0;
  for (let n = 1; n < 60; n++) {
    f += Math.log(n);
    close(logGamma(n + 1), f, 1e-10 * Math.max(1, f));
  }
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-13);
});

test('binomial CDF equals the direct sum and handles the edges', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: -2, max: 62 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, k, p) => {
      let direct = 0;
      let choose = 1;
      for (let i = 0; i <= Math.min(k, n); i++) {
        direct += choose * p ** i * (1 - p) ** (n - i);
        choose = (choose * (n - i)) / (i + 1);
      }
      close(binomialCdf(k, n, p), Math.min(1, direct), 1e-9);
    }),
  );
  // Large n neither overflows nor loses the tail.
  close(binomialCdf(9000, 10000, 0.9), 0.5049, 1e-3);
  const far = binomialCdf(9500, 10000, 0.98);
  assert.ok(far > 1e-80 && far < 1e-65, `${far}`);
});

test('Wilson bounds contain the estimate, shrink with more trials and stay in [0, 1]', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, share) => {
      const k = Math.round(share * n);
      const w = wilsonInterval(k, n, 1.645);
      assert.ok(w.lower >= 0 && w.upper <= 1);
      assert.ok(w.lower <= w.estimate + 1e-12 && w.estimate <= w.upper + 1e-12);
      const w4 = wilsonInterval(4 * k, 4 * n, 1.645);
      assert.ok(w4.upper - w4.lower <= w.upper - w.lower + 1e-12);
    }),
  );
  assert.deepEqual(wilsonInterval(0, 0, 1.645).lower, 0);
  assert.deepEqual(wilsonInterval(0, 0, 1.645).upper, 1);
  const w = wilsonInterval(97, 100, 1.645);
  close(w.lower, 0.9273, 1e-4);
});

test('a majority of reviewers is more accurate than one, and the count needed is the fewest odd one', () => {
  close(majorityAccuracy(0.9, 3), 0.972, 1e-12);
  close(majorityAccuracy(0.98, 1), 0.98, 0);
  // Two out of two is needed for a strict majority of two: p².
  close(majorityAccuracy(0.9, 2), 0.81, 1e-12);
  for (let n = 1; n < 9; n += 2) assert.ok(majorityAccuracy(0.8, n + 2) > majorityAccuracy(0.8, n));
  assert.equal(reviewersForTarget(0.9, 0.97), 3);
  assert.equal(reviewersForTarget(0.98, 0.99), 3);
  assert.equal(reviewersForTarget(0.98, 0.97), 1);
  assert.equal(reviewersForTarget(0.6, 0.999), null);
});

test('the seeded generator is deterministic and uniform enough', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  let sum = 0;
  for (let i = 0; i < 10_000; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  close(sum / 10_000, 0.5, 0.01);
});
