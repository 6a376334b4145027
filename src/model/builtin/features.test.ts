import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildVocabulary,
  columnOf,
  extendVocabulary,
  hashText,
  traceText,
  vectorise,
  type FeatureOptions,
} from './features.ts';

const opts: FeatureOptions = { bits: 18, wordNgrams: 2, charMin: 2, charMax: 4 };

function sameHash(a: string, b: string): boolean {
  const x = hashText(a, opts);
  const y = hashText(b, opts);
  const key = (h: typeof x): string =>
    Array.from(h.buckets, (bucket, i) => `${bucket}:${h.counts[i]}`)
      .sort()
      .join(',');
  return key(x) === key(y);
}

test('normalisation: case, NFKC, digits and apostrophes inside words', () => {
  assert.equal(traceText("Don't SHOUT at ｍｙ Card 1234!", opts).normalised, 'dont shout at my card 0000!');
  assert.ok(sameHash('My CARD', 'my card'));
  assert.ok(sameHash('ｃａｒｄ', 'card'), 'full-width letters fold under NFKC');
  assert.ok(sameHash('paid 15 euros', 'paid 99 euros'), 'digits are folded');
  assert.ok(sameHash('paid ٣ euros', 'paid 7 euros'), 'digits of any script are folded');
  assert.ok(sameHash("can't", 'cant') && sameHash('can’t', 'cant'));
  assert.ok(sameHash('a  b\t\nc', 'a b c'), 'runs of white space are one separator');
  assert.ok(!sameHash('card', 'cards'));
  assert.ok(!sameHash('top up', 'up top'), 'word order counts through bigrams');
});

test('words, punctuation and their offsets', () => {
  const t = traceText('Hello, world?', opts);
  const words = Array.from(t.wordStart, (s, i) => t.normalised.slice(s, t.wordEnd[i]));
  assert.deepEqual(words, ['hello', ',', 'world', '?']);
});

test('every n-gram is counted once per occurrence', () => {
  // For words of plain letters: the word, its character n-grams of " word " (lengths 2–4, not
  // the whole padded word), and each adjacent pair of words.
  const charGrams = (len: number): number => {
    const padded = len + 2;
    let n = 0;
    for (let g = opts.charMin; g <= opts.charMax; g++) n += Math.max(0, padded - g + 1);
    return padded <= opts.charMax ? n - 1 : n;
  };
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-z]{1,12}$/), { minLength: 1, maxLength: 20 }), (words) => {
      const h = hashText(words.join(' '), opts);
      const total = h.counts.reduce((s, c) => s + c, 0);
      const expected = words.reduce((s, w) => s + 1 + (w.length > 1 ? charGrams(w.length) : 0), 0) + words.length - 1;
      assert.equal(total, expected);
      assert.equal(new Set(h.buckets).size, h.buckets.length, 'buckets are distinct');
      for (const b of h.buckets) assert.ok(b >= 0 && b < 1 << opts.bits);
    }),
    { numRuns: 200 },
  );
});

test('hashing is deterministic and independent of earlier calls', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ maxLength: 300 }), (a, b) => {
      const first = hashText(a, opts);
      hashText(b, opts);
      traceText(b, { ...opts, bits: 20, wordNgrams: 3 });
      const again = hashText(a, opts);
      assert.deepEqual(again.buckets, first.buckets);
      assert.deepEqual(again.counts, first.counts);
    }),
    { numRuns: 300 },
  );
});

test('long and unusual texts', () => {
  const long = 'lorem ipsum dolor '.repeat(5000);
  const h = hashText(long, opts);
  assert.ok(h.buckets.length > 10);
  assert.equal(hashText('', opts).buckets.length, 0);
  assert.equal(hashText('   \n\t ', opts).buckets.length, 0);
  assert.ok(hashText('🙂 👍🏽 çà et là — 東京', opts).buckets.length > 0);
  assert.equal(traceText(long, opts).normalised.length, long.trimEnd().length);
});

test('vectors are L2-normalised tf-idf over the vocabulary only', () => {
  const texts = ['the card arrived', 'the card is lost', 'my card never arrived', 'top up failed'];
  const hashed = texts.map((t) => hashText(t, opts));
  const vocab = buildVocabulary(hashed, opts, 1);
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (text) => {
      const v = vectorise(hashText(text, opts), vocab);
      const norm = v.values.reduce((s, x) => s + x * x, 0);
      if (v.indices.length > 0) assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
      for (const c of v.indices) assert.ok(c >= 0 && c < vocab.buckets.length);
    }),
    { numRuns: 200 },
  );
  const known = vectorise(hashText('card arrived', opts), vocab);
  assert.ok(known.indices.length > 5);
  const rare = columnOf(vocab, hashText('top', opts).buckets[0]!);
  const common = columnOf(vocab, hashText('card', opts).buckets[0]!);
  assert.ok(vocab.idf[rare]! > vocab.idf[common]!, 'a word in fewer texts weighs more');
  assert.equal(vectorise(hashText('zzzz qqqq', opts), vocab).indices.length, 0, 'unknown n-grams are dropped');
});

test('minDf drops rare n-grams; extending appends columns and keeps the old ones', () => {
  const hashed = ['card lost', 'card found', 'lost wallet'].map((t) => hashText(t, opts));
  const all = buildVocabulary(hashed, opts, 1);
  const frequent = buildVocabulary(hashed, opts, 2);
  assert.ok(frequent.buckets.length < all.buckets.length);
  assert.ok(columnOf(frequent, hashText('card', opts).buckets[0]!) >= 0);
  assert.equal(columnOf(frequent, hashText('wallet', opts).buckets[0]!), -1);

  const grown = extendVocabulary(frequent, [hashText('wallet stolen', opts)]);
  assert.deepEqual(grown.buckets.subarray(0, frequent.buckets.length), frequent.buckets);
  assert.deepEqual(grown.idf.subarray(0, frequent.idf.length), frequent.idf);
  assert.ok(columnOf(grown, hashText('wallet', opts).buckets[0]!) >= frequent.buckets.length);
  assert.equal(extendVocabulary(grown, [hashText('wallet', opts)]), grown, 'nothing new, same vocabulary');
});
