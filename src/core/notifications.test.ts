import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonMessage, notificationKind, slackEscape, slackMessage } from './notifications.ts';
import type { OutboxEvent } from './webhooks.ts';

const ev = (type: string, payload: Record<string, unknown>, workflow = 'wf'): OutboxEvent => ({
  id: '1', type, workflow, itemId: null, taskId: null, payload, createdAt: new Date('2026-01-01T00:00:00Z'),
});

test('only escalations, raised-priority tasks, SLA breaches and demotions are notable', () => {
  assert.equal(notificationKind(ev('task.created', { kind: 'review', priority: 0 })), null);
  assert.equal(notificationKind(ev('task.created', { kind: 'review' })), null);
  assert.equal(notificationKind(ev('task.created', { kind: 'review', priority: 5 })), 'urgent_task');
  assert.equal(notificationKind(ev('task.created', { kind: 'escalation', queue: 'seniors' })), 'urgent_task');
  assert.equal(notificationKind(ev('task.overdue', { dueAt: 'x' })), 'sla_breach');
  assert.equal(notificationKind(ev('reviewer.demoted', {})), 'reviewer_demoted');
  assert.equal(notificationKind(ev('decision.made', {})), null);
});

test('a surge change is notable only while the surge policy notifies', () => {
  assert.equal(notificationKind(ev('surge.changed', { action: 'defer', direction: 'on', notify: false })), null);
  assert.equal(notificationKind(ev('task.created', { kind: 'review', priority: 100, surgeBoost: 100 })), null, 'a surge boost alone is not urgent');
  assert.equal(notificationKind(ev('task.created', { kind: 'review', priority: 105, surgeBoost: 100 })), 'urgent_task');
  assert.equal(notificationKind(ev('surge.changed', { action: 'notify', direction: 'on', notify: true })), 'surge');
  const on = slackMessage([ev('surge.changed', { action: 'notify', direction: 'on', active: ['notify'], notify: true, reason: 'forecast <wait>' })]);
  assert.equal(on.text, 'Surge in wf: took "notify": forecast &lt;wait&gt;');
  const easing = slackMessage([ev('surge.changed', { action: 'notify', direction: 'off', active: ['prioritize'], notify: true, reason: 'calm' })]);
  assert.equal(easing.text, 'Surge easing in wf: calm; the other steps revert as the load falls');
});

test('slack escaping leaves no control characters and round-trips', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      const e = slackEscape(s);
      assert.ok(!/[<>]/.test(e));
      assert.equal(e.replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&'), s);
    }),
  );
  assert.equal(slackEscape('<@U1> & <!channel>'), '&lt;@U1&gt; &amp; &lt;!channel&gt;');
});

test('a slack message has one escaped block per event; json carries the events', () => {
  const events = [ev('task.created', { kind: 'escalation', queue: '<!here>' }, 'a&b'), ev('reviewer.demoted', { email: 'x@y', accuracy: 0.5, floor: 0.8, answers: 10 })];
  const m = slackMessage(events);
  assert.equal(m.blocks.length, 2);
  assert.match(m.text, /^2 Tandem notifications \(a&amp;b, wf\)$/);
  assert.match(m.blocks[0]!.text.text, /&lt;!here&gt;/);
  assert.match(m.blocks[1]!.text.text, /50% below 80% over 10 answers/);
  assert.equal(slackMessage(events.slice(1)).text, 'Reviewer x@y was demoted in wf: gold accuracy 50% below 80% over 10 answers');
  const j = jsonMessage(events);
  assert.deepEqual(j.events.map((e) => e.kind), ['urgent_task', 'reviewer_demoted']);
  assert.equal(j.events[0]!.workflow, 'a&b', 'JSON carries the raw value; the receiver escapes for its medium');
});
