import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_RISK_PHRASES,
  SIGNAL_ROUTES,
  conversationSignals,
  countRepeatedContacts,
  findHumanRequest,
  findRiskWords,
  type Contact,
  type CustomerMessage,
} from './conversationSignals.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 26, 12);

function message(over: Partial<CustomerMessage> = {}): CustomerMessage {
  return {
    text: 'Where is my card?',
    customerId: 'c1',
    conversationId: 'conv-now',
    intent: 'card_arrival',
    at: NOW,
    metadata: {},
    sentiment: 0,
    history: [],
    ...over,
  };
}

test('explicit requests for a person are found', () => {
  const asks = [
    'agent',
    'Agent!!',
    'human please',
    'Representative',
    'I want to talk to a person',
    'Can I speak with a real person?',
    'please connect me to an agent',
    'Transfer me to a human now',
    "I'd like a human",
    'is there a live agent I can chat with',
    "I don't want a bot",
    'stop the bot, I need help',
    'Can I talk to someone about my refund?',
    'Let me speak to your supervisor.',
    'HUMAN BEING PLEASE',
    'I NEED A REPRESENTATIVE',
    'Can I get a human?',
    'Is there a real person there?',
    'let me speak to customer service',
  ];
  for (const text of asks) assert.notEqual(findHumanRequest(text), null, text);
  assert.equal(findHumanRequest('Can I speak with a real person?'), 'speak with a real person');
});

test('"agent" and "human" in other senses do not ask for a person', () => {
  const not = [
    'My travel agent booked the flight with your card',
    'agent booking fee shows twice',
    'What is the user agent string of the app?',
    'Is this charge from an estate agent?',
    'I need the agent\'s reference number',
    'human error on my statement?',
    "I'm not sure the robot vacuum payment went through",
    'The cash machine ate my card, I hate this machine',
    'Where is my card?',
    'I want to get a person to person transfer',
    'Is there a fee for adding a person to my account?',
    'I made a transfer to someone yesterday and it has not arrived',
    '',
  ];
  for (const text of not) assert.equal(findHumanRequest(text), null, text);
});

test('risk words match whole words and phrases, not parts of words', () => {
  assert.deepEqual(findRiskWords('I will SUE you and call my lawyer'), ['lawyer', 'sue']);
  assert.deepEqual(findRiskWords('This is fraud. I filed a chargeback and a formal complaint.'), ['fraud', 'chargeback', 'complaint', 'formal complaint']);
  assert.deepEqual(findRiskWords('Please cancel my account today'), ['cancel my account']);
  assert.deepEqual(findRiskWords('I have an issue with the pursued payment'), [], '"sue" is not in "issue" or "pursued"');
  assert.deepEqual(findRiskWords('cancel my card'), []);
  assert.deepEqual(findRiskWords('the account, cancel my order'), [], 'a phrase is consecutive words');
  assert.deepEqual(findRiskWords('refund or I go to the press', ['press', 'Go To']), ['press', 'go to'], 'a custom list, case-insensitive');
  assert.deepEqual(findRiskWords('lawyer lawyer', ['lawyer', 'LAWYER']), ['lawyer'], 'each phrase once');
});

test('repeated contact counts distinct conversations on the same intent within the window', () => {
  const history: Contact[] = [
    { customerId: 'c1', conversationId: 'a', intent: 'card_arrival', at: NOW - 24 * HOUR },
    { customerId: 'c1', conversationId: 'a', intent: 'card_arrival', at: NOW - 23 * HOUR },
    { customerId: 'c1', conversationId: 'b', intent: 'card_arrival', at: NOW - 200 * HOUR },
    { customerId: 'c1', conversationId: 'c', intent: 'refund', at: NOW - 2 * HOUR },
    { customerId: 'c2', conversationId: 'd', intent: 'card_arrival', at: NOW - 2 * HOUR },
    { customerId: 'c1', conversationId: 'conv-now', intent: 'card_arrival', at: NOW - HOUR },
    { customerId: 'c1', conversationId: 'later', intent: 'card_arrival', at: NOW + HOUR },
  ];
  assert.equal(countRepeatedContacts(history, 'c1', 'card_arrival', 'conv-now', NOW, 168 * HOUR), 2);
  assert.equal(countRepeatedContacts(history, 'c1', 'card_arrival', 'conv-now', NOW, 300 * HOUR), 3);
  const s = conversationSignals(message({ history }));
  assert.deepEqual(s.reasons, [{ code: 'repeated_contact', intent: 'card_arrival', contacts: 2, windowHours: 168 }]);
  assert.equal(s.route, 'review');
  assert.deepEqual(conversationSignals(message({ history, intent: null })).reasons, [], 'no intent, no repeat');
  assert.deepEqual(conversationSignals(message({ history }), { repeatContacts: 3 }).reasons, []);
  assert.deepEqual(
    conversationSignals(message({ history: history.filter((h) => h.conversationId === 'conv-now') })).reasons,
    [],
    'more messages in the same conversation are not a repeat',
  );
});

test('VIP segment from metadata, case-insensitive, configurable', () => {
  assert.deepEqual(conversationSignals(message({ metadata: { segment: 'VIP' } })).reasons, [{ code: 'vip', segment: 'VIP' }]);
  assert.deepEqual(conversationSignals(message({ metadata: { segment: 'standard' } })).reasons, []);
  assert.deepEqual(conversationSignals(message({ metadata: { segment: 42 } })).reasons, []);
  assert.deepEqual(conversationSignals(message({ metadata: { tier: 'gold' } }), { segmentKey: 'tier', vipSegments: ['gold', 'platinum'] }).reasons, [
    { code: 'vip', segment: 'gold' },
  ]);
  assert.deepEqual(conversationSignals(message({ metadata: Object.create({ segment: 'vip' }) as Record<string, unknown> })).reasons, [], 'own keys only');
});

test('an upset customer with a legal threat is escalated, with every reason', () => {
  const s = conversationSignals(
    message({ text: 'This is a scam, let me talk to a human or my lawyer hears about it', sentiment: -0.8, metadata: { segment: 'vip' } }),
  );
  assert.deepEqual(s.reasons, [
    { code: 'upset', sentiment: -0.8, threshold: -0.5 },
    { code: 'risk_words', words: ['lawyer', 'scam'] },
    { code: 'human_requested', phrase: 'talk to a human' },
    { code: 'vip', segment: 'vip' },
  ]);
  assert.equal(s.route, 'escalate');
  const off = conversationSignals(message({ text: 'talk to a human, lawyer', sentiment: -0.8 }), { disabled: ['upset', 'risk_words'] });
  assert.deepEqual(off.reasons, [{ code: 'human_requested', phrase: 'talk to a human' }]);
  assert.equal(off.route, 'review');
});

test('sentiment: the threshold is inclusive; no score, no signal', () => {
  assert.equal(conversationSignals(message({ sentiment: -0.5 })).route, 'escalate');
  assert.equal(conversationSignals(message({ sentiment: -0.49 })).route, null);
  assert.equal(conversationSignals(message({ sentiment: null })).route, null);
  assert.equal(conversationSignals(message({ sentiment: Number.NaN })).route, null);
  assert.equal(conversationSignals(message({ sentiment: -0.1 }), { upsetBelow: 0 }).route, 'escalate');
  assert.throws(() => conversationSignals(message(), { upsetBelow: -2 }));
});

test('a calm routine message has no signals', () => {
  assert.deepEqual(conversationSignals(message()), { reasons: [], route: null });
});

const vocabulary = ['agent', 'human', 'talk', 'to', 'a', 'person', 'sue', 'issue', 'fraud', 'my', 'card', 'travel', 'please', '!', 'cancel', 'account'];
const textArb = fc.array(fc.constantFrom(...vocabulary), { maxLength: 12 }).map((w) => w.join(' '));

test('property: the route is the strongest of the reasons, and adding a reason never weakens it', () => {
  const rank = { null: 0, review: 1, escalate: 2 } as const;
  fc.assert(
    fc.property(textArb, fc.option(fc.double({ min: -1, max: 1, noNaN: true })), fc.boolean(), (text, sentiment, vip) => {
      const s = conversationSignals(message({ text, sentiment, metadata: vip ? { segment: 'vip' } : {} }));
      const expected = s.reasons.some((r) => SIGNAL_ROUTES[r.code] === 'escalate') ? 'escalate' : s.reasons.length > 0 ? 'review' : null;
      assert.equal(s.route, expected);
      const more = conversationSignals(message({ text: `${text} lawyer`, sentiment, metadata: vip ? { segment: 'vip' } : {} }));
      assert.ok(rank[`${more.route}`] >= rank[`${s.route}`]);
      assert.equal(more.route, 'escalate');
    }),
  );
});

test('property: risk words are found exactly when they appear as whole words', () => {
  fc.assert(
    fc.property(textArb, (text) => {
      const tokens = text.split(' ');
      const found = findRiskWords(text);
      for (const phrase of DEFAULT_RISK_PHRASES.filter((p) => !p.includes(' '))) {
        assert.equal(found.includes(phrase), tokens.includes(phrase), `${phrase} in "${text}"`);
      }
    }),
  );
});
