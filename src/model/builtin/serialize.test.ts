import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { predict, train, update, type Example, type Model } from './linear.ts';
import { deserialize, ModelFormatError, serialize } from './serialize.ts';

const phrases: Record<string, string[]> = {
  'card lost': ['i lost my card', 'my card was stolen', 'cannot find my bank card', 'someone took my wallet and card'],
  'top-up failed': ['my top up failed', 'the top-up did not go through', 'adding money was declined', 'why did my top up fail'],
  'exchange rate': ['what rate do you use for euros', 'the exchange rate looks wrong', 'how much is a dollar in pounds', 'currency conversion rate'],
  // Labels are free text: quotes, non-ASCII and what looks like a number must survive.
  'refund "now" — ñ': ['i want my money back', 'refund my purchase', 'give me a refund', 'return my payment'],
  '42': ['the answer to everything', 'forty two', 'life the universe and everything', 'deep thought says'],
};

function examples(seed: number, per: number): Example[] {
  let s = seed;
  const pick = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const extra = ['', ' please', ' today', '?', ' thanks'];
  return Object.entries(phrases).flatMap(([label, ps]) =>
    Array.from({ length: per }, () => ({ text: ps[pick(ps.length)]! + extra[pick(extra.length)]!, label })),
  );
}

const model = train(examples(1, 50));
const probes = [...examples(2, 6).map((e) => e.text), 'something unrelated entirely', '', '🙂'];

function samePredictions(a: Model, b: Model): void {
  for (const text of probes) {
    const p = predict(a, text);
    const q = predict(b, text);
    assert.deepEqual(q.logits, p.logits, text);
    assert.deepEqual(q.labels, p.labels, text);
    assert.equal(q.label, p.label);
    assert.deepEqual(q.evidence, p.evidence);
  }
}

test('float32 round trip gives identical predictions and keeps the metadata', () => {
  const back = deserialize(serialize(model, 'float32'));
  samePredictions(model, back);
  assert.deepEqual(back.labels, model.labels);
  assert.deepEqual(back.options, model.options);
  assert.deepEqual(back.heldOut, model.heldOut);
  assert.equal(back.trainingSize, model.trainingSize);
  assert.equal(back.temperature, model.temperature);
  assert.equal(back.vocab.documents, model.vocab.documents);
  assert.deepEqual(serialize(back, 'float32'), serialize(model, 'float32'));
});

test('int8 stores a byte per weight, predicts the same labels, and is stable', () => {
  const small = serialize(model, 'int8');
  const exact = serialize(model, 'float32');
  const columns = model.vocab.buckets.length;
  const classes = model.labels.length;
  // Three bytes saved per weight, four spent per column on its scale (the headers differ by a
  // few bytes of JSON and padding).
  const saved = exact.length - small.length;
  assert.ok(Math.abs(saved - columns * (3 * classes - 4)) < 8, `saved ${saved}`);
  const back = deserialize(small);
  for (const text of probes) {
    const p = predict(model, text);
    const q = predict(back, text);
    assert.equal(q.label, p.label, text);
    assert.ok(Math.abs(q.confidence - p.confidence) < 0.02, `${text}: ${q.confidence} vs ${p.confidence}`);
  }
  assert.deepEqual(serialize(back, 'int8'), small, 'dequantised weights quantise to the same bytes');
  samePredictions(back, deserialize(serialize(back, 'int8')));
});

test('a model grown by updates round-trips too', () => {
  const grown = update(model, [
    { text: 'close my account', label: 'close account' },
    { text: 'i want to delete my account', label: 'close account' },
  ]);
  const back = deserialize(serialize(grown, 'float32'));
  samePredictions(grown, back);
  assert.equal(predict(back, 'please close my account').label, 'close account');
});

test('bytes at any offset of a larger buffer, such as a pooled Buffer, load', () => {
  const bytes = serialize(model);
  const shifted = Buffer.concat([Buffer.from([7, 7, 7]), Buffer.from(bytes)]).subarray(3);
  samePredictions(deserialize(bytes), deserialize(shifted));
});

test('anything else is refused with a ModelFormatError', () => {
  const bytes = serialize(model);
  assert.throws(() => deserialize(new Uint8Array(0)), ModelFormatError);
  assert.throws(() => deserialize(new TextEncoder().encode('{"labels":[]}')), ModelFormatError);
  assert.throws(() => deserialize(bytes.subarray(0, bytes.length - 1)), ModelFormatError);
  assert.throws(() => deserialize(bytes.subarray(0, 40)), ModelFormatError);
  const wrongMagic = bytes.slice();
  wrongMagic[0] = 0x58;
  assert.throws(() => deserialize(wrongMagic), ModelFormatError);
  const badHeader = bytes.slice();
  badHeader[13] = 0x7b;
  assert.throws(() => deserialize(badHeader), ModelFormatError);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (noise, at) => {
      const corrupted = bytes.slice(0, 300);
      corrupted.set(noise.subarray(0, Math.max(0, corrupted.length - (at % 300))), at % 300);
      assert.throws(() => deserialize(corrupted), ModelFormatError);
    }),
    { numRuns: 200 },
  );
});
