import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  applyCalibration,
  chooseCalibration,
  expectedCalibrationError,
  fitIsotonic,
  fitIsotonicCurve,
  fitTemperature,
  isotonicAt,
  reliabilityBins,
  temperatureNll,
  topLabelOutcomes,
  T_MAX,
  T_MIN,
  type Calibration,
  type VerifiedExample,
} from './calibration.ts';
import { seededRandom } from './estimate.ts';

function softmax(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function sample(p: readonly number[], u: number): number {
  let acc = 0;
  for (let k = 0; k < p.length; k++) {
    acc += p[k]!;
    if (u < acc) return k;
  }
  return p.length - 1;
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * Items from a model that is calibrated at logits z (labels drawn from softmax(z)), shown with
 * logits scaled by `scale`: scale > 1 is an overconfident model whose right temperature is `scale`.
 */
function synthetic(seed: number, n: number, K: number, scale: number): VerifiedExample[] {
  const rand = seededRandom(seed);
  const out: VerifiedExample[] = [];
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: K }, () => 1.5 * gaussian(rand));
    z[i % K] = z[i % K]! + 2;
    out.push({ logits: z.map((v) => v * scale), label: sample(softmax(z), rand()) });
  }
  return out;
}

const logitExamples = fc
  .integer({ min: 2, max: 6 })
  .chain((K) =>
    fc.array(
      fc.record({
        logits: fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: K, maxLength: K }),
        label: fc.integer({ min: 0, max: K - 1 }),
      }),
      { minLength: 1, maxLength: 40 },
    ),
  );

test('temperature scaling never raises the NLL of its training data above t = 1, and t stays in bounds', () => {
  fc.assert(
    fc.property(logitExamples, (examples) => {
      const cal = fitTemperature(examples);
      assert.ok(cal.t >= T_MIN * (1 - 1e-12) && cal.t <= T_MAX * (1 + 1e-12), `t = ${cal.t}`);
      assert.ok(temperatureNll(examples, cal.t) <= temperatureNll(examples, 1) + 1e-12);
    }),
    { numRuns: 200 },
  );
});

test('temperature scaling is unchanged by adding a constant to an example’s logits', () => {
  fc.assert(
    fc.property(logitExamples, fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 40, maxLength: 40 }), (examples, shifts) => {
      const shifted = examples.map((e, i) => ({ label: e.label, logits: e.logits.map((v) => v + shifts[i]!) }));
      const a = fitTemperature(examples);
      const b = fitTemperature(shifted);
      assert.ok(Math.abs(temperatureNll(examples, a.t) - temperatureNll(shifted, b.t)) < 1e-9);
      examples.forEach((e, i) => {
        const pa = applyCalibration(a, e).probs;
        const pb = applyCalibration(b, shifted[i]!).probs;
        for (let k = 0; k < pa.length; k++) assert.ok(Math.abs(pa[k]! - pb[k]!) < 1e-5, `${pa[k]} vs ${pb[k]}`);
      });
    }),
    { numRuns: 200 },
  );
});

test('temperature scaling recovers the temperature of an overconfident model, from logits or probabilities', () => {
  const examples = synthetic(1, 3000, 5, 3);
  const fromLogits = fitTemperature(examples);
  assert.ok(Math.abs(fromLogits.t - 3) < 0.3, `t = ${fromLogits.t}`);
  const asProbs = examples.map((e) => ({ probs: softmax('logits' in e ? Array.from(e.logits) : []), label: e.label }));
  const fromProbs = fitTemperature(asProbs);
  assert.ok(Math.abs(fromProbs.t - fromLogits.t) < 1e-3, `${fromProbs.t} vs ${fromLogits.t}`);
  // Calibrated, the confidences mean what they say.
  const raw = topLabelOutcomes(examples);
  const conf = examples.map((e) => applyCalibration(fromLogits, e).confidence);
  const before = expectedCalibrationError(raw.confidences, raw.correct);
  const after = expectedCalibrationError(conf, raw.correct);
  assert.ok(before > 0.1, `before ${before}`);
  assert.ok(after < 0.03, `after ${after}`);
});

test('all-correct examples push the temperature to its lower bound, not beyond', () => {
  const examples = Array.from({ length: 30 }, (_, i) => ({ logits: [2 + (i % 3), 0, -1], label: 0 }));
  assert.ok(Math.abs(fitTemperature(examples).t - T_MIN) < 1e-6);
  assert.equal(fitTemperature([]).t, 1);
  assert.throws(() => fitTemperature([{ logits: [1, 2], label: 2 }]), RangeError);
  assert.throws(() => fitTemperature([{ logits: [1, Number.NaN], label: 0 }]), RangeError);
});

const pairs = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean()), { minLength: 1, maxLength: 300 });

test('isotonic calibration is monotone non-decreasing, within [0, 1], with no step below the minimum count', () => {
  fc.assert(
    fc.property(pairs, fc.integer({ min: 1, max: 40 }), fc.array(fc.double({ min: -0.5, max: 1.5, noNaN: true }), { minLength: 2, maxLength: 50 }), (data, minCount, probes) => {
      const cal = fitIsotonicCurve(
        data.map(([c]) => c),
        data.map(([, y]) => y),
        { minCount },
      );
      assert.equal(cal.kind, 'isotonic');
      if (cal.kind !== 'isotonic') return;
      assert.equal(cal.xs.length, cal.ys.length);
      for (let i = 1; i < cal.xs.length; i++) {
        assert.ok(cal.xs[i]! > cal.xs[i - 1]!, 'knots strictly increasing');
        assert.ok(cal.ys[i]! >= cal.ys[i - 1]!, 'values non-decreasing');
      }
      // Each step has two knots at most (its ends), and holds at least minCount examples.
      const steps = new Set(cal.ys).size;
      assert.ok(steps <= Math.max(1, Math.floor(data.length / minCount)), 'every step holds at least minCount examples');
      const sorted = [...probes].sort((a, b) => a - b);
      let last = -Infinity;
      for (const x of sorted) {
        const y = isotonicAt(cal.xs, cal.ys, x);
        assert.ok(y >= 0 && y <= 1);
        assert.ok(y >= last - 1e-15);
        last = y;
      }
    }),
    { numRuns: 300 },
  );
});

test('isotonic calibration follows a distortion temperature scaling cannot', () => {
  // Right 55 % of the time below confidence 0.8 and 99 % above, whatever the exact confidence.
  const rand = seededRandom(7);
  const conf: number[] = [];
  const right: boolean[] = [];
  for (let i = 0; i < 4000; i++) {
    const c = 0.4 + 0.6 * rand();
    conf.push(c);
    right.push(rand() < (c < 0.8 ? 0.55 : 0.99));
  }
  const cal = fitIsotonicCurve(conf, right);
  assert.equal(cal.kind, 'isotonic');
  if (cal.kind !== 'isotonic') return;
  assert.ok(Math.abs(isotonicAt(cal.xs, cal.ys, 0.5) - 0.55) < 0.06);
  assert.ok(Math.abs(isotonicAt(cal.xs, cal.ys, 0.95) - 0.99) < 0.02);
  // Ties share a step: the same confidence always maps to the same value.
  const tied = fitIsotonicCurve([0.5, 0.5, 0.5, 0.5], [true, false, true, false], { minCount: 1 });
  assert.deepEqual(tied, { kind: 'isotonic', xs: [0.5], ys: [0.5] });
  assert.deepEqual(fitIsotonicCurve([], []), { kind: 'identity' });
});

test('applied calibrations give distributions whose top label is the model’s and whose confidence is its probability', () => {
  const cals: Calibration[] = [{ kind: 'identity' }, { kind: 'temperature', t: 2.5 }, { kind: 'isotonic', xs: [0.3, 0.6, 0.9], ys: [0.2, 0.5, 0.97] }];
  fc.assert(
    fc.property(fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 2, maxLength: 8 }), fc.boolean(), (z, asProbs) => {
      const given = asProbs ? softmax(z) : z;
      const input = asProbs ? { probs: given } : { logits: given };
      const rawTop = given.indexOf(Math.max(...given));
      for (const cal of cals) {
        const out = applyCalibration(cal, input);
        const sum = out.probs.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-9, `${cal.kind} sums to ${sum}`);
        for (const p of out.probs) assert.ok(p >= 0 && p <= 1 + 1e-12);
        assert.equal(out.confidence, out.probs[out.label]);
        assert.equal(out.label, rawTop);
        // The top label stays the most probable whenever that is possible at all.
        if (out.confidence >= 1 / z.length) for (const p of out.probs) assert.ok(p <= out.confidence + 1e-12);
      }
    }),
    { numRuns: 300 },
  );
});

test('calibrations are plain data: a JSON round trip calibrates identically', () => {
  const examples = synthetic(3, 600, 4, 2);
  for (const cal of [fitTemperature(examples), fitIsotonic(examples), { kind: 'identity' } as Calibration]) {
    const back = JSON.parse(JSON.stringify(cal)) as Calibration;
    for (const e of examples.slice(0, 50)) assert.deepEqual(applyCalibration(back, e), applyCalibration(cal, e));
  }
});

test('ECE is 0 for confidences that equal the accuracy of their bin, and known for simple cases', () => {
  // Ten items per confidence j/10, exactly j of them right: perfect calibration in every bin.
  const conf: number[] = [];
  const right: boolean[] = [];
  for (let j = 0; j <= 10; j++) {
    for (let i = 0; i < 10; i++) {
      conf.push(j / 10);
      right.push(i < j);
    }
  }
  assert.ok(expectedCalibrationError(conf, right, 10) < 1e-12);
  assert.ok(Math.abs(expectedCalibrationError([0.9, 0.9], [true, true]) - 0.1) < 1e-12);
  assert.ok(Math.abs(expectedCalibrationError([0.9, 0.2], [false, true], 10) - 0.85) < 1e-12);
  assert.ok(Number.isNaN(expectedCalibrationError([], [])));
});

test('ECE stays in [0, 1] and the reliability bins account for every item', () => {
  fc.assert(
    fc.property(pairs, fc.integer({ min: 1, max: 30 }), (data, bins) => {
      const conf = data.map(([c]) => c);
      const right = data.map(([, y]) => y);
      const ece = expectedCalibrationError(conf, right, bins);
      assert.ok(ece >= 0 && ece <= 1);
      const rb = reliabilityBins(conf, right, bins);
      assert.equal(rb.length, bins);
      assert.equal(
        rb.reduce((n, b) => n + b.count, 0),
        data.length,
      );
      for (const b of rb) {
        if (b.count === 0) {
          assert.equal(b.meanConfidence, null);
          assert.equal(b.accuracy, null);
        } else {
          assert.ok(b.meanConfidence! >= b.lower - 1e-12 && b.meanConfidence! <= b.upper + 1e-12);
          assert.ok(b.accuracy! >= 0 && b.accuracy! <= 1);
        }
      }
    }),
  );
  // Confidence 1 belongs to the last bin.
  assert.equal(reliabilityBins([1], [true], 15)[14]!.count, 1);
});

test('chooseCalibration picks temperature for a uniformly overconfident model and lowers the ECE', () => {
  const choice = chooseCalibration(synthetic(11, 1500, 5, 2.5));
  assert.equal(choice.calibration.kind, 'temperature', choice.reason);
  assert.ok(choice.eceAfter < choice.eceBefore / 3, `${choice.eceAfter} vs ${choice.eceBefore}`);
  assert.deepEqual(
    choice.candidates.map((c) => c.kind),
    ['identity', 'temperature', 'isotonic'],
  );
});

test('chooseCalibration picks isotonic where the distortion is not a temperature, given enough data', () => {
  // Confidence says nothing about correctness below 0.8 and little above: no single temperature fits.
  const rand = seededRandom(5);
  const examples: VerifiedExample[] = [];
  for (let i = 0; i < 3000; i++) {
    const top = 0.5 + 0.5 * rand();
    const right = rand() < (top < 0.8 ? 0.3 : 0.97);
    const probs = [top, 1 - top, 0];
    examples.push({ probs, label: right ? 0 : 1 + (i % 2) });
  }
  const choice = chooseCalibration(examples);
  assert.equal(choice.calibration.kind, 'isotonic', choice.reason);
  assert.ok(choice.eceAfter < 0.05);
});

test('with little data chooseCalibration never tries isotonic, and with very little it calibrates nothing', () => {
  fc.assert(
    fc.property(fc.integer({ min: 20, max: 199 }), fc.integer({ min: 1, max: 1000 }), (n, seed) => {
      const choice = chooseCalibration(synthetic(seed, n, 3, 2));
      assert.notEqual(choice.calibration.kind, 'isotonic');
      assert.ok(choice.candidates.every((c) => c.kind !== 'isotonic'));
    }),
    { numRuns: 30 },
  );
  const tiny = chooseCalibration(synthetic(2, 10, 3, 2));
  assert.deepEqual(tiny.calibration, { kind: 'identity' });
  assert.match(tiny.reason, /only 10 verified examples/);
});

test('chooseCalibration is deterministic', () => {
  const examples = synthetic(9, 800, 4, 0.6);
  assert.deepEqual(chooseCalibration(examples), chooseCalibration(examples));
});
