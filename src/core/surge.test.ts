import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRandom } from './estimate.ts';
import {
  baseSurgeState, compileSurge, floorThresholds, forecastWait, forecastWaitSeconds, isBase, overloadHorizonSeconds, isDeferred, nextSurgeState,
  surgePolicy, surgePriorityBoost, type LabelFloor, type LoadSnapshot, type SurgeState,
} from './surge.ts';
import { surgeActions, workflowSpec, type SurgeAction, type WorkflowSpecInput } from './workflow.ts';
import type { EvidenceItem } from './thresholds.ts';

const calm: Omit<LoadSnapshot, 'at'> = { queueDepth: 0, arrivalsPerHour: 60, humanShare: 0.5, reviewersActive: 4, meanHandleSeconds: 30 };
const flood: Omit<LoadSnapshot, 'at'> = { queueDepth: 500, arrivalsPerHour: 3000, humanShare: 0.8, reviewersActive: 2, meanHandleSeconds: 30 };

function spec(surge: Record<string, unknown>, extra: Partial<WorkflowSpecInput> = {}) {
  return workflowSpec.parse({
    name: 'wf',
    labels: ['spam', 'ham', 'fraud'],
    slaSeconds: 300,
    policy: { rules: [{ when: 'metadata.vip == true', name: 'vip' }] },
    surge: {
      order: ['prioritize', 'lowerThresholds', 'defer', 'notify'],
      holdSeconds: 0,
      prioritize: { rules: ['vip'], when: 'metadata.amount > 1000' },
      lowerThresholds: { labels: ['spam'], accuracyFloor: 0.95 },
      defer: { when: "metadata.tier == 'free'" },
      ...surge,
    },
    ...extra,
  });
}

const floors: Record<string, LabelFloor> = {
  spam: { threshold: 0.7, accuracy: { estimate: 0.97, lower: 0.955, upper: 0.98 }, known: 200, reason: null },
};

test('the forecast adds the backlog and the arrivals, and is unbounded when nobody works', () => {
  const f = forecastWait({ at: 0, queueDepth: 20, arrivalsPerHour: 3600, humanShare: 1, reviewersActive: 2, meanHandleSeconds: 1 });
  // λ = 1/s, capacity 2/s: the backlog clears in 10 s; Erlang C(2, 1) = 1/3, Wq = (1/3)/(2 − 1).
  assert.ok(Math.abs(f.backlogSeconds - 10) < 1e-9);
  assert.ok(Math.abs(f.arrivalSeconds - 1 / 3) < 1e-9);
  assert.ok(Math.abs(f.utilisation - 0.5) < 1e-12);
  const over = forecastWait({ at: 0, queueDepth: 0, arrivalsPerHour: 7200, humanShare: 1, reviewersActive: 1, meanHandleSeconds: 1 });
  // Twice the capacity: in 900 s the queue grows by 900, cleared at 1/s.
  assert.equal(over.waitSeconds, 900);
  assert.equal(forecastWaitSeconds({ ...calm, at: 0, reviewersActive: 0 }), Infinity);
  assert.equal(forecastWaitSeconds({ ...calm, at: 0, reviewersActive: 0, arrivalsPerHour: 0 }), 0);
});

test('the forecast does not fall where the queue tips into overload', () => {
  // The shrunk counterexample of an earlier property failure: Erlang C's wait just below λ = cμ
  // was 108.6 s, and 3 more arrivals an hour (just above) gave 0.
  const snap = { at: 0, queueDepth: 0, humanShare: 2, reviewersActive: 1, meanHandleSeconds: 491.5 };
  const capacityPerHour = 3600 / 491.5 / 2;
  const rates = [0.663, capacityPerHour * 0.999, capacityPerHour, capacityPerHour * 1.001, 3.663, capacityPerHour * 2, capacityPerHour * 3];
  const waits = rates.map((arrivalsPerHour) => forecastWaitSeconds({ ...snap, arrivalsPerHour }));
  for (let i = 1; i < waits.length; i++) assert.ok(waits[i]! >= waits[i - 1]!, `${rates[i]}/h: ${waits[i]} < ${waits[i - 1]}`);
  assert.equal(waits[2], overloadHorizonSeconds);
  assert.ok(waits[1]! <= overloadHorizonSeconds);
  assert.ok(Math.abs(waits[6]! - 2 * overloadHorizonSeconds) < 1e-6);
});

test('the spec is validated with clear messages', () => {
  const bad = (surge: Record<string, unknown>, extra: Partial<WorkflowSpecInput> = {}): string[] => {
    const r = workflowSpec.safeParse({ name: 'wf', labels: ['spam', 'ham'], policy: { rules: [{ when: 'metadata.vip == true', name: 'vip' }] }, surge, ...extra });
    assert.equal(r.success, false);
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.ok(bad({ order: ['notify', 'notify'] }).some((m) => m.includes('once in the order')));
  assert.ok(bad({ order: ['notify'], enterAt: 1, exitAt: 1 }).some((m) => m.startsWith('surge.exitAt') && m.includes('flap')));
  assert.ok(bad({ order: ['defer'] }).some((m) => m === 'surge.defer: "defer" is in the order: describe it in surge.defer'));
  assert.ok(bad({ order: ['notify'], defer: { when: 'a == 1' } }).some((m) => m.includes('not in the order')));
  assert.ok(bad({ order: ['prioritize'], prioritize: { rules: ['nope'] } }).some((m) => m === 'surge.prioritize.rules.0: no policy rule is named "nope"'));
  assert.ok(bad({ order: ['prioritize'], prioritize: {} }).some((m) => m.includes('"rules" or give a condition')));
  assert.ok(bad({ order: ['defer'], defer: { when: 'a = 1' } }).some((m) => m.startsWith('surge.defer.when') && m.includes('"=="')));
  assert.ok(bad({ order: ['lowerThresholds'], lowerThresholds: { labels: ['eggs'], accuracyFloor: 0.9 } }).some((m) => m.includes('unknown label "eggs"')));
  assert.ok(bad({ order: ['lowerThresholds'], lowerThresholds: { labels: ['spam', 'ham'], accuracyFloor: 0.9 } }).some((m) => m.includes('at least one label must keep')));
  assert.ok(bad({ order: ['lowerThresholds'], lowerThresholds: { labels: ['spam'], accuracyFloor: 0.3 } }).some((m) => m.startsWith('surge.lowerThresholds.accuracyFloor')));
  assert.ok(bad({ order: ['lowerThresholds'], lowerThresholds: { labels: ['approve'], accuracyFloor: 0.9 } }, { answerType: 'text', labels: [] }).some((m) => m.includes('no labels to lower')));
  assert.equal(spec({}).surge?.enterAt, 1);
});

test('a flood escalates one declared step at a time and a calm reverts them last first', () => {
  const s = spec({});
  let state: SurgeState = baseSurgeState;
  const taken: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r = nextSurgeState(s, { ...flood, at: i * 1000, floors }, state);
    state = r.state;
    for (const c of r.changes) {
      taken.push(`${c.direction} ${c.action}`);
      assert.match(c.reason, /forecast wait \d+ s is at or above 100% of the 300 s target/);
    }
  }
  assert.deepEqual(taken, ['on prioritize', 'on lowerThresholds', 'on defer', 'on notify']);
  assert.deepEqual(state.floors, { spam: 0.7 });
  const back: string[] = [];
  for (let i = 6; i < 12; i++) {
    const r = nextSurgeState(s, { ...calm, at: i * 1000 }, state);
    state = r.state;
    for (const c of r.changes) {
      back.push(`${c.direction} ${c.action}`);
      assert.match(c.reason, /at or below 50% of the 300 s target.*is reverted/);
    }
  }
  assert.deepEqual(back, ['off notify', 'off defer', 'off lowerThresholds', 'off prioritize']);
  assert.ok(isBase(state));
});

test('hysteresis: between exitAt and enterAt nothing changes, and holdSeconds spaces the changes', () => {
  const s = spec({ holdSeconds: 60 });
  // A forecast of about 200 s: between 150 (exit) and 300 (enter).
  const mid: LoadSnapshot = { at: 0, queueDepth: 200, arrivalsPerHour: 0, humanShare: 1, reviewersActive: 1, meanHandleSeconds: 1 };
  assert.ok(Math.abs(forecastWaitSeconds(mid) - 200) < 1e-9);
  const entered: SurgeState = { active: ['prioritize'], changedAt: 0, floors: {} };
  assert.deepEqual(nextSurgeState(s, { ...mid, at: 10 * 60_000 }, entered).changes, []);
  assert.deepEqual(nextSurgeState(s, { ...mid, at: 10 * 60_000 }, baseSurgeState).changes, []);
  // Within the hold nothing moves, even under a flood; after it, one step.
  assert.deepEqual(nextSurgeState(s, { ...flood, at: 59_000 }, entered).changes, []);
  assert.equal(nextSurgeState(s, { ...flood, at: 60_000 }, entered).changes[0]?.action, 'lowerThresholds');
});

test('defer is reverted only when the wait stays low with the deferred tasks back in the queue', () => {
  const s = spec({});
  const deferring: SurgeState = { active: ['prioritize', 'lowerThresholds', 'defer'], changedAt: 0, floors: { spam: 0.7 } };
  // 4 reviewers at 30 s: 100 deferred tasks alone make a 750 s backlog, above the 300 s target.
  assert.deepEqual(nextSurgeState(s, { ...calm, at: 1000, deferredDepth: 100 }, deferring).changes, []);
  const r = nextSurgeState(s, { ...calm, at: 1000, deferredDepth: 10 }, deferring);
  assert.equal(r.changes[0]?.action, 'defer');
  assert.match(r.changes[0]!.reason, /^with the 10 deferred tasks back in the queue, forecast wait 75 s is at or below 50%/);
  // Only the defer step weighs them: the steps before it revert on the queue as it is.
  assert.equal(nextSurgeState(s, { ...calm, at: 1000, deferredDepth: 100 }, { ...deferring, active: ['prioritize'] }).changes[0]?.action, 'prioritize');
});

test('lowerThresholds lowers only labels with an estimate, and says why the others were not', () => {
  const s = spec({ order: ['lowerThresholds'], prioritize: undefined, defer: undefined, lowerThresholds: { labels: ['spam', 'ham'], accuracyFloor: 0.95 } });
  const hamFloor: LabelFloor = { threshold: null, accuracy: null, known: 3, reason: 'no accuracy estimate for "ham": 3 known outcomes of the 10 needed' };
  const r = nextSurgeState(s, { ...flood, at: 0, floors: { ...floors, ham: hamFloor } }, baseSurgeState);
  const c = r.changes[0]!;
  assert.deepEqual(r.state.floors, { spam: 0.7 });
  assert.deepEqual(c.lowered, { spam: { floorThreshold: 0.7, accuracyLower: 0.955, known: 200 } });
  assert.deepEqual(c.skipped, { ham: hamFloor.reason });
  assert.match(c.reason, /not lowered: no accuracy estimate for "ham"/);
  // No floors measured at all: the step is taken but lowers nothing.
  const none = nextSurgeState(s, { ...flood, at: 0 }, baseSurgeState);
  assert.deepEqual(none.state.floors, {});
  assert.match(none.changes[0]!.skipped!.spam!, /nothing is known/);

  const compiled = compileSurge(s.surge);
  const policy = { threshold: 0.9, labelThresholds: { fraud: 0.99 } };
  const lowered = surgePolicy(policy, compiled, r.state);
  assert.deepEqual(lowered.labelThresholds, { fraud: 0.99, spam: 0.7 });
  assert.equal(surgePolicy(policy, compiled, baseSurgeState), policy);
});

test('prioritize boosts by rule name or condition; defer spares what is prioritised', () => {
  const s = spec({});
  const c = compileSurge(s.surge);
  const state: SurgeState = { active: ['prioritize', 'lowerThresholds', 'defer'], changedAt: 0, floors: {} };
  const item = (metadata: Record<string, unknown>, matchedRules: string[] = []) => ({ fields: {}, metadata, label: null, confidence: null, matchedRules });
  assert.equal(surgePriorityBoost(c, state, item({}, ['vip'])), 100);
  assert.equal(surgePriorityBoost(c, state, item({ amount: 5000 })), 100);
  assert.equal(surgePriorityBoost(c, state, item({ amount: 5 })), 0);
  assert.equal(surgePriorityBoost(c, baseSurgeState, item({}, ['vip'])), 0);
  assert.equal(isDeferred(c, state, item({ tier: 'free' })), true);
  assert.equal(isDeferred(c, state, item({ tier: 'free', amount: 5000 })), false);
  assert.equal(isDeferred(c, { ...state, active: ['prioritize', 'lowerThresholds'] }, item({ tier: 'free' })), false);
  assert.equal(isDeferred(c, state, item({ tier: 'paid' })), false);
});

test('an action dropped from the order is reverted at once, whatever the load', () => {
  const s = spec({ order: ['prioritize', 'notify'], lowerThresholds: undefined, defer: undefined });
  const r = nextSurgeState(s, { ...flood, at: 0 }, { active: ['prioritize', 'lowerThresholds'], changedAt: 0, floors: { spam: 0.7 } });
  assert.equal(r.changes[0]!.direction, 'off');
  assert.equal(r.changes[0]!.action, 'lowerThresholds');
  assert.match(r.changes[0]!.reason, /declared order changed/);
  assert.deepEqual(r.state.floors, {});
  const gone = nextSurgeState({ slaSeconds: 300 }, { ...calm, at: 0 }, { active: ['prioritize'], changedAt: 0, floors: {} });
  assert.match(gone.changes[0]!.reason, /no longer has a surge policy/);
  assert.ok(isBase(gone.state));
});

// -- floors

function labelled(rand: () => number, n: number, label: string, skill: number): EvidenceItem[] {
  return Array.from({ length: n }, () => {
    const confidence = 0.4 + 0.6 * rand();
    // Right with probability a bit above or below the confidence: `skill` shifts it.
    return { confidence, label, correct: rand() < Math.min(1, confidence + skill) };
  });
}

test('floorThresholds finds the lowest threshold whose accuracy bound is at the floor', () => {
  const rand = seededRandom(4);
  const ev = [...labelled(rand, 2000, 'spam', 0.05), ...labelled(rand, 5, 'ham', 0)];
  const f = floorThresholds(ev, ['spam', 'ham', 'fraud'], { floor: 0.95, minKnown: 10 });
  assert.ok(f.spam!.threshold !== null && f.spam!.threshold > 0.8 && f.spam!.threshold < 0.95, `spam ${f.spam!.threshold}`);
  assert.ok(f.spam!.accuracy!.lower >= 0.95);
  assert.equal(f.ham!.threshold, null);
  assert.match(f.ham!.reason!, /5 known outcomes of the 10 needed/);
  assert.match(f.fraud!.reason!, /0 known outcomes/);
  const low = floorThresholds(labelled(rand, 500, 'spam', -0.3), ['spam'], { floor: 0.99, minKnown: 10 });
  assert.equal(low.spam!.threshold, null);
  assert.match(low.spam!.reason!, /no threshold keeps "spam" at the 99.0% accuracy floor/);
});

test('property: a floor threshold always has its accuracy bound at the floor, on the items above it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 0, max: 400 }), fc.double({ min: 0.5, max: 0.99, noNaN: true }), fc.integer({ min: 1, max: 30 }), (seed, n, floor, minKnown) => {
      const rand = seededRandom(seed);
      const ev = labelled(rand, n, 'a', rand() * 0.2 - 0.1).map((e) => (rand() < 0.3 ? { ...e, correct: null } : e));
      const f = floorThresholds(ev, ['a'], { floor, minKnown }).a!;
      if (f.threshold === null) return f.reason !== null;
      const above = ev.filter((e) => e.confidence >= f.threshold!);
      const known = above.filter((e) => e.correct !== null);
      return f.accuracy!.lower >= floor && known.length === f.known && f.known >= minKnown;
    }),
    { numRuns: 200 },
  );
});

// -- properties of the controller

const snapshotArb = fc.record({
  queueDepth: fc.integer({ min: 0, max: 5000 }),
  arrivalsPerHour: fc.double({ min: 0, max: 20_000, noNaN: true }),
  humanShare: fc.double({ min: 0, max: 3, noNaN: true }),
  reviewersActive: fc.integer({ min: 0, max: 50 }),
  meanHandleSeconds: fc.double({ min: 0, max: 600, noNaN: true }),
});

const orderArb = fc.shuffledSubarray([...surgeActions], { minLength: 1 });

function specFor(order: SurgeAction[], holdSeconds: number, maxDrop = 1) {
  return spec({
    order,
    holdSeconds,
    prioritize: order.includes('prioritize') ? { rules: ['vip'] } : undefined,
    lowerThresholds: order.includes('lowerThresholds') ? { labels: ['spam', 'ham'], accuracyFloor: 0.9, maxDrop } : undefined,
    defer: order.includes('defer') ? { when: "metadata.tier == 'free'" } : undefined,
  });
}

test('property: the actions in effect are always a prefix of the declared order, changed one step at a time', () => {
  fc.assert(
    fc.property(orderArb, fc.integer({ min: 0, max: 120 }), fc.array(fc.tuple(snapshotArb, fc.integer({ min: 0, max: 200_000 })), { maxLength: 40 }), (order, hold, run) => {
      const s = specFor(order, hold);
      let state = baseSurgeState;
      let at = 0;
      for (const [snap, dt] of run) {
        at += dt;
        const r = nextSurgeState(s, { ...snap, at, floors }, state);
        if (r.changes.length > 1) return false;
        const c = r.changes[0];
        if (c) {
          if (c.direction === 'on' && (c.action !== order[state.active.length] || r.state.active.length !== state.active.length + 1)) return false;
          if (c.direction === 'off' && (c.action !== state.active.at(-1) || r.state.active.length !== state.active.length - 1)) return false;
          if (state.changedAt !== null && at - state.changedAt < hold * 1000) return false;
          if (c.reason.length === 0) return false;
        } else if (r.state !== state) return false;
        if (!r.state.active.every((a, i) => order[i] === a)) return false;
        state = r.state;
      }
      return true;
    }),
    { numRuns: 300 },
  );
});

test('property: once the load falls, the state returns to the base state', () => {
  fc.assert(
    fc.property(orderArb, fc.integer({ min: 0, max: 600 }), fc.array(snapshotArb, { maxLength: 20 }), (order, hold, surge) => {
      const s = specFor(order, hold);
      let state = baseSurgeState;
      let at = 0;
      for (const snap of surge) state = nextSurgeState(s, { ...snap, at: (at += 1000), floors }, state).state;
      for (let i = 0; i <= order.length; i++) state = nextSurgeState(s, { ...calm, at: (at += hold * 1000 + 1), queueDepth: 0, arrivalsPerHour: 0 }, state).state;
      return isBase(state);
    }),
    { numRuns: 300 },
  );
});

test('property: routing thresholds never fall below the floor bound nor rise above the usual ones', () => {
  const floorArb = fc.dictionary(fc.constantFrom('spam', 'ham', 'fraud'), fc.double({ min: 0, max: 1, noNaN: true }));
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.dictionary(fc.constantFrom('spam', 'ham', 'fraud'), fc.double({ min: 0, max: 1, noNaN: true })),
      floorArb,
      fc.double({ min: 0, max: 1, noNaN: true }),
      (threshold, labelThresholds, stateFloors, maxDrop) => {
        const s = specFor(['lowerThresholds'], 0, maxDrop);
        const c = compileSurge(s.surge);
        const state: SurgeState = { active: ['lowerThresholds'], changedAt: 0, floors: stateFloors };
        const policy = { threshold, labelThresholds };
        const eff = surgePolicy(policy, c, state);
        for (const label of ['spam', 'ham', 'fraud']) {
          const usual = Object.hasOwn(labelThresholds, label) ? labelThresholds[label]! : threshold;
          const got = Object.hasOwn(eff.labelThresholds, label) ? eff.labelThresholds[label]! : eff.threshold;
          if (got > usual) return false;
          if (label === 'fraud' && got !== usual) return false; // not a low-risk label
          const floor = stateFloors[label];
          if (got < usual && (floor === undefined || got < floor || usual - got > maxDrop + 1e-12)) return false;
        }
        return eff.threshold === threshold;
      },
    ),
    { numRuns: 500 },
  );
});

test('property: the forecast grows with the queue and the arrivals, and falls with more reviewers', () => {
  fc.assert(
    fc.property(snapshotArb, fc.integer({ min: 1, max: 100 }), (snap, extra) => {
      const base = { ...snap, at: 0, reviewersActive: Math.max(1, snap.reviewersActive), meanHandleSeconds: Math.max(1, snap.meanHandleSeconds) };
      const w = forecastWaitSeconds(base);
      return (
        w >= 0 &&
        forecastWaitSeconds({ ...base, queueDepth: base.queueDepth + extra }) >= w &&
        forecastWaitSeconds({ ...base, arrivalsPerHour: base.arrivalsPerHour + extra }) >= w - 1e-9 &&
        forecastWaitSeconds({ ...base, reviewersActive: base.reviewersActive + extra }) <= w + 1e-9
      );
    }),
    { numRuns: 500 },
  );
});
