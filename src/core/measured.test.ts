import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { degenerate, insufficient, ok, twoSidedZ } from './measured.ts';

test('results say why there is no number, with n', () => {
  assert.deepEqual(insufficient(3, 10), { kind: 'insufficient', n: 3, needed: 10, message: 'not enough data (n = 3, needs 10)' });
  assert.deepEqual(degenerate(8, 'all one label'), { kind: 'degenerate', n: 8, message: 'all one label (n = 8)' });
  assert.deepEqual(ok({ estimate: 0.5 }), { kind: 'ok', estimate: 0.5 });
});

test('two-sided z: 1.959964 at 95 % (standard normal tables), 2.575829 at 99 %; bad levels refused', () => {
  assert.ok(Math.abs(twoSidedZ(0.95) - 1.959963984540054) < 1e-12);
  assert.ok(Math.abs(twoSidedZ(0.99) - 2.5758293035489) < 1e-10);
  assert.throws(() => twoSidedZ(1), RangeError);
  assert.throws(() => twoSidedZ(0), RangeError);
  fc.assert(
    fc.property(fc.double({ min: 0.01, max: 0.999, noNaN: true }), fc.double({ min: 0.01, max: 0.999, noNaN: true }), (a, b) => {
      // Non-decreasing; a difference below rounding in 1 − (1 − a)/2 may leave z equal.
      if (a < b) assert.ok(twoSidedZ(a) <= twoSidedZ(b));
      if (b - a > 1e-9) assert.ok(twoSidedZ(a) < twoSidedZ(b));
    }),
  );
});
