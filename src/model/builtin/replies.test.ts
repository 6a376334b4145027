import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FULL_MATCH,
  MAX_MESSAGES_PER_REPLY,
  acceptanceOf,
  addApprovedReply,
  draftReply,
  emptyLibrary,
  fillPlaceholders,
  indexReplies,
  placeholdersOf,
  rankReplies,
  recordDraftOutcome,
  replyId,
  templatize,
  type ApprovedReply,
  type DraftContext,
  type ReplyLibrary,
} from './replies.ts';

const none: DraftContext = { fields: {}, metadata: {} };

function libraryOf(approved: ApprovedReply[]): ReplyLibrary {
  return approved.reduce((lib, a) => addApprovedReply(lib, a).library, emptyLibrary());
}

const seed: ApprovedReply[] = [
  { intent: 'card_arrival', message: 'When will my new card arrive?', text: 'Hi {customerName|there}, new cards arrive within 5 working days.' },
  { intent: 'card_arrival', message: 'My card still has not arrived after two weeks', text: 'Sorry {customerName}, we will send a replacement card today.' },
  { intent: 'refund', message: 'I want a refund for order 1234', text: 'Your refund for order {orderId} is on its way.' },
  { intent: 'refund', message: 'How long does a refund take?', text: 'Refunds take 3 to 5 working days.' },
];

test('the reply of the predicted intent whose past message is closest is drafted and adapted', () => {
  const index = indexReplies(libraryOf(seed));
  const d = draftReply(index, 'my card has still not arrived, it has been two weeks', 'card_arrival', 0.9, { fields: {}, metadata: { customerName: 'Anna' } });
  assert.ok(d);
  assert.equal(d.text, 'Sorry Anna, we will send a replacement card today.');
  assert.equal(d.intent, 'card_arrival');
  assert.equal(d.sourceId, replyId('card_arrival', seed[1]!.text));
  assert.ok(d.similarity > 0.3 && d.similarity <= 1);
  assert.ok(d.similarity >= FULL_MATCH);
  assert.ok(Math.abs(d.confidence - 0.9 * 0.5) < 1e-12, 'a full match of an unjudged reply: intent × ½');
  const far = draftReply(index, 'xyzzy plugh frobnicate quux arrive', 'card_arrival', 0.9, none)!;
  assert.ok(far.similarity > 0);
  assert.ok(far.similarity < FULL_MATCH);
  assert.ok(Math.abs(far.confidence - 0.9 * (far.similarity / FULL_MATCH) * 0.5) < 1e-12, 'an unlike message lowers the confidence');

  const other = draftReply(index, 'when does the new card arrive', 'card_arrival', 0.9, none);
  assert.equal(other?.text, 'Hi there, new cards arrive within 5 working days.', 'the fallback fills a missing name');
});

test('a reply whose placeholder cannot be filled is skipped for the next best, or no draft', () => {
  const index = indexReplies(libraryOf(seed));
  const d = draftReply(index, 'my card has still not arrived after two weeks', 'card_arrival', 0.9, none);
  assert.equal(d?.text, 'Hi there, new cards arrive within 5 working days.', 'no customerName: the closer reply is skipped');
  const r = draftReply(index, 'I want a refund for order 99', 'refund', 0.8, none);
  assert.equal(r?.text, 'Refunds take 3 to 5 working days.');
  const filled = draftReply(index, 'I want a refund for order 99', 'refund', 0.8, { fields: { orderId: 99 }, metadata: { orderId: 'ignored' } });
  assert.equal(filled?.text, 'Your refund for order 99 is on its way.', 'fields win over metadata');
  const only = indexReplies(libraryOf([seed[2]!]));
  assert.equal(draftReply(only, 'refund please', 'refund', 0.8, none), null);
});

test('no intent, no confidence, an unknown intent or too little similarity: no draft', () => {
  const index = indexReplies(libraryOf(seed));
  assert.equal(draftReply(index, 'card?', null, 0.9, none), null);
  assert.equal(draftReply(index, 'card?', 'card_arrival', null, none), null);
  assert.equal(draftReply(index, 'card?', 'card_arrival', Number.NaN, none), null);
  assert.equal(draftReply(index, 'card?', 'exchange_rate', 0.9, none), null);
  assert.equal(draftReply(index, 'xyzzy plugh', 'refund', 0.9, none, { minSimilarity: 0.2 }), null);
  assert.equal(draftReply(indexReplies(emptyLibrary()), 'card?', 'refund', 0.9, none), null);
  assert.ok(draftReply(index, 'xyzzy plugh', 'refund', 0.9, none), 'any reply of the intent without a minimum');
});

test('agents sending a reply unchanged raise its confidence; edits lower it', () => {
  let lib = libraryOf(seed);
  const id = replyId('refund', seed[3]!.text);
  const before = draftReply(indexReplies(lib), 'how long does a refund take', 'refund', 1, none)!;
  for (let i = 0; i < 8; i++) lib = recordDraftOutcome(lib, id, 'sent');
  const after = draftReply(indexReplies(lib), 'how long does a refund take', 'refund', 1, none)!;
  assert.equal(lib.entries.find((e) => e.id === id)?.uses, 8);
  assert.ok(after.confidence > before.confidence);
  assert.ok(Math.abs(after.confidence / before.confidence - 0.9 / 0.5) < 1e-9);
  for (let i = 0; i < 8; i++) lib = recordDraftOutcome(lib, id, 'rewritten');
  assert.equal(acceptanceOf(lib.entries.find((e) => e.id === id)!), 9 / 18);
  assert.equal(recordDraftOutcome(lib, 'reply-unknown', 'sent'), lib, 'an unknown source changes nothing');
  assert.equal(recordDraftOutcome(lib, id, 'rewritten', 'card_arrival'), lib, 'a draft of the wrong intent does not count against the reply');
  assert.equal(recordDraftOutcome(lib, id, 'sent', 'refund').entries.find((e) => e.id === id)?.sentUnchanged, 9);
});

test('approved replies are deduplicated and their messages pooled', () => {
  let lib = libraryOf(seed);
  const again = addApprovedReply(lib, { intent: 'refund', message: 'refund timing?', text: '  refunds take 3 to 5 working DAYS. ' });
  assert.equal(again.added, false);
  assert.equal(again.id, replyId('refund', seed[3]!.text));
  assert.equal(again.library.entries.length, 4);
  assert.deepEqual(again.library.entries.find((e) => e.id === again.id)?.messages, ['How long does a refund take?', 'refund timing?']);
  lib = again.library;
  assert.equal(addApprovedReply(lib, { intent: 'refund', message: 'Refund  timing?', text: 'Refunds take 3 to 5 working days.' }).library, lib, 'the same message twice is kept once');
  const otherIntent = addApprovedReply(lib, { intent: 'card_arrival', message: 'x', text: 'Refunds take 3 to 5 working days.' });
  assert.equal(otherIntent.added, true, 'the same words under another intent are another reply');
  assert.equal(addApprovedReply(lib, { intent: 'refund', message: 'hi', text: '   ' }).id, null);
  assert.equal(addApprovedReply(lib, { intent: '', message: 'hi', text: 'ok' }).added, false);
  for (let i = 0; i < MAX_MESSAGES_PER_REPLY + 5; i++) lib = addApprovedReply(lib, { intent: 'refund', message: `refund ${i}`, text: 'Refunds take 3 to 5 working days.' }).library;
  const msgs = lib.entries.find((e) => e.id === again.id)!.messages;
  assert.equal(msgs.length, MAX_MESSAGES_PER_REPLY);
  assert.equal(msgs.at(-1), `refund ${MAX_MESSAGES_PER_REPLY + 4}`, 'the newest are kept');
});

test('an approved reply with the customer\'s details is stored as a template', () => {
  const context: DraftContext = { fields: { orderId: 'A-1234' }, metadata: { customerName: 'Anna', segment: 'vip' } };
  assert.equal(templatize('Hi Anna, order A-1234 (not A-12345) ships today. Annabel, vip', context), 'Hi {customerName}, order {orderId} (not A-12345) ships today. Annabel, vip');
  const { library } = addApprovedReply(emptyLibrary(), { intent: 'shipping', message: 'where is A-1234', text: 'Hi Anna, order A-1234 ships today.', context });
  assert.equal(library.entries[0]?.text, 'Hi {customerName}, order {orderId} ships today.');
  const d = draftReply(indexReplies(library), 'where is my order', 'shipping', 1, { fields: { orderId: 'B-9' }, metadata: { customerName: 'Bo' } });
  assert.equal(d?.text, 'Hi Bo, order B-9 ships today.');
});

test('placeholders are listed and filled; an empty value does not fill', () => {
  assert.deepEqual(placeholdersOf('{a} {b|x} {a} {not valid} {}'), ['a', 'b']);
  assert.equal(fillPlaceholders('Hi {name|there}!', { fields: { name: '  ' }, metadata: {} }), 'Hi there!');
  assert.equal(fillPlaceholders('Hi {name}!', { fields: { name: '' }, metadata: {} }), null);
  assert.equal(fillPlaceholders('Hi {name}!', { fields: { name: { first: 'x' } }, metadata: {} }), null);
  assert.equal(fillPlaceholders('Hi {toString}!', none), null, 'own keys only');
  assert.equal(fillPlaceholders('no placeholders', none), 'no placeholders');
});

const words = ['card', 'refund', 'arrive', 'late', 'order', 'when', 'how', 'long', 'fee', 'Hi', '{customerName}', '{orderId|your order}', 'thanks', '.'];
const sentence = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 8 }).map((w) => w.join(' '));
const approvedArb = fc.record({ intent: fc.constantFrom('a', 'b', 'c'), message: sentence, text: sentence });

test('property: a draft is of the predicted intent, fully filled, with confidence in [0, intentConfidence]', () => {
  fc.assert(
    fc.property(fc.array(approvedArb, { maxLength: 12 }), sentence, fc.constantFrom('a', 'b', 'c'), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), (approved, msg, intent, p, named) => {
      const lib = libraryOf(approved);
      const ids = new Set(lib.entries.map((e) => e.id));
      assert.equal(ids.size, lib.entries.length, 'ids are unique');
      const context: DraftContext = { fields: {}, metadata: named ? { customerName: 'Anna' } : {} };
      const d = draftReply(indexReplies(lib), msg, intent, p, context);
      const fillable = lib.entries.filter((e) => e.intent === intent && fillPlaceholders(e.text, context) !== null);
      assert.equal(d === null, fillable.length === 0);
      if (d === null) return;
      assert.equal(d.intent, intent);
      assert.equal(placeholdersOf(d.text).length, 0);
      assert.ok(d.confidence >= 0 && d.confidence <= p + 1e-12, `${d.confidence} vs ${p}`);
      assert.ok(d.similarity >= 0 && d.similarity <= 1);
      const source = lib.entries.find((e) => e.id === d.sourceId);
      assert.equal(source?.intent, intent);
      const best = rankReplies(indexReplies(lib), msg, intent).find((r) => fillPlaceholders(r.entry.text, context) !== null);
      assert.equal(best?.entry.id, d.sourceId, 'the closest fillable reply is drafted');
    }),
    { numRuns: 150 },
  );
});

test('property: adding the same approved reply twice changes nothing the second time', () => {
  fc.assert(
    fc.property(fc.array(approvedArb, { maxLength: 8 }), approvedArb, (approved, extra) => {
      const once = addApprovedReply(libraryOf(approved), extra).library;
      const twice = addApprovedReply(once, extra);
      assert.equal(twice.library, once);
      assert.equal(twice.added, false);
    }),
  );
});

test('property: a message already in the library retrieves its own reply with similarity 1', () => {
  fc.assert(
    fc.property(fc.array(approvedArb, { minLength: 1, maxLength: 10 }), fc.nat(), (approved, k) => {
      const lib = libraryOf(approved);
      const entry = lib.entries[k % lib.entries.length]!;
      const ranked = rankReplies(indexReplies(lib), entry.messages[0]!, entry.intent);
      assert.ok(Math.abs(ranked[0]!.similarity - 1) < 1e-6, `${ranked[0]!.similarity}`);
      assert.ok(ranked.some((r) => r.entry.id === entry.id && Math.abs(r.similarity - 1) < 1e-6));
    }),
  );
});
