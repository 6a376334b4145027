import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { handoffReasonCodes, routeReply, type RoutingSignal } from './replyRoute.ts';
import type { Draft, Route } from './types.ts';

const autoRoute = (audit = false): Route => ({
  route: 'auto', label: 'card_arrival', confidence: 0.97, audit, priority: 0, skills: [],
  reasons: [{ code: 'confident', label: 'card_arrival', confidence: 0.97, threshold: 0.9 }, ...(audit ? [{ code: 'audit_sample' as const, rate: 0.1 }] : [])],
});
const draft = (confidence: number): Draft => ({ text: 'Your card arrives in 3 to 5 working days.', confidence, intent: 'card_arrival', source: 'library:x' });
const on = { autoSend: true, autoSendThreshold: 0.8 };

test('a confident draft goes out by itself only where automatic sending is on', () => {
  assert.equal(routeReply({ route: autoRoute(), draft: draft(0.9), settings: on, signals: [], livePriority: 5 }).route, 'auto');
  const off = routeReply({ route: autoRoute(), draft: draft(0.9), settings: { ...on, autoSend: false }, signals: [], livePriority: 5 });
  assert.equal(off.route, 'review');
  assert.deepEqual(off.reasons.at(-1), { code: 'auto_send_off' });
  assert.equal(off.priority, 5, 'a live customer is waiting: the handoff is raised');
});

test('a missing or unsure draft sends the message to a person, saying why', () => {
  const none = routeReply({ route: autoRoute(), draft: null, draftProblem: 'no reply for card_arrival', settings: on, signals: [], livePriority: 0 });
  assert.equal(none.route, 'review');
  assert.deepEqual(none.reasons.at(-1), { code: 'no_draft', message: 'no reply for card_arrival' });
  const unsure = routeReply({ route: autoRoute(), draft: draft(0.5), settings: on, signals: [], livePriority: 0 });
  assert.deepEqual(unsure.reasons.at(-1), { code: 'draft_below_threshold', confidence: 0.5, threshold: 0.8 });
  assert.deepEqual(handoffReasonCodes(unsure), ['draft_below_threshold']);
});

test('signals send to a person whatever the draft, at their priority, and an audit sample is dropped', () => {
  const signals: RoutingSignal[] = [
    { signal: 'negative_sentiment', detail: 'sentiment -0.8', route: 'review', priority: 40 },
    { signal: 'human_requested', detail: '"talk to a person"', route: 'review', priority: 30 },
  ];
  const r = routeReply({ route: autoRoute(true), draft: draft(0.99), settings: on, signals, livePriority: 5 });
  assert.equal(r.route, 'review');
  assert.equal(routeReply({ route: autoRoute(), draft: draft(0.99), settings: on, signals: [{ signal: 'risk_words', detail: 'lawyer', route: 'escalate', priority: 50 }], livePriority: 5 }).route, 'escalate');
  assert.equal(r.priority, 40);
  assert.equal(r.audit, false);
  assert.ok(!r.reasons.some((x) => x.code === 'audit_sample'));
  assert.deepEqual(handoffReasonCodes(r), ['signal:human_requested', 'signal:negative_sentiment']);
});

test('never auto with a signal; never an audit off the auto route; priority never lowered', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<Route['route']>('auto', 'review', 'escalate'),
      fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
      fc.boolean(),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.array(fc.record({ signal: fc.string(), detail: fc.string(), route: fc.constantFrom<'review' | 'escalate'>('review', 'escalate'), priority: fc.integer({ min: 0, max: 100 }) }), { maxLength: 4 }),
      fc.integer({ min: 0, max: 10 }),
      fc.integer({ min: 0, max: 10 }),
      (kind, conf, autoSend, threshold, signals, live, basePriority) => {
        const route: Route = { ...autoRoute(kind === 'auto'), route: kind, audit: kind === 'auto', priority: basePriority };
        const r = routeReply({ route, draft: conf === null ? null : draft(conf), settings: { autoSend, autoSendThreshold: threshold }, signals, livePriority: live });
        if (signals.length > 0 || !autoSend || conf === null || conf < threshold) assert.notEqual(r.route, 'auto');
        if (kind === 'escalate' || signals.some((x) => x.route === 'escalate')) assert.equal(r.route, 'escalate');
        else if (kind === 'review') assert.equal(r.route, 'review');
        if (r.route !== 'auto') assert.equal(r.audit, false);
        assert.ok(r.priority >= basePriority);
      },
    ),
  );
});
