import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { summariseChat, type ConversationFacts, type DraftFacts } from './chatMetrics.ts';

const t0 = new Date('2026-01-01T10:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const conv = (over: Partial<ConversationFacts>): ConversationFacts => ({
  intent: 'card_arrival', customerMessages: 1, botReplies: 0, handoffs: 0, handoffReasons: [], rating: null,
  createdAt: t0, handedOffAt: null, firstHumanAt: null, closedAt: null, ...over,
});

test('automatic resolution, handoffs and their reasons, response and resolution times, ratings', () => {
  const m = summariseChat(
    [
      conv({ botReplies: 2, rating: 'up', closedAt: at(60) }),
      conv({ botReplies: 1, handoffs: 1, handoffReasons: ['draft_below_threshold'], handedOffAt: at(10), firstHumanAt: at(40), rating: 'down', closedAt: at(300) }),
      conv({ intent: 'lost_or_stolen_card', handoffs: 1, handoffReasons: ['signal:negative_sentiment', 'draft_below_threshold'], handedOffAt: at(0), firstHumanAt: at(90), rating: 'up' }),
      conv({ customerMessages: 0 }),
    ],
    [],
  );
  assert.equal(m.conversations, 4);
  assert.deepEqual(m.automaticResolution, { count: 1, rate: 1 / 3 });
  assert.equal(m.handoff.count, 2);
  assert.deepEqual(m.handoff.reasons, [{ reason: 'draft_below_threshold', conversations: 2 }, { reason: 'signal:negative_sentiment', conversations: 1 }]);
  assert.equal(m.timeToFirstHuman.medianSeconds, 60);
  assert.equal(m.timeToFirstHuman.count, 2);
  assert.equal(m.resolution.count, 2);
  assert.equal(m.resolution.medianSeconds, 180);
  assert.deepEqual(m.ratings.byRoute.bot, { up: 1, down: 0, upRate: 1 });
  assert.deepEqual(m.ratings.byRoute.human, { up: 1, down: 1, upRate: 0.5 });
  assert.deepEqual(m.ratings.byIntent.map((r) => r.intent), ['card_arrival', 'lost_or_stolen_card']);
});

test('draft acceptance per intent', () => {
  const d: DraftFacts[] = [
    { intent: 'a', action: 'sent', rate: 0 },
    { intent: 'a', action: 'edited', rate: 0.2 },
    { intent: 'b', action: 'rewritten', rate: 0.9 },
    { intent: 'b', action: 'written', rate: null },
  ];
  const m = summariseChat([], d);
  assert.equal(m.drafts.sent, 1);
  assert.equal(m.drafts.sentUnchangedRate, 1 / 3);
  assert.equal(m.drafts.acceptedRate, 2 / 3);
  assert.ok(Math.abs(m.drafts.meanEditRate! - 1.1 / 3) < 1e-12);
  assert.deepEqual(m.drafts.byIntent.map((x) => [x.intent, x.acceptedRate]), [['a', 1], ['b', 0]]);
  assert.equal(summariseChat([], []).drafts.acceptedRate, null);
});

test('rates stay within 0..1 and the parts add up', () => {
  const facts = fc.record({
    intent: fc.option(fc.constantFrom('a', 'b'), { nil: null }),
    customerMessages: fc.integer({ min: 0, max: 5 }),
    botReplies: fc.integer({ min: 0, max: 5 }),
    handoffs: fc.integer({ min: 0, max: 2 }),
    handoffReasons: fc.array(fc.constantFrom('x', 'y')),
    rating: fc.constantFrom<'up' | 'down' | null>('up', 'down', null),
    createdAt: fc.constant(t0),
    handedOffAt: fc.option(fc.integer({ min: 0, max: 100 }).map(at), { nil: null }),
    firstHumanAt: fc.option(fc.integer({ min: 0, max: 100 }).map(at), { nil: null }),
    closedAt: fc.option(fc.integer({ min: 0, max: 1000 }).map(at), { nil: null }),
  });
  fc.assert(
    fc.property(fc.array(facts, { maxLength: 30 }), (cs) => {
      const m = summariseChat(cs, []);
      for (const r of [m.automaticResolution.rate, m.handoff.rate]) if (r !== null) assert.ok(r >= 0 && r <= 1);
      const engaged = cs.filter((c) => c.customerMessages > 0).length;
      assert.ok(m.automaticResolution.count + m.handoff.count <= engaged);
      const b = m.ratings.byRoute;
      assert.equal(b.bot.up + b.human.up, cs.filter((c) => c.rating === 'up').length);
    }),
  );
});
