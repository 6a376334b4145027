import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outOfFoldOutcomes } from './crossVal.ts';

const topics: Record<string, string[]> = {
  billing: ['invoice', 'charged', 'refund', 'payment'],
  bug: ['crash', 'error', 'broken', 'freezes'],
  fraud: ['stolen', 'scam', 'hacked', 'phishing'],
};
const examples = Array.from({ length: 240 }, (_, i) => {
  const label = Object.keys(topics)[i % 3]!;
  const w = topics[label]!;
  return { text: `my ${w[i % 4]} and ${w[(i >> 2) % 4]} number ${i}`, label };
});

test('every example gets exactly one out-of-fold outcome, deterministically', () => {
  const a = outOfFoldOutcomes(examples, 4);
  const b = outOfFoldOutcomes(examples, 4);
  assert.equal(a.length, examples.length);
  assert.deepEqual(a, b);
  for (const o of a) {
    assert.ok(o.confidence > 0 && o.confidence <= 1);
    assert.ok(['billing', 'bug', 'fraud'].includes(o.label));
  }
  // Easy data: the models trained without an example still get nearly all of them right.
  assert.ok(a.filter((o) => o.correct).length / a.length > 0.9);
});

test('an example is never predicted by a model that trained on it: a label seen once is always missed', () => {
  const lonely = [...examples, { text: 'completely unique words zebra quokka', label: 'rare' }];
  const outcomes = outOfFoldOutcomes(lonely, 4);
  assert.equal(outcomes.length, lonely.length);
  assert.ok(outcomes.every((o) => o.label !== 'rare'), 'the only "rare" example was never in its own training fold');
});
