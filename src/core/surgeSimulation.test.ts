import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRoute, type RouteInput } from './policy.ts';
import { hourlyProfile, simulate, type LoadSnapshot, type ScoredItem, type SurgeController } from './simulation.ts';
import { surgeControllerFor } from './surgeSimulation.ts';
import type { SurgeState } from './surge.ts';
import { compileRules, workflowSpec } from './workflow.ts';

const spec = workflowSpec.parse({
  name: 'sim', labels: ['a', 'b', 'c'], policy: { threshold: 0.9 },
  surge: {
    order: ['prioritize', 'lowerThresholds', 'defer'], targetWaitSeconds: 60, holdSeconds: 0,
    prioritize: { when: 'segment == "vip"', boost: 100 },
    lowerThresholds: { labels: ['a'], accuracyFloor: 0.9, maxDrop: 0.3, minKnown: 10 },
    defer: { when: 'channel == "email"' },
  },
});
// "a" is right above 0.7 and wrong below; "b" is often wrong.
const evidence = [
  ...Array.from({ length: 60 }, (_, i) => ({ label: 'a', confidence: 0.7 + (i % 30) / 100, correct: true })),
  ...Array.from({ length: 20 }, () => ({ label: 'a', confidence: 0.5, correct: false })),
  ...Array.from({ length: 40 }, (_, i) => ({ label: 'b', confidence: 0.6 + (i % 30) / 100, correct: i % 2 === 0 })),
];
const input = (label: string, confidence: number, metadata: Record<string, unknown> = {}): RouteInput => ({
  policy: spec.policy, rules: compileRules(spec.policy), labels: spec.labels, itemKey: `${label}${confidence}`, fields: {}, metadata,
  prediction: { labels: { [label]: confidence }, label, confidence, explanation: [], model: 'm' },
});
const overloaded = (at: number): LoadSnapshot => ({
  atSeconds: at, queueDepth: 500, deferred: 0, oldestWaitSeconds: 600, arrivalsPerHour: 1000, humanArrivalsPerHour: 500, reviewers: 5, meanHandleSeconds: 60, forecastWaitSeconds: 6000, targetWaitSeconds: 60,
});

test('the real surge policy, step by step: priority, then lower thresholds for low-risk labels down to the floor, then deferral', () => {
  const c = surgeControllerFor(spec, evidence)!;
  let s: SurgeState = c.initial;
  assert.equal(c.active(s), false);
  assert.equal(c.describe(s), 'normal');
  assert.deepEqual(c.route(s, input('a', 0.8, { segment: 'vip' })).route, decideRoute(input('a', 0.8, { segment: 'vip' })));

  s = c.next(s, overloaded(60));
  assert.equal(c.describe(s), 'prioritize');
  assert.equal(c.route(s, input('b', 0.5, { segment: 'vip' })).route.priority, 100);
  assert.equal(c.route(s, input('b', 0.5)).route.priority, 0);
  assert.equal(c.route(s, input('a', 0.8)).route.route, 'review', 'thresholds not lowered yet');

  s = c.next(s, overloaded(120));
  assert.equal(c.describe(s), 'prioritize + lowerThresholds');
  assert.equal(c.route(s, input('a', 0.8)).route.route, 'auto', 'a low-risk label is automated lower');
  assert.equal(c.route(s, input('a', 0.55)).route.route, 'review', 'never below its accuracy floor');
  assert.equal(c.route(s, input('b', 0.8)).route.route, 'review', 'other labels keep their threshold');
  assert.equal(c.defers(s), false);

  s = c.next(s, overloaded(180));
  assert.equal(c.defers(s), true);
  assert.equal(c.route(s, input('b', 0.5, { channel: 'email' })).deferred, true);
  assert.equal(c.route(s, input('b', 0.5, { channel: 'email', segment: 'vip' })).deferred, false, 'prioritised items are never deferred');

  // As the load falls, the last action is reverted first.
  s = c.next(s, { ...overloaded(240), queueDepth: 0, humanArrivalsPerHour: 10, arrivalsPerHour: 20, reviewers: 20 });
  assert.equal(c.describe(s), 'prioritize + lowerThresholds');
});

test('in a simulation the surge policy takes its steps and reverts them; no policy declared, no controller', () => {
  assert.equal(surgeControllerFor(workflowSpec.parse({ name: 'x', labels: ['a', 'b'] }), evidence), null);
  const items: ScoredItem[] = [
    { label: 'a', confidence: 0.8, correct: true }, { label: 'b', confidence: 0.5, correct: false, metadata: { channel: 'email' } },
    { label: 'b', confidence: 0.95, correct: true, metadata: { segment: 'vip' } },
  ];
  const c = surgeControllerFor(spec, evidence)! as SurgeController<unknown>;
  const r = simulate({
    seed: 3, profile: hourlyProfile([200, 900, 200, 100]), items, reviewers: 6, handle: { kind: 'exponential', meanSeconds: 60 }, reviewerAccuracy: 1, withinSeconds: 60,
    routing: { policy: spec.policy, rules: compileRules(spec.policy), labels: spec.labels, answersPerItem: 1 }, costs: { reviewerPerHour: 0, errorCost: 0 }, surge: c,
  });
  const states = r.surgeChanges.map((x) => x.state);
  assert.ok(states.includes('prioritize + lowerThresholds + defer'), states.join(' | '));
  assert.equal(states.at(-1), 'normal', 'reverted once the surge is over');
  assert.equal(r.totals.unfinished, 0, 'deferred work is released');
  assert.ok(r.hours[1]!.auto / r.hours[1]!.arrivals > r.hours[0]!.auto / r.hours[0]!.arrivals, 'more automated in the surge hour');
});
