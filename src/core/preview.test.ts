import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { previewThreshold } from './preview.ts';

test('no evidence, or a threshold nothing reaches: everything goes to people at their accuracy', () => {
  const none = previewThreshold([], { threshold: 0.5, reviewerAccuracy: 0.98 });
  assert.equal(none.humanShare, 1);
  assert.deepEqual(none.estimatedAccuracy, { estimate: 0.98, lower: 0.98, upper: 0.98 });
  const high = previewThreshold([{ confidence: 0.7, correct: true }], { threshold: 0.9, reviewerAccuracy: 0.95 });
  assert.equal(high.humanShare, 1);
  assert.equal(high.autoAccuracy, null);
});

test('the share above the threshold is the machine\'s; known outcomes pull the estimate', () => {
  const ev = [
    ...Array.from({ length: 60 }, () => ({ confidence: 0.95, correct: true })),
    ...Array.from({ length: 40 }, () => ({ confidence: 0.5, correct: false })),
  ];
  const p = previewThreshold(ev, { threshold: 0.9, reviewerAccuracy: 0.98 });
  assert.equal(p.autoShare, 0.6);
  assert.ok(Math.abs(p.humanShare - 0.4) < 1e-12);
  assert.ok(p.autoAccuracy!.estimate > 0.95);
  assert.ok(p.estimatedAccuracy.lower <= p.estimatedAccuracy.estimate && p.estimatedAccuracy.estimate <= p.estimatedAccuracy.upper);
  // Lowering the threshold lets the wrong ones through: fewer people, lower accuracy.
  const low = previewThreshold(ev, { threshold: 0.4, reviewerAccuracy: 0.98 });
  assert.equal(low.humanShare, 0);
  assert.ok(low.estimatedAccuracy.estimate < p.estimatedAccuracy.estimate);
});

test('property: a higher threshold never sends fewer items to people; shares stay in [0, 1]', () => {
  const item = fc.record({ confidence: fc.double({ min: 0, max: 1, noNaN: true }), correct: fc.option(fc.boolean(), { nil: null }) });
  fc.assert(
    fc.property(fc.array(item, { maxLength: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (ev, a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const pl = previewThreshold(ev, { threshold: lo, reviewerAccuracy: 0.97 });
      const ph = previewThreshold(ev, { threshold: hi, reviewerAccuracy: 0.97 });
      assert.ok(ph.humanShare >= pl.humanShare - 1e-12);
      for (const p of [pl, ph]) {
        assert.ok(p.humanShare >= 0 && p.humanShare <= 1);
        assert.ok(p.estimatedAccuracy.lower >= 0 && p.estimatedAccuracy.upper <= 1 + 1e-12);
      }
    }),
  );
});
