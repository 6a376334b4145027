import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { driftCheck, planThresholds, type EvidenceItem, type PlanOptions } from './thresholds.ts';
import { majorityAccuracy, seededRandom } from './estimate.ts';

/** A calibrated model's confidences: most items easy, a tail of hard ones (c = 1 − 0.6·u³). */
const confidenceOf = (u: number): number => 1 - 0.6 * u ** 3;

/** Expected accuracy of all decisions for that model at threshold t, in closed form. */
function expectedAccuracy(t: number | null, human: number): number {
  if (t === null) return human;
  const U = Math.min(1, Math.cbrt(Math.max(0, 1 - t) / 0.6));
  return U - 0.15 * U ** 4 + (1 - U) * human;
}

function calibratedEvidence(rand: () => number, n: number, knownRate = 1, labels = ['a']): EvidenceItem[] {
  return Array.from({ length: n }, () => {
    const c = confidenceOf(rand());
    const right = rand() < c;
    return { confidence: c, label: labels[Math.floor(rand() * labels.length)]!, correct: rand() < knownRate ? right : null };
  });
}

const asNumber = (t: number | null): number => (t === null ? Infinity : t);

test('on a calibrated model the chosen threshold meets the target on fresh items with high frequency', () => {
  const human = 0.995;
  for (const target of [0.95, 0.97, 0.99]) {
    const runs = 60;
    let realisedMet = 0;
    let expectedMet = 0;
    let share = 0;
    for (let r = 0; r < runs; r++) {
      const rand = seededRandom(1_000 * r + Math.round(target * 100));
      const plan = planThresholds(calibratedEvidence(rand, 1500), { target, reviewerAccuracy: human });
      assert.equal(plan.feasible, true);
      share += plan.humanShare;
      if (expectedAccuracy(plan.threshold, human) >= target) expectedMet++;
      // Fresh items routed by the plan; people right with probability `human`.
      const fresh = 20_000;
      let right = 0;
      for (let i = 0; i < fresh; i++) {
        const c = confidenceOf(rand());
        const auto = plan.threshold !== null && c >= plan.threshold;
        if (rand() < (auto ? c : human)) right++;
      }
      if (right / fresh >= target) realisedMet++;
    }
    assert.ok(expectedMet / runs >= 0.9, `target ${target}: expected accuracy met in ${expectedMet}/${runs}`);
    assert.ok(realisedMet / runs >= 0.85, `target ${target}: realised accuracy met in ${realisedMet}/${runs}`);
    // And it is not met by sending everything to people: the machine takes a real share.
    assert.ok(share / runs < 0.8, `target ${target}: human share ${share / runs}`);
  }
});

test('the plan is not needlessly cautious: with plenty of evidence it automates close to the best possible share', () => {
  const rand = seededRandom(77);
  const plan = planThresholds(calibratedEvidence(rand, 20_000), { target: 0.97, reviewerAccuracy: 0.995 });
  // The exact threshold for the target solves expectedAccuracy(t) = 0.97; find it by bisection.
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (expectedAccuracy(mid, 0.995) >= 0.97) hi = mid;
    else lo = mid;
  }
  const bestShare = 1 - Math.min(1, Math.cbrt((1 - hi) / 0.6));
  assert.ok(plan.humanShare >= bestShare - 0.02, `${plan.humanShare} vs ${bestShare}`);
  assert.ok(plan.humanShare <= bestShare + 0.06, `${plan.humanShare} vs ${bestShare}`);
  assert.ok(plan.estimatedAccuracy.lower >= 0.97);
  assert.ok(plan.estimatedAccuracy.lower <= plan.estimatedAccuracy.estimate && plan.estimatedAccuracy.estimate <= plan.estimatedAccuracy.upper);
});

const evidenceArb = fc.array(
  fc.record({
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    label: fc.constantFrom('a', 'b', 'c'),
    correct: fc.option(fc.boolean(), { nil: null }),
  }),
  { maxLength: 120 },
);
const optionsArb = fc.record({
  reviewerAccuracy: fc.double({ min: 0.5, max: 1, noNaN: true }),
  priorStrength: fc.double({ min: 0, max: 50, noNaN: true }),
  perLabel: fc.boolean(),
});

test('raising the target never lowers the threshold nor the human share', () => {
  fc.assert(
    fc.property(evidenceArb, optionsArb, fc.double({ min: 0.5, max: 1, noNaN: true }), fc.double({ min: 0.5, max: 1, noNaN: true }), (evidence, opts, a, b) => {
      const [low, high] = a <= b ? [a, b] : [b, a];
      const p = planThresholds(evidence, { ...opts, target: low });
      const q = planThresholds(evidence, { ...opts, target: high });
      assert.ok(q.humanShare >= p.humanShare - 1e-12, `share ${p.humanShare} → ${q.humanShare}`);
      // The global threshold is monotone too (per-label plans trade thresholds between labels).
      assert.ok(asNumber(q.threshold) >= asNumber(p.threshold), `threshold ${p.threshold} → ${q.threshold}`);
      if (!p.feasible) assert.equal(q.feasible, false);
    }),
    { numRuns: 300 },
  );
});

test('plans are deterministic, independent of the order of the evidence, and plain JSON', () => {
  fc.assert(
    fc.property(evidenceArb, optionsArb, fc.double({ min: 0.5, max: 1, noNaN: true }), fc.integer(), (evidence, opts, target, seed) => {
      const options: PlanOptions = { ...opts, target };
      const plan = planThresholds(evidence, options);
      assert.deepEqual(planThresholds(evidence, options), plan);
      const rand = seededRandom(seed);
      const shuffled = [...evidence];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      assert.deepEqual(planThresholds(shuffled, options), plan);
      assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
    }),
    { numRuns: 200 },
  );
});

test('a feasible plan’s promise holds on its own evidence and its figures are consistent', () => {
  fc.assert(
    fc.property(evidenceArb, optionsArb, fc.double({ min: 0.5, max: 1, noNaN: true }), (evidence, opts, target) => {
      const plan = planThresholds(evidence, { ...opts, target });
      const e = plan.estimatedAccuracy;
      assert.ok(e.lower <= e.estimate + 1e-12 && e.estimate <= e.upper + 1e-12);
      assert.ok(plan.humanShare >= 0 && plan.humanShare <= 1);
      if (plan.feasible) assert.ok(e.lower >= target - 1e-9);
      else assert.ok(plan.reason !== null && plan.reason.length > 0);
      // The human share is what the thresholds route to people on the evidence itself.
      const threshold = (l: string): number | null => (Object.hasOwn(plan.labelThresholds, l) ? plan.labelThresholds[l]! : plan.threshold);
      const toPeople = evidence.filter((x) => {
        const t = threshold(x.label);
        return t === null || x.confidence < t;
      }).length;
      assert.ok(Math.abs(plan.humanShare - (evidence.length ? toPeople / evidence.length : 1)) < 1e-12);
      assert.equal(plan.autoAccuracy === null, plan.humanShare === 1);
    }),
    { numRuns: 300 },
  );
});

test('a target people alone cannot reach is reported, with the consensus that would reach it', () => {
  const rand = seededRandom(3);
  // A weak model: confident and often wrong.
  const evidence: EvidenceItem[] = Array.from({ length: 800 }, () => {
    const c = 0.5 + 0.5 * rand();
    return { confidence: c, label: 'x', correct: rand() < 0.8 };
  });
  const plan = planThresholds(evidence, { target: 0.97, reviewerAccuracy: 0.9 });
  assert.equal(plan.feasible, false);
  assert.equal(plan.threshold, null, 'the best that can be done is to send everything to people');
  assert.equal(plan.humanShare, 1);
  assert.match(plan.reason!, /right about 90\.0 % of the time/);
  assert.match(plan.reason!, /3 people per item/);
  assert.ok(plan.consensus);
  assert.equal(plan.consensus.reviewers, 3);
  assert.equal(plan.consensus.feasible, true);
  assert.ok(Math.abs(plan.consensus.humanAccuracy - majorityAccuracy(0.9, 3)) < 1e-12);
  assert.ok(Math.abs(plan.consensus.humanWork - 3 * plan.consensus.humanShare) < 1e-12);

  const hopeless = planThresholds(evidence, { target: 0.999, reviewerAccuracy: 0.6 });
  assert.equal(hopeless.feasible, false);
  assert.equal(hopeless.consensus, null);
  assert.match(hopeless.reason!, /Not even the majority of 9 people/);

  const empty = planThresholds([], { target: 0.99, reviewerAccuracy: 0.98 });
  assert.equal(empty.feasible, false);
  assert.equal(empty.threshold, null);
  assert.equal(empty.humanShare, 1);
  assert.equal(empty.consensus?.reviewers, 3);
});

test('a machine better than people lets a one-reviewer workflow beat the reviewers’ own accuracy', () => {
  const rand = seededRandom(8);
  // 70 % of items at 99.8 % accuracy, the rest hard.
  const evidence: EvidenceItem[] = Array.from({ length: 4000 }, () => {
    const easy = rand() < 0.7;
    const c = easy ? 0.998 : 0.5 + 0.3 * rand();
    return { confidence: c, label: 'x', correct: rand() < c };
  });
  const plan = planThresholds(evidence, { target: 0.99, reviewerAccuracy: 0.98 });
  assert.equal(plan.feasible, true, plan.reason ?? '');
  assert.ok(plan.threshold !== null && plan.threshold <= 0.998 && plan.threshold > 0.7, `${plan.threshold}`);
  assert.ok(plan.humanShare <= 0.3);
  assert.equal(plan.reviewers, 1);
  assert.ok(plan.estimatedAccuracy.lower >= 0.99);
});

test('with no known outcomes calibration alone may automate only a little', () => {
  const rand = seededRandom(4);
  const unknown = calibratedEvidence(rand, 2000, 0);
  const plan = planThresholds(unknown, { target: 0.97, reviewerAccuracy: 0.98 });
  assert.equal(plan.feasible, true);
  assert.ok(plan.humanShare > 0.8, `${plan.humanShare}`);
  // Without them, only the share a machine that is always wrong could not spoil.
  const worstCase = planThresholds(unknown, { target: 0.97, reviewerAccuracy: 0.98, priorStrength: 0 });
  assert.equal(worstCase.feasible, true);
  assert.ok(1 - worstCase.humanShare <= 0.01 / 0.98 + 1e-12, `${worstCase.humanShare}`);
  const noPrior = planThresholds(unknown, { target: 0.98, reviewerAccuracy: 0.98, priorStrength: 0 });
  assert.equal(noPrior.threshold, null);
  assert.equal(noPrior.humanShare, 1);
  assert.match(noPrior.reason!, /cannot yet be shown to be accurate enough/);
  assert.match(noPrior.reason!, /0 of 2000 recent items have a known outcome/);
});

test('per-label thresholds are lower where the machine is reliable and higher where it is not', () => {
  // "good" is as right as it says; "bad" claims the same confidences but is 15 points less right.
  const gap = 0.15;
  const human = 0.99;
  const target = 0.97;
  const expectedFor = (t: number | null, bad: boolean): number => {
    if (t === null) return human;
    const U = Math.min(1, Math.cbrt(Math.max(0, 1 - t) / 0.6));
    return U - 0.15 * U ** 4 - (bad ? gap * U : 0) + (1 - U) * human;
  };
  let wins = 0;
  const seeds = [1, 2, 3, 4, 5];
  for (const seed of seeds) {
    const rand = seededRandom(seed);
    const evidence: EvidenceItem[] = [];
    for (let i = 0; i < 4000; i++) {
      const c = confidenceOf(rand());
      const label = i % 2 === 0 ? 'good' : 'bad';
      evidence.push({ confidence: c, label, correct: rand() < (label === 'good' ? c : c - gap) });
    }
    const options = { target, reviewerAccuracy: human };
    const global = planThresholds(evidence, options);
    const perLabel = planThresholds(evidence, { ...options, perLabel: true });
    assert.equal(global.feasible, true);
    assert.equal(perLabel.feasible, true);
    assert.deepEqual(global.labelThresholds, {});
    assert.ok(perLabel.humanShare <= global.humanShare);
    assert.ok(perLabel.estimatedAccuracy.lower >= target);
    if (perLabel.humanShare >= global.humanShare) continue;
    wins++;
    const good = perLabel.labelThresholds.good;
    const bad = perLabel.labelThresholds.bad;
    assert.ok(good !== undefined && good !== null, 'the reliable label is automated');
    assert.ok(asNumber(bad!) > good, `bad ${bad} vs good ${good}`);
    assert.ok(good < global.threshold!, `good ${good} vs global ${global.threshold}`);
    // The promise holds for the real accuracy, not just the estimate.
    const real = (expectedFor(good, false) + expectedFor(bad ?? null, true)) / 2;
    assert.ok(real >= target, `real accuracy ${real}`);
  }
  assert.ok(wins >= 4, `per-label thresholds helped in ${wins} of ${seeds.length} cases`);
});

test('per-label planning never needs more people than the global threshold', () => {
  fc.assert(
    fc.property(evidenceArb, optionsArb, fc.double({ min: 0.5, max: 1, noNaN: true }), (evidence, opts, target) => {
      const g = planThresholds(evidence, { ...opts, target, perLabel: false });
      const p = planThresholds(evidence, { ...opts, target, perLabel: true });
      if (g.feasible) {
        assert.equal(p.feasible, true);
        assert.ok(p.humanShare <= g.humanShare + 1e-12);
      }
    }),
    { numRuns: 300 },
  );
});

test('invalid options are refused', () => {
  assert.throws(() => planThresholds([], { target: 0 }), RangeError);
  assert.throws(() => planThresholds([], { target: 1.2 }), RangeError);
  assert.throws(() => planThresholds([], { target: 0.9, reviewerAccuracy: 2 }), RangeError);
  assert.throws(() => planThresholds([{ confidence: Number.NaN, label: 'a', correct: null }], { target: 0.9 }), RangeError);
});

test('drift: audits well below the promise are flagged, audits in line with it are not', () => {
  const dropped = driftCheck({ correct: 90, total: 100 }, 0.97);
  assert.equal(dropped.drifted, true);
  assert.ok(dropped.pValue < 0.01);
  assert.match(dropped.reason, /tighten/);
  assert.ok(dropped.observed.upper < 0.97);

  const fine = driftCheck({ correct: 96, total: 100 }, 0.97);
  assert.equal(fine.drifted, false);
  assert.match(fine.reason, /consistent/);

  // A handful of audits cannot show a drop, however bad they look.
  assert.equal(driftCheck({ correct: 1, total: 2 }, 0.9).drifted, false);
  assert.equal(driftCheck({ correct: 0, total: 0 }, 0.9).drifted, false);
  assert.throws(() => driftCheck({ correct: 5, total: 4 }, 0.9), RangeError);
  assert.throws(() => driftCheck({ correct: 1, total: 4 }, 1.5), RangeError);
});

test('drift: fewer right answers never look better, and the false-alarm rate is at most alpha', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 400 }), fc.double({ min: 0.5, max: 0.999, noNaN: true }), (total, promised) => {
      let last = -1;
      for (let correct = 0; correct <= total; correct += Math.max(1, Math.floor(total / 20))) {
        const p = driftCheck({ correct, total }, promised).pValue;
        assert.ok(p >= last - 1e-12);
        last = p;
      }
    }),
  );
  // Audits from a machine that keeps its promise: flagged in at most about 5 % of checks.
  const rand = seededRandom(21);
  let alarms = 0;
  const checks = 400;
  for (let r = 0; r < checks; r++) {
    let correct = 0;
    for (let i = 0; i < 200; i++) if (rand() < 0.97) correct++;
    if (driftCheck({ correct, total: 200 }, 0.97).drifted) alarms++;
  }
  assert.ok(alarms / checks <= 0.07, `${alarms} alarms in ${checks}`);
  // And a real drop from 97 % to 92 % is caught in most checks.
  let caught = 0;
  for (let r = 0; r < 100; r++) {
    let correct = 0;
    for (let i = 0; i < 200; i++) if (rand() < 0.92) correct++;
    if (driftCheck({ correct, total: 200 }, 0.97).drifted) caught++;
  }
  assert.ok(caught >= 90, `${caught} of 100 drops caught`);
});

