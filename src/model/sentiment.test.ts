import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SCORED_CHARS, UPSET_BELOW, scoreSentiment } from './sentiment.ts';

test('an angry customer is upset; a routine question and a thank-you are not', () => {
  assert.ok(scoreSentiment('This is ridiculous!!! I am furious, your service is terrible and nobody helps me') <= UPSET_BELOW);
  assert.ok(scoreSentiment('I am sick of this damn company and want to close my account') <= UPSET_BELOW);
  assert.ok(scoreSentiment('How do I order a new card?') > UPSET_BELOW);
  assert.equal(scoreSentiment('What is the exchange rate for euros?'), 0);
  assert.ok(scoreSentiment('Thank you so much, that was really helpful!') > 0.5);
});

test('negation and emphasis move the score the way a reader would', () => {
  assert.ok(scoreSentiment('The app is not good') < 0);
  assert.ok(scoreSentiment('The app is good') > 0);
  assert.ok(scoreSentiment('The app is TERRIBLE!!!') < scoreSentiment('The app is terrible'));
});

test('empty, HTML, other languages and huge messages score without failing, fast', () => {
  assert.equal(scoreSentiment(''), 0);
  assert.equal(scoreSentiment('<script>alert(1)</script>'), 0);
  assert.ok(Math.abs(scoreSentiment('Wo ist meine Karte?')) < 0.5);
  const huge = 'Where is my card? '.repeat(50_000) + 'I hate this!';
  const t0 = performance.now();
  const s = scoreSentiment(huge);
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(s, scoreSentiment(huge.slice(0, SCORED_CHARS)), 'only the start is scored');
});

test('property: the score lies in [-1, 1] for any text', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      const s = scoreSentiment(text);
      assert.ok(s >= -1 && s <= 1, `${s}`);
    }),
  );
});
