import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { macroF1 } from './metrics.ts';

test('macro-F1 averages per-label F1 over gold and predicted labels, a missing prediction a miss', () => {
  assert.equal(macroF1([{ gold: 'a', predicted: 'a' }, { gold: 'b', predicted: 'b' }]), 1);
  // a: P 1/2, R 1 → 2/3; b: P 0 R 0 → 0 ; c (missing prediction): 0.
  const f = macroF1([{ gold: 'a', predicted: 'a' }, { gold: 'b', predicted: 'a' }, { gold: 'c', predicted: null }]);
  assert.ok(Math.abs(f - 2 / 3 / 3) < 1e-12, String(f));
  assert.ok(Number.isNaN(macroF1([])));
});

test('property: macro-F1 is in [0, 1], 1 exactly when every prediction is right, and ignores order', () => {
  const label = fc.constantFrom('a', 'b', 'c', 'd');
  fc.assert(
    fc.property(fc.array(fc.record({ gold: label, predicted: fc.option(label) }), { minLength: 1, maxLength: 40 }), (pairs) => {
      const f = macroF1(pairs);
      assert.ok(f >= 0 && f <= 1);
      assert.equal(f === 1, pairs.every((p) => p.predicted === p.gold));
      assert.ok(Math.abs(macroF1([...pairs].reverse()) - f) < 1e-12);
    }),
  );
});
