import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { predict, softmax, train, update, type Example } from './linear.ts';

// Small synthetic intents: a core phrase per example, dressed with greetings, fillers, endings
// and the odd typo, so that training and held-out texts differ but share their meaning.
const intents: Record<string, string[]> = {
  refund: ['i want my money back', 'please refund my order', 'can i get a refund for this purchase', 'return the payment for my order', 'how do i get reimbursed'],
  delivery: ['where is my parcel', 'my package has not arrived', 'when will my order be delivered', 'track my shipment please', 'the courier never came'],
  password: ['i forgot my password', 'reset my login details', 'i cannot sign in to my account', 'my password does not work', 'how do i change my password'],
  billing: ['why was i charged twice', 'there is a wrong amount on my invoice', 'explain this fee on my bill', 'my card was charged too much', 'the invoice total is wrong'],
};
const openers = ['', 'hi, ', 'hello ', 'excuse me, ', 'quick question: ', 'Hey team - '];
const closers = ['', '?', ' please', ' thanks', '!!', ' asap', ' today'];

function generate(seed: number, perIntent: number, which = intents): Example[] {
  let s = seed >>> 0;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const out: Example[] = [];
  for (const [label, phrases] of Object.entries(which)) {
    for (let i = 0; i < perIntent; i++) {
      let text = openers[rand(openers.length)]! + phrases[rand(phrases.length)]! + closers[rand(closers.length)]!;
      if (rand(4) === 0) {
        const p = 1 + rand(text.length - 2);
        text = text.slice(0, p) + text[p + 1] + text[p] + text.slice(p + 2);
      }
      out.push({ text: rand(3) === 0 ? text.toUpperCase() : text, label });
    }
  }
  return out;
}

function accuracy(model: ReturnType<typeof train>, examples: Example[]): number {
  return examples.filter((e) => predict(model, e.text).label === e.label).length / examples.length;
}

const trainSet = generate(1, 60);
const heldOut = generate(2, 25);
const model = train(trainSet);

test('learns the synthetic intents', () => {
  assert.deepEqual(model.labels, ['billing', 'delivery', 'password', 'refund']);
  assert.equal(model.trainingSize, trainSet.length);
  assert.ok(accuracy(model, heldOut) >= 0.95, `held-out accuracy ${accuracy(model, heldOut)}`);
  assert.ok(model.heldOut !== null && model.heldOut.examples >= 30, 'a slice was held out to fit the temperature');
  assert.ok(model.temperature > 0 && Number.isFinite(model.temperature));
});

test('probabilities form a distribution over every label, whatever the text', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 120 }), (text) => {
      const p = predict(model, text);
      const values = Object.values(p.labels);
      assert.deepEqual(Object.keys(p.labels).sort(), model.labels);
      assert.ok(Math.abs(values.reduce((s, v) => s + v, 0) - 1) < 1e-9);
      for (const v of values) assert.ok(v >= 0 && v <= 1);
      assert.equal(p.confidence, Math.max(...values));
      assert.equal(p.labels[p.label], p.confidence);
      const again = softmax(p.logits);
      model.labels.forEach((l, k) => assert.ok(Math.abs(again[k]! - p.labels[l]!) < 1e-12));
    }),
    { numRuns: 300 },
  );
});

test('a further temperature flattens or sharpens without changing the ranking', () => {
  const p = predict(model, 'my order');
  const flat = softmax(p.logits, 4);
  const sharp = softmax(p.logits, 0.25);
  const k = model.labels.indexOf(p.label);
  assert.ok(p.confidence < 0.999, `confidence ${p.confidence}`);
  assert.ok(flat[k]! < p.confidence, 'flatter');
  assert.ok(sharp[k]! > p.confidence, 'sharper');
  assert.equal(flat.indexOf(Math.max(...flat)), k);
});

test('evidence names words of the text that point to the label', () => {
  const p = predict(model, 'Hello, I forgot my password again');
  assert.equal(p.label, 'password');
  assert.ok(p.evidence.length > 0 && p.evidence.length <= 5);
  const normalised = 'hello, i forgot my password again';
  for (const term of p.evidence) assert.ok(normalised.includes(term), `"${term}" is from the text`);
  assert.ok(p.evidence.some((t) => t.includes('password') || t.includes('forgot')), p.evidence.join(' | '));
  assert.deepEqual(predict(model, 'Hello, I forgot my password again', { explain: false }).evidence, []);
  assert.deepEqual(predict(model, 'Hello, I forgot my password again', { explain: false }).labels, p.labels);
});

test('training is deterministic for a seed', () => {
  const again = train(trainSet);
  assert.deepEqual(again.weights, model.weights);
  assert.deepEqual(again.bias, model.bias);
  assert.equal(again.temperature, model.temperature);
  assert.deepEqual(again.vocab.buckets, model.vocab.buckets);
  const other = train(trainSet, { seed: 2 });
  assert.ok(accuracy(other, heldOut) >= 0.95, 'another seed learns as well');
});

test('an update learns a new label from a handful of examples and keeps the old ones', () => {
  const cancel = { cancel: ['cancel my subscription', 'i want to stop my membership', 'please end my plan', 'terminate my contract now', 'how do i cancel the service'] };
  const few = cancel.cancel.map((text) => ({ text, label: 'cancel' }));
  const before = { weights: model.weights.slice(), labels: [...model.labels] };
  const updated = update(model, few);

  assert.deepEqual(updated.labels, [...model.labels, 'cancel']);
  assert.equal(updated.trainingSize, model.trainingSize + few.length);
  assert.ok(updated.vocab.buckets.length > model.vocab.buckets.length, 'new n-grams joined the vocabulary');
  for (const e of few) assert.equal(predict(updated, e.text).label, 'cancel', e.text);
  const unseen = generate(3, 10, cancel);
  assert.ok(accuracy(updated, unseen) >= 0.8, `new label on unseen texts: ${accuracy(updated, unseen)}`);
  assert.ok(accuracy(updated, heldOut) >= 0.9, `old labels: ${accuracy(updated, heldOut)}`);
  const p = predict(updated, 'cancel my subscription please');
  assert.ok(Math.abs(Object.values(p.labels).reduce((s, v) => s + v, 0) - 1) < 1e-9);

  assert.deepEqual(model.weights, before.weights, 'the old model is left as it was');
  assert.deepEqual(model.labels, before.labels);
  assert.equal(update(model, []), model);
});

test('an update on known labels corrects a mistake', () => {
  const text = 'my parcel payment was refunded twice';
  const wanted = predict(model, text).label === 'billing' ? 'refund' : 'billing';
  const fixed = update(model, [{ text, label: wanted }]);
  assert.equal(predict(fixed, text).label, wanted);
  assert.deepEqual(fixed.labels, model.labels);
});

test('degenerate training sets', () => {
  assert.throws(() => train([]), /no examples/);
  const one = train([
    { text: 'anything at all', label: 'only' },
    { text: 'something else', label: 'only' },
  ]);
  const p = predict(one, 'unrelated words');
  assert.equal(p.label, 'only');
  assert.equal(p.confidence, 1);
  const tiny = train([
    { text: 'red apple', label: 'fruit' },
    { text: 'green pear', label: 'fruit' },
    { text: 'blue car', label: 'vehicle' },
    { text: 'red truck', label: 'vehicle' },
  ]);
  assert.equal(tiny.heldOut, null, 'too few examples to hold any out');
  assert.equal(predict(tiny, 'a pear').label, 'fruit');
  assert.equal(predict(tiny, 'a truck').label, 'vehicle');
});
