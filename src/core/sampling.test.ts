import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { uniformFromKey } from './sampling.ts';

test('deterministic and in [0, 1)', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (seed, key) => {
      const u = uniformFromKey(seed, key);
      assert.ok(u >= 0 && u < 1, String(u));
      assert.equal(uniformFromKey(seed, key), u);
    }),
  );
});

test('seed and key are kept apart', () => {
  assert.notEqual(uniformFromKey('ab', 'c'), uniformFromKey('a', 'bc'));
  assert.notEqual(uniformFromKey('tandem', 'item-1'), uniformFromKey('other', 'item-1'));
});

test('roughly uniform over sequential keys', () => {
  const n = 10_000;
  const buckets = new Array<number>(10).fill(0);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const u = uniformFromKey('tandem', `item-${i}`);
    sum += u;
    buckets[Math.floor(u * 10)]!++;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.02, `mean ${sum / n}`);
  // Chi-square with 9 degrees of freedom: the 0.1% critical value is about 27.9; 40 is generous.
  const expected = n / 10;
  const chi2 = buckets.reduce((acc, b) => acc + (b - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 40, `chi-square ${chi2.toFixed(1)} over buckets ${buckets.join(',')}`);
});

test('neighbouring keys are not correlated', () => {
  // Sequential ids must not give sequential draws, or an audit rate would pick runs of items.
  let below = 0;
  for (let i = 0; i < 10_000; i++) {
    if (uniformFromKey('s', `${i}`) < uniformFromKey('s', `${i + 1}`)) below++;
  }
  assert.ok(Math.abs(below / 10_000 - 0.5) < 0.03, `share ${below / 10_000}`);
});
