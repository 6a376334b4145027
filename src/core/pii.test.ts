import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { luhnValid, maskPii, maskPiiCounted, maskPiiDeep } from './pii.ts';

test('e-mail addresses, phone numbers and card numbers are masked; the rest is kept', () => {
  const r = maskPiiCounted('Mail jane.doe+x@example.co.uk or call +44 20 7946 0958; card 4111 1111 1111 1111, order 12345, on 2024-05-01.');
  assert.equal(r.text, 'Mail [email] or call [phone]; card [card …1111], order 12345, on 2024-05-01.');
  assert.deepEqual(r.masked, { email: 1, phone: 1, card: 1 });
  assert.equal(maskPii('(555) 123-4567'), '[phone]');
  assert.equal(maskPii('5500-0000-0000-0004'), '[card …0004]');
});

test('a long number that fails the Luhn check is not a card', () => {
  assert.equal(luhnValid('4111111111111111'), true);
  assert.equal(luhnValid('4111111111111112'), false);
  // Too many digits for a phone number too: left as it is.
  assert.equal(maskPii('ref 4111111111111112'), 'ref 4111111111111112');
});

test('masks strings anywhere in fields and metadata', () => {
  assert.deepEqual(maskPiiDeep({ a: 'x@y.io', b: [1, 'call 0201234567'], c: { d: null } }), { a: '[email]', b: [1, 'call [phone]'], c: { d: null } });
});

test('property: text without digits or @ is unchanged; masking is idempotent; no address survives', () => {
  fc.assert(
    fc.property(fc.string().filter((s) => !/[\d@]/.test(s)), (s) => {
      assert.equal(maskPii(s), s);
    }),
  );
  const word = fc.stringMatching(/^[a-z0-9]{1,8}$/);
  fc.assert(
    fc.property(fc.string(), word, word, fc.string(), (before, user, host, after) => {
      const text = `${before} ${user}@${host}.com ${after}`;
      const once = maskPii(text);
      assert.equal(maskPii(once), once);
      assert.ok(!once.includes(`${user}@${host}.com`), once);
    }),
  );
});

test('property: every Luhn-valid 16-digit number is masked down to its last four digits', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 15, maxLength: 15 }), (head) => {
      const partial = head.join('');
      const check = [...'0123456789'].find((d) => luhnValid(partial + d))!;
      const digits = partial + check;
      const grouped = digits.replace(/(\d{4})(?=\d)/g, '$1 ');
      assert.equal(maskPii(`pay ${grouped} now`), `pay [card …${digits.slice(-4)}] now`);
    }),
  );
});
