import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EDITED_MAX_RATE,
  charEditDistance,
  classifyDraftAction,
  editRate,
  levenshtein,
  replyTokens,
  summariseDraftChanges,
  wordEditDistance,
  type DraftAction,
} from './editDistance.ts';

/** The textbook full-matrix Levenshtein, to check the two-row, trimmed one against. */
function reference<T>(a: readonly T[], b: readonly T[]): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

test('known distances', () => {
  assert.equal(charEditDistance('kitten', 'sitting'), 3);
  assert.equal(charEditDistance('flaw', 'lawn'), 2);
  assert.equal(charEditDistance('', 'abc'), 3);
  assert.equal(charEditDistance('😀a', '😁a'), 1, 'a surrogate pair is one character');
  assert.equal(wordEditDistance('Your refund is on its way.', 'Your refund is on its way!'), 1);
  assert.equal(wordEditDistance('Your refund is on its way.', 'Your  refund is\non its way.'), 0, 'white space is no change');
  assert.equal(wordEditDistance('I am sorry about that', 'Sorry about that'), 3, 'drop "I", "am", change case of "sorry"');
  assert.equal(levenshtein([1, 2, 3], [1, 3]), 1);
});

test('tokens are words (inner apostrophes kept) and single marks', () => {
  assert.deepEqual(replyTokens("We don't charge fees, Anna!"), ['We', "don't", 'charge', 'fees', ',', 'Anna', '!']);
  assert.deepEqual(replyTokens('  '), []);
  assert.deepEqual(replyTokens('Ünïcode café'), ['Ünïcode', 'café']);
  assert.deepEqual(replyTokens('Cafe\u0301'), ['Café'], 'NFC joins a combining accent');
});

test('edit rate is the distance over the longer text', () => {
  assert.equal(editRate('a b c d', 'a b c e'), 0.25);
  assert.equal(editRate('', ''), 0);
  assert.equal(editRate('', 'hello there'), 1);
  assert.equal(editRate('abcd', 'abce', 'char'), 0.25);
});

test('an agent sends, edits or rewrites a draft', () => {
  const draft = 'Hi Anna, your card will arrive within 5 working days.';
  assert.deepEqual(classifyDraftAction(draft, `  ${draft}\n`), { action: 'sent', rate: 0, distance: 0 });
  const edited = classifyDraftAction(draft, 'Hi Anna, your new card will arrive within 3 working days.');
  assert.equal(edited.action, 'edited');
  assert.equal(edited.distance, 2);
  const rewritten = classifyDraftAction(draft, 'Please call our support line so we can check your address.');
  assert.equal(rewritten.action, 'rewritten');
  assert.ok(rewritten.rate > EDITED_MAX_RATE);
  assert.equal(classifyDraftAction('a b', 'a c', 0.5).action, 'edited', 'the cut is inclusive');
  assert.equal(classifyDraftAction('a b', 'a c', 0.49).action, 'rewritten');
  assert.throws(() => classifyDraftAction('a', 'b', 1.5), RangeError);
  assert.throws(() => classifyDraftAction('a', 'b', Number.NaN), RangeError);
});

const small = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 12 });
const text = fc.array(fc.constantFrom('the', 'card', 'refund', ',', '.', 'is', 'late', 'Hi', ' ', '\n', '😀', 'é'), { maxLength: 15 }).map((ws) => ws.join(' '));

test('property: the trimmed two-row distance equals the full matrix', () => {
  fc.assert(fc.property(small, small, (a, b) => levenshtein(a, b) === reference(a, b)));
});

test('property: identity, symmetry, bounds and the triangle inequality', () => {
  fc.assert(
    fc.property(small, small, small, (a, b, c) => {
      const ab = levenshtein(a, b);
      assert.equal(levenshtein(a, a), 0);
      assert.equal(ab, levenshtein(b, a));
      assert.ok(ab >= Math.abs(a.length - b.length) && ab <= Math.max(a.length, b.length));
      assert.equal(ab === 0, a.join('\u0000') === b.join('\u0000'));
      assert.ok(ab <= levenshtein(a, c) + levenshtein(c, b));
    }),
  );
});

test('property: rates lie in [0, 1], are symmetric, and classification follows the rate', () => {
  fc.assert(
    fc.property(text, text, fc.double({ min: 0, max: 1, noNaN: true }), (a, b, cut) => {
      for (const unit of ['word', 'char'] as const) {
        const r = editRate(a, b, unit);
        assert.ok(r >= 0 && r <= 1, `${unit} rate ${r}`);
        assert.equal(r, editRate(b, a, unit));
        assert.equal(editRate(a, a, unit), 0);
      }
      const c = classifyDraftAction(a, b, cut);
      assert.equal(c.rate, editRate(a, b));
      assert.equal(c.distance, wordEditDistance(a, b));
      assert.equal(c.action, c.distance === 0 ? 'sent' : c.rate <= cut ? 'edited' : 'rewritten');
    }),
  );
});

test('draft changes are summarised overall and per intent', () => {
  const s = summariseDraftChanges([
    { intent: 'refund', action: 'sent', rate: 0 },
    { intent: 'refund', action: 'edited', rate: 0.2 },
    { intent: 'card', action: 'rewritten', rate: 0.9 },
    { intent: 'refund', action: 'sent', rate: 0 },
  ]);
  assert.deepEqual(s.overall, { drafts: 4, sent: 2, edited: 1, rewritten: 1, acceptance: 0.5, rewriteRate: 0.25, meanEditRate: 1.1 / 4 });
  assert.deepEqual(s.byIntent.map((g) => [g.intent, g.drafts, g.acceptance]), [['card', 1, 0], ['refund', 3, 2 / 3]]);
  assert.deepEqual(summariseDraftChanges([]), { overall: { drafts: 0, sent: 0, edited: 0, rewritten: 0, acceptance: 0, rewriteRate: 0, meanEditRate: 0 }, byIntent: [] });
});

test('property: per-intent summaries add up to the overall one', () => {
  const change = fc.record({
    intent: fc.constantFrom('a', 'b', 'c'),
    action: fc.constantFrom<DraftAction>('sent', 'edited', 'rewritten'),
    rate: fc.double({ min: 0, max: 1, noNaN: true }),
  });
  fc.assert(
    fc.property(fc.array(change, { maxLength: 30 }), (changes) => {
      const { overall, byIntent } = summariseDraftChanges(changes);
      for (const k of ['drafts', 'sent', 'edited', 'rewritten'] as const) assert.equal(byIntent.reduce((s, g) => s + g[k], 0), overall[k]);
      for (const g of [overall, ...byIntent]) {
        assert.equal(g.sent + g.edited + g.rewritten, g.drafts);
        for (const r of [g.acceptance, g.rewriteRate, g.meanEditRate]) assert.ok(r >= 0 && r <= 1 + 1e-12);
      }
    }),
  );
});
