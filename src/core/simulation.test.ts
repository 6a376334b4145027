import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { erlangCPerformance } from './capacity.ts';
import { decideRoute } from './policy.ts';
import {
  findReviewers, hourlyProfile, parseSurge, simulate, SimulationInputError, surgeProfile, type ScoredItem, type SimulationInput, type SurgeController,
} from './simulation.ts';
import { compileRules, policySpec } from './workflow.ts';

const policy = policySpec.parse({ threshold: 0.9, rules: [{ when: 'segment == "vip"', action: 'review', priority: 10 }] });
const routing = { policy, rules: compileRules(policy), labels: ['a', 'b'], answersPerItem: 1 };
const unsure: ScoredItem = { label: 'a', confidence: 0.5, correct: false };

const base = (o: Partial<SimulationInput>): SimulationInput => ({
  seed: 7,
  profile: hourlyProfile([300]),
  items: [unsure],
  routing,
  reviewers: 7,
  handle: { kind: 'exponential', meanSeconds: 60 },
  reviewerAccuracy: 1,
  withinSeconds: 20,
  costs: { reviewerPerHour: 30, errorCost: 5 },
  ...o,
});

// The strongest check on both: with Poisson arrivals, exponential handle times and every item
// going to people, the simulated queue is M/M/c, which Erlang C solves exactly.
test('a steady load agrees with Erlang C on the mean wait and the service level', () => {
  for (const [rate, reviewers] of [[300, 7], [600, 12]] as const) {
    const r = simulate(base({ profile: hourlyProfile(new Array(300).fill(rate)), reviewers }));
    const theory = erlangCPerformance(reviewers, { arrivalsPerHour: rate, handleSeconds: 60 }, 20);
    assert.equal(r.totals.unfinished, 0);
    const mean = r.totals.meanWaitSeconds!;
    assert.ok(Math.abs(mean - theory.expectedWaitSeconds) <= 0.1 * theory.expectedWaitSeconds,
      `${rate}/h, ${reviewers} reviewers: simulated mean wait ${mean.toFixed(2)} s, Erlang C ${theory.expectedWaitSeconds.toFixed(2)} s`);
    assert.ok(Math.abs(r.totals.serviceLevel! - theory.serviceLevel) <= 0.015,
      `simulated service level ${r.totals.serviceLevel!.toFixed(4)}, Erlang C ${theory.serviceLevel.toFixed(4)}`);
  }
});

test('the same seed gives the same day; another seed another one', () => {
  const input = base({ profile: surgeProfile(200, [parseSurge('3x@2:00-3:00')], 4), reviewers: 5, items: [unsure, { label: 'b', confidence: 0.95, correct: true }] });
  const a = simulate(input);
  assert.deepEqual(simulate(input), a);
  assert.notDeepEqual(simulate({ ...input, seed: 8 }).totals, a.totals);
  assert.equal(a.hours.length, 4);
  assert.ok(a.hours[2]!.arrivals > 2 * a.hours[0]!.arrivals, 'the surge hour has about three times the arrivals');
  assert.deepEqual({ from: a.peak.fromSeconds, to: a.peak.toSeconds }, { from: 7200, to: 10800 });
});

test('the real routing policy decides: confident items are automatic, a rule sends VIPs to people first', () => {
  const confident: ScoredItem = { label: 'b', confidence: 0.97, correct: true };
  const vip: ScoredItem = { label: 'b', confidence: 0.97, correct: true, metadata: { segment: 'vip' } };
  const wrong: ScoredItem = { label: 'a', confidence: 0.95, correct: false };
  const r = simulate(base({ items: [confident, vip, wrong, unsure], profile: hourlyProfile([400, 400]), reviewers: 3, reviewerAccuracy: 1 }));
  const t = r.totals;
  assert.ok(Math.abs(t.auto / t.arrivals - 0.5) < 0.06, `half confident: ${t.auto}/${t.arrivals}`);
  // The machine is wrong on one of its two kinds; people are always right here.
  assert.ok(Math.abs(t.accuracy! - 0.75) < 0.06, String(t.accuracy));
  assert.equal(t.errors, Math.round((1 - t.accuracy!) * t.arrivals));
  // Cost: reviewers' hours plus errors.
  assert.equal(t.cost, 2 * 3 * 30 + t.errors * 5);
  // Same decision as decideRoute for the same item.
  const route = decideRoute({ policy, rules: routing.rules, labels: routing.labels, prediction: { labels: { b: 0.97 }, label: 'b', confidence: 0.97, explanation: [], model: 'x' }, fields: {}, metadata: { segment: 'vip' }, itemKey: 'k' });
  assert.equal(route.route, 'review');
  assert.equal(route.priority, 10);
});

test('a surge controller changes routing while active, and runs stay aligned item for item', () => {
  // Lowers the threshold to 0.4 while the forecast wait is over the target: a stand-in for the
  // surge policy, to test the hook.
  const controller: SurgeController<boolean> = {
    initial: false,
    next: (_s, load) => load.forecastWaitSeconds > load.targetWaitSeconds,
    route: (on, input) => ({ route: decideRoute(on ? { ...input, policy: { ...input.policy, threshold: 0.4 } } : input), deferred: false }),
    defers: () => false,
    active: (on) => on,
    describe: (on) => (on ? 'lowered' : 'normal'),
  };
  const input = base({ profile: surgeProfile(300, [parseSurge('4x@1:00-2:00')], 3), reviewers: 8 });
  const plain = simulate(input);
  const withSurge = simulate({ ...input, surge: controller as SurgeController<unknown> });
  assert.equal(withSurge.totals.arrivals, plain.totals.arrivals, 'the same items arrive');
  assert.ok(withSurge.hours[1]!.surgeActive > 0.3, String(withSurge.hours[1]!.surgeActive));
  assert.equal(withSurge.hours[0]!.surgeActive, 0);
  assert.ok(withSurge.peak.serviceLevel! > plain.peak.serviceLevel!, `${withSurge.peak.serviceLevel} vs ${plain.peak.serviceLevel}`);
  assert.ok(withSurge.peak.accuracy! < plain.peak.accuracy!, 'more automation on wrong items costs accuracy');
  assert.ok(withSurge.timeline.some((p) => p.surgeActive) && withSurge.timeline.some((p) => !p.surgeActive));
  assert.equal(withSurge.surgeChanges[0]!.state, 'lowered');
  assert.ok(withSurge.surgeChanges[0]!.atSeconds >= 3600);
});

test('deferred items are held back until the controller releases them; the rest wait less', () => {
  // Defers the low-priority segment during the first hour only.
  const controller: SurgeController<boolean> = {
    initial: true,
    next: (_s, load) => load.atSeconds < 3600,
    route: (on, input) => ({ route: decideRoute(input), deferred: on && input.metadata.segment === 'low' }),
    defers: (on) => on,
    active: (on) => on,
    describe: (on) => (on ? 'defer' : 'normal'),
  };
  const low: ScoredItem = { ...unsure, metadata: { segment: 'low' } };
  const input = base({ items: [unsure, low], profile: hourlyProfile([380, 100]), reviewers: 7 });
  const r = simulate({ ...input, surge: controller as SurgeController<unknown> });
  const plain = simulate(input);
  assert.equal(r.totals.tasks, plain.totals.tasks, 'the same work, reordered');
  assert.equal(r.totals.unfinished, 0, 'released once the controller stops deferring');
  assert.deepEqual(r.surgeChanges, [{ atSeconds: 3600, state: 'normal' }]);
  // Half the first hour's tasks were held until 01:00; they are counted apart from the service level.
  const h0 = r.hours[0]!;
  assert.ok(Math.abs(h0.deferred / h0.tasks - 0.5) < 0.08, `${h0.deferred} of ${h0.tasks}`);
  assert.ok(h0.deferredWaitP95! > 1800, String(h0.deferredWaitP95));
  // The other half, with half the load on seven reviewers, nearly all start within 20 s.
  assert.ok(h0.serviceLevel! > plain.hours[0]!.serviceLevel!, `${h0.serviceLevel} vs ${plain.hours[0]!.serviceLevel}`);
  // Released with their original priority and age, the held tasks go first after 01:00.
  assert.ok(r.hours[1]!.waitP95! > plain.hours[1]!.waitP95!);
});

test('find reviewers: the least team meeting the service level at the peak', () => {
  const input = base({ profile: surgeProfile(300, [parseSurge('3x@1:00-2:00')], 3) });
  const { reviewers: _r, ...rest } = input;
  const found = findReviewers(rest, 0.8)!;
  assert.ok(found.result.peak.serviceLevel! >= 0.8);
  const fewer = simulate({ ...input, reviewers: found.reviewers - 1 });
  assert.ok(fewer.peak.serviceLevel! < 0.8);
  // 900 an hour at 60 s is 15 erlangs: Erlang C asks for 18 at 80/20; the hour-long surge starts from a calm queue.
  assert.ok(found.reviewers >= 15 && found.reviewers <= 20, String(found.reviewers));
});

test('bad input is refused with a message', () => {
  assert.throws(() => parseSurge('3x@14:00-10:00'), SimulationInputError);
  assert.throws(() => parseSurge('triple at ten'), /must look like 3x@10:00-14:00/);
  assert.throws(() => parseSurge('0x@10-11'), SimulationInputError);
  assert.deepEqual(parseSurge('2.5x@09:30-11'), { factor: 2.5, fromSeconds: 9.5 * 3600, toSeconds: 11 * 3600 });
  for (const bad of [{ reviewers: 0 }, { reviewers: 1.5 }, { items: [] }, { profile: [] }, { handle: { kind: 'lognormal' as const, meanSeconds: -1, sigma: 1 } }, { handle: { kind: 'empirical' as const, seconds: [] } }, { reviewerAccuracy: 2 }]) {
    assert.throws(() => simulate(base(bad)), SimulationInputError, JSON.stringify(bad));
  }
});

test('property: surge profiles keep the base rate outside the surge and multiply it inside', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 22 }), fc.integer({ min: 1, max: 4 }), fc.double({ min: 1, max: 10, noNaN: true }), (rate, from, len, factor) => {
      const segs = surgeProfile(rate, [{ factor, fromSeconds: from * 3600, toSeconds: Math.min(24, from + len) * 3600 }], 24);
      assert.equal(segs[0]!.fromSeconds, 0);
      assert.equal(segs.at(-1)!.toSeconds, 24 * 3600);
      for (const s of segs) {
        const inside = s.fromSeconds >= from * 3600 && s.fromSeconds < (from + len) * 3600;
        assert.equal(s.arrivalsPerHour, inside ? rate * factor : rate);
      }
    }),
  );
});
