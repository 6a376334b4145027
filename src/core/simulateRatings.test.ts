import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { simulateRatings, symmetricConfusion } from './simulateRatings.ts';

test('answers follow the confusion matrices they were drawn from', () => {
  const confusion = [
    [0.7, 0.2, 0.1],
    [0.1, 0.8, 0.1],
    [0.3, 0.0, 0.7],
  ];
  const { truth, ratings } = simulateRatings({
    labels: ['a', 'b', 'c'],
    priors: [0.5, 0.3, 0.2],
    reviewers: [{ rater: 'x', confusion }],
    items: 20000,
    perItem: 1,
    seed: 5,
  });
  const labels = ['a', 'b', 'c'];
  const counts = labels.map(() => labels.map(() => 0));
  for (const r of ratings) counts[labels.indexOf(truth.get(r.item)!)]![labels.indexOf(r.label)]!++;
  counts.forEach((row, k) => {
    const n = row.reduce((a, b) => a + b, 0);
    row.forEach((c, l) => assert.ok(Math.abs(c / n - confusion[k]![l]!) < 0.02, `${k}${l}: ${c / n}`));
  });
  const share = labels.map((l) => [...truth.values()].filter((t) => t === l).length / 20000);
  share.forEach((s, k) => assert.ok(Math.abs(s - [0.5, 0.3, 0.2][k]!) < 0.02));
});

test('property: each item gets perItem distinct reviewers, and a seed always gives the same answers', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 4 }), fc.integer(), (reviewers, extra, seed) => {
      const perItem = Math.max(1, reviewers - extra);
      const spec = {
        labels: ['p', 'q'],
        priors: [0.4, 0.6],
        reviewers: Array.from({ length: reviewers }, (_, r) => ({ rater: `r${r}`, confusion: symmetricConfusion(2, 0.8) })),
        items: 30,
        perItem,
        seed,
      };
      const a = simulateRatings(spec);
      assert.deepEqual(simulateRatings(spec), a);
      assert.equal(a.ratings.length, 30 * perItem);
      const byItem = new Map<string, string[]>();
      for (const r of a.ratings) byItem.set(r.item, [...(byItem.get(r.item) ?? []), r.rater]);
      for (const rs of byItem.values()) assert.equal(new Set(rs).size, perItem);
    }),
    { numRuns: 50 },
  );
  assert.throws(() => simulateRatings({ labels: ['a'], priors: [1], reviewers: [], items: 1, perItem: 1, seed: 1 }), RangeError);
});
